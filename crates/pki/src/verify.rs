//! Judging a CMS SignedData (RFC 5652) the way the portal must (regulation
//! §9, condition 2; contract.md "Portal signing"): the signature and its
//! signed attributes, the chain to a configured trust anchor, the validity
//! period now and at the signing time, revocation by CRL, the key's
//! purpose (nonRepudiation), and the holder's IIN. Every failure is one
//! [`Refusal`] with its contract code; nothing here panics on any input.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use base64ct::Encoding;
use chrono::{DateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::Digest;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::algorithms::{scheme_for, verify_issued, AlgError, DigestAlg};
use crate::name::{hex, Holder};
use crate::{oids, raw, PkiError};

/// Why a signature is refused: each is a contract.md 422 code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a CMS SignedData: {0}")]
    CmsMalformed(&'static str),
    #[error("the signature does not match the content")]
    SignatureInvalid,
    #[error("the certificate has expired")]
    CertificateExpired,
    #[error("the certificate is not yet valid")]
    CertificateNotYetValid,
    #[error("the certificate is revoked")]
    CertificateRevoked,
    #[error("the certificate does not chain to a trusted authority")]
    CertificateUntrusted,
    #[error("the certificate carries no valid IIN")]
    CertificateNoIin,
    #[error("the key is not meant for signing (no nonRepudiation)")]
    KeyUsage,
    #[error("the certificate's IIN is not the applicant's")]
    IinMismatch,
    #[error("the algorithm is not supported")]
    UnsupportedAlgorithm,
}

impl Refusal {
    /// The stable code (contract.md "Portal signing").
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::CmsMalformed(_) => "cms-malformed",
            Refusal::SignatureInvalid => "signature-invalid",
            Refusal::CertificateExpired => "certificate-expired",
            Refusal::CertificateNotYetValid => "certificate-not-yet-valid",
            Refusal::CertificateRevoked => "certificate-revoked",
            Refusal::CertificateUntrusted => "certificate-untrusted",
            Refusal::CertificateNoIin => "certificate-no-iin",
            Refusal::KeyUsage => "key-usage",
            Refusal::IinMismatch => "iin-mismatch",
            Refusal::UnsupportedAlgorithm => "unsupported-algorithm",
        }
    }

    /// Every code, for tables of messages.
    pub const CODES: [&'static str; 10] = [
        "cms-malformed",
        "signature-invalid",
        "certificate-expired",
        "certificate-not-yet-valid",
        "certificate-revoked",
        "certificate-untrusted",
        "certificate-no-iin",
        "key-usage",
        "iin-mismatch",
        "unsupported-algorithm",
    ];
}

/// What a verifier trusts: anchors, extra intermediates, CRLs, and whether
/// the national CA's test IIN passes (demo mode and `pki verify` only).
#[derive(Clone, Debug, Default)]
pub struct TrustConfig {
    pub anchors: Vec<Certificate>,
    pub intermediates: Vec<Certificate>,
    pub crls: Vec<CertificateList>,
    pub accept_test_iins: bool,
}

impl TrustConfig {
    /// Adds every certificate of a PEM (or single DER) file as an anchor.
    /// An anchor need not be self-signed: the national CA's test root is not
    /// public, so its issuing CA itself is configured.
    pub fn add_anchors(&mut self, bytes: &[u8]) -> Result<usize, PkiError> {
        let certs = certificates(bytes)?;
        let n = certs.len();
        self.anchors.extend(certs);
        Ok(n)
    }

    /// Adds intermediate CA certificates (PEM or DER).
    pub fn add_intermediates(&mut self, bytes: &[u8]) -> Result<usize, PkiError> {
        let certs = certificates(bytes)?;
        let n = certs.len();
        self.intermediates.extend(certs);
        Ok(n)
    }

    /// Adds every CRL of a PEM file (or one DER CRL).
    pub fn add_crls(&mut self, bytes: &[u8]) -> Result<usize, PkiError> {
        let mut n = 0;
        if bytes.starts_with(&[0x30]) {
            self.crls.push(CertificateList::from_der(bytes)?);
            return Ok(1);
        }
        for (label, der) in pem_blocks(bytes)? {
            if label == "X509 CRL" {
                self.crls.push(CertificateList::from_der(&der)?);
                n += 1;
            }
        }
        if n == 0 {
            return Err(PkiError::Encoding("no X509 CRL in the file".into()));
        }
        Ok(n)
    }

    pub fn add_anchor_file(&mut self, path: &Path) -> Result<usize, PkiError> {
        self.add_anchors(&std::fs::read(path).map_err(|e| PkiError::io(path, e))?)
    }

    pub fn add_crl_file(&mut self, path: &Path) -> Result<usize, PkiError> {
        self.add_crls(&std::fs::read(path).map_err(|e| PkiError::io(path, e))?)
    }
}

/// Every certificate in PEM text, or the one DER certificate.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    if bytes.starts_with(&[0x30]) {
        return Ok(vec![Certificate::from_der(bytes)?]);
    }
    let mut out = Vec::new();
    for (label, der) in pem_blocks(bytes)? {
        if label == "CERTIFICATE" {
            out.push(Certificate::from_der(&der)?);
        }
    }
    if out.is_empty() {
        return Err(PkiError::Encoding("no CERTIFICATE in the file".into()));
    }
    Ok(out)
}

/// The PEM blocks of a file (label, DER), ignoring text around them.
/// [`certificates`], each as its DER bytes (to compare a signer's
/// certificate with configured ones).
pub fn certificates_der(bytes: &[u8]) -> Result<Vec<Vec<u8>>, PkiError> {
    use der::Encode;
    certificates(bytes)?
        .iter()
        .map(|c| c.to_der().map_err(PkiError::from))
        .collect()
}

fn pem_blocks(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PkiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| PkiError::Encoding("not PEM".into()))?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let label_end = after[11..]
            .find("-----")
            .ok_or_else(|| PkiError::Encoding("unterminated PEM label".into()))?;
        let label = after[11..11 + label_end].to_string();
        let end_marker = format!("-----END {label}-----");
        let end = after
            .find(&end_marker)
            .ok_or_else(|| PkiError::Encoding(format!("no END for {label}")))?;
        let block = &after[..end + end_marker.len()];
        let (_, der) = der::pem::decode_vec(block.as_bytes())
            .map_err(|e| PkiError::Encoding(e.to_string()))?;
        out.push((label, der));
        rest = &after[end + end_marker.len()..];
    }
    Ok(out)
}

/// What a valid signature says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub holder: Holder,
    /// The holder's IIN, checked (12 digits, check digit; the test IIN only
    /// with `accept_test_iins`).
    pub iin: String,
    /// The certificate's serial number, lowercase hex.
    pub serial: String,
    /// The certificate's issuer on one line.
    pub issuer: String,
    /// The signingTime signed attribute, when the signer put one.
    pub signing_time: Option<DateTime<Utc>>,
    /// The signer's certificate, DER.
    pub certificate: Vec<u8>,
    /// The signed content (attached or the detached bytes given).
    pub content: Vec<u8>,
    /// For example `RSA PKCS#1 v1.5 with SHA-256`.
    pub algorithm: String,
}

/// A verdict with whatever could be read of the signer, for reports that
/// name the signer even when refusing.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub holder: Option<Holder>,
    pub outcome: Result<Verified, Refusal>,
}

/// A chain already checked to an anchor, with the CRL entries that concern
/// it, keyed by the signer certificate's SHA-256.
#[derive(Clone)]
struct Chain {
    /// From the signer's certificate up to and including the anchor.
    path: Vec<Certificate>,
    /// For each certificate of `path` but the anchor, when it was revoked
    /// (per a CRL whose signature its issuer made).
    revoked_at: Vec<Option<DateTime<Utc>>>,
}

/// A verifier over one trust configuration; caches checked chains.
pub struct Verifier {
    config: TrustConfig,
    chains: Mutex<HashMap<[u8; 32], Chain>>,
}

/// Chains longer than this are not followed (the national CA's are 2–3).
const MAX_DEPTH: usize = 8;
/// Cached chains kept at most (a cache, not a store).
const MAX_CACHED: usize = 10_000;

impl Verifier {
    pub fn new(config: TrustConfig) -> Verifier {
        Verifier {
            config,
            chains: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &TrustConfig {
        &self.config
    }

    /// Judges `cms` (content attached, or `content` given for a detached
    /// signature) as of `at`.
    pub fn verify(
        &self,
        cms: &[u8],
        content: Option<&[u8]>,
        at: DateTime<Utc>,
    ) -> Result<Verified, Refusal> {
        self.judge(cms, content, at).outcome
    }

    /// Like [`Verifier::verify`], also naming the signer when refused.
    pub fn judge(&self, cms: &[u8], content: Option<&[u8]>, at: DateTime<Utc>) -> Judgement {
        let mut holder = None;
        let outcome = self.judge_inner(cms, content, at, &mut holder);
        Judgement { holder, outcome }
    }

    fn judge_inner(
        &self,
        cms: &[u8],
        detached: Option<&[u8]>,
        at: DateTime<Utc>,
        holder_out: &mut Option<Holder>,
    ) -> Result<Verified, Refusal> {
        let ci =
            ContentInfo::from_der(cms).map_err(|_| Refusal::CmsMalformed("not DER ContentInfo"))?;
        if ci.content_type != oids::ID_SIGNED_DATA {
            return Err(Refusal::CmsMalformed("not SignedData"));
        }
        let sd_der = ci
            .content
            .to_der()
            .map_err(|_| Refusal::CmsMalformed("SignedData"))?;
        let sd = SignedData::from_der(&sd_der).map_err(|_| Refusal::CmsMalformed("SignedData"))?;
        let raw = raw::signers(cms).ok_or(Refusal::CmsMalformed("SignerInfos"))?;
        // The applicant is the first signer, in encoded order.
        let first = raw.first().ok_or(Refusal::CmsMalformed("no signer"))?;
        let si =
            SignerInfo::from_der(first.info).map_err(|_| Refusal::CmsMalformed("SignerInfo"))?;

        let attached = match &sd.encap_content_info.econtent {
            Some(any) => Some(
                OctetString::from_der(&any.to_der().map_err(|_| Refusal::CmsMalformed("content"))?)
                    .map_err(|_| Refusal::CmsMalformed("content is not an OCTET STRING"))?
                    .into_bytes(),
            ),
            None => None,
        };
        let content = match (attached, detached) {
            (Some(a), Some(d)) if a != d => return Err(Refusal::SignatureInvalid),
            (Some(a), _) => a,
            (None, Some(d)) => d.to_vec(),
            (None, None) => return Err(Refusal::CmsMalformed("detached content missing")),
        };

        let certs: Vec<Certificate> = sd
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|c| match c {
                CertificateChoices::Certificate(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        let cert = find_signer(&si.sid, &certs)
            .or_else(|| find_signer(&si.sid, &self.config.intermediates))
            .ok_or(Refusal::CmsMalformed("signer certificate missing"))?
            .clone();
        let holder = Holder::from_name(&cert.tbs_certificate.subject);
        *holder_out = Some(holder.clone());
        let spki = &cert.tbs_certificate.subject_public_key_info;

        // Algorithms first: a GOST signature is unsupported, not invalid.
        let scheme = scheme_for(&si.signature_algorithm, spki);
        if oids::is_gost(&si.digest_alg.oid) {
            return Err(Refusal::UnsupportedAlgorithm);
        }
        let digest =
            DigestAlg::from_oid(&si.digest_alg.oid).map_err(|_| Refusal::UnsupportedAlgorithm)?;

        // Signed attributes: contentType and messageDigest must match.
        let mut signing_time = None;
        let signed_bytes = match (&si.signed_attrs, &first.signed_attrs) {
            (Some(attrs), Some(raw_attrs)) => {
                let mut saw_digest = false;
                for attr in attrs.iter() {
                    let Some(value) = attr.values.iter().next() else {
                        return Err(Refusal::CmsMalformed("empty attribute"));
                    };
                    let value = value
                        .to_der()
                        .map_err(|_| Refusal::CmsMalformed("attribute"))?;
                    match attr.oid {
                        oids::ATTR_CONTENT_TYPE => {
                            let ct = const_oid::ObjectIdentifier::from_der(&value)
                                .map_err(|_| Refusal::CmsMalformed("contentType"))?;
                            if ct != sd.encap_content_info.econtent_type {
                                return Err(Refusal::SignatureInvalid);
                            }
                        }
                        oids::ATTR_MESSAGE_DIGEST => {
                            let md = OctetString::from_der(&value)
                                .map_err(|_| Refusal::CmsMalformed("messageDigest"))?;
                            if md.as_bytes() != digest.digest(&content).as_slice() {
                                return Err(Refusal::SignatureInvalid);
                            }
                            saw_digest = true;
                        }
                        oids::ATTR_SIGNING_TIME => {
                            let t = Time::from_der(&value)
                                .map_err(|_| Refusal::CmsMalformed("signingTime"))?;
                            signing_time = Some(crate::sign::chrono_of(&t));
                        }
                        _ => {}
                    }
                }
                if !saw_digest {
                    return Err(Refusal::CmsMalformed("messageDigest missing"));
                }
                raw_attrs.clone()
            }
            (None, None) => content.clone(),
            _ => return Err(Refusal::CmsMalformed("signed attributes")),
        };
        match scheme.verify(
            spki,
            &si.signature_algorithm,
            digest,
            &signed_bytes,
            si.signature.as_bytes(),
        ) {
            Ok(()) => {}
            Err(AlgError::Unsupported) => return Err(Refusal::UnsupportedAlgorithm),
            Err(AlgError::Invalid) => return Err(Refusal::SignatureInvalid),
        }

        let cert_der = cert
            .to_der()
            .map_err(|_| Refusal::CmsMalformed("certificate"))?;
        let chain = self.chain(&cert, &cert_der, &certs)?;

        // Validity at the time judged and at the signing time, every link.
        for moment in std::iter::once(at).chain(signing_time) {
            for c in &chain.path {
                let v = &c.tbs_certificate.validity;
                if moment > crate::sign::chrono_of(&v.not_after) {
                    return Err(Refusal::CertificateExpired);
                }
                if moment < crate::sign::chrono_of(&v.not_before) {
                    return Err(Refusal::CertificateNotYetValid);
                }
            }
        }
        // Revoked as of the time judged.
        if chain.revoked_at.iter().flatten().any(|when| *when <= at) {
            return Err(Refusal::CertificateRevoked);
        }
        if !non_repudiation(&cert) {
            return Err(Refusal::KeyUsage);
        }
        let iin = holder
            .iin
            .clone()
            .filter(|i| {
                qyzmet_domain::Iin::parse_accepting_test(i, self.config.accept_test_iins).is_ok()
            })
            .ok_or(Refusal::CertificateNoIin)?;

        Ok(Verified {
            holder,
            iin,
            serial: hex(cert.tbs_certificate.serial_number.as_bytes()),
            issuer: crate::name::display(&cert.tbs_certificate.issuer),
            signing_time,
            certificate: cert_der,
            content,
            algorithm: format!("{} with {}", scheme.name(), digest.name()),
        })
    }

    /// The checked chain of `cert`, from the cache or built now.
    fn chain(
        &self,
        cert: &Certificate,
        der: &[u8],
        extra: &[Certificate],
    ) -> Result<Chain, Refusal> {
        let key: [u8; 32] = sha2::Sha256::digest(der).into();
        if let Some(c) = self.chains.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let chain = self.build_chain(cert, extra)?;
        if let Ok(mut m) = self.chains.lock() {
            if m.len() >= MAX_CACHED {
                m.clear();
            }
            m.insert(key, chain.clone());
        }
        Ok(chain)
    }

    fn build_chain(&self, cert: &Certificate, extra: &[Certificate]) -> Result<Chain, Refusal> {
        let mut path = vec![cert.clone()];
        loop {
            let current = path.last().cloned().ok_or(Refusal::CertificateUntrusted)?;
            // The current certificate is itself an anchor.
            if self.config.anchors.iter().any(|a| a == &current) {
                break;
            }
            if path.len() > MAX_DEPTH {
                return Err(Refusal::CertificateUntrusted);
            }
            let issuer_name = &current.tbs_certificate.issuer;
            // An anchor that signed it ends the path; otherwise a CA
            // certificate from the CMS or the configuration.
            let anchor = self
                .config
                .anchors
                .iter()
                .find(|a| &a.tbs_certificate.subject == issuer_name && signed_by(&current, a));
            if let Some(a) = anchor {
                path.push(a.clone());
                break;
            }
            let next = extra
                .iter()
                .chain(&self.config.intermediates)
                .find(|c| {
                    &c.tbs_certificate.subject == issuer_name
                        && *c != &current
                        && !path.contains(c)
                        && is_ca(c)
                        && signed_by(&current, c)
                })
                .ok_or(Refusal::CertificateUntrusted)?;
            path.push(next.clone());
        }
        let mut revoked_at = Vec::new();
        for (i, c) in path.iter().enumerate() {
            if i + 1 == path.len() && path.len() > 1 {
                break; // the anchor is trusted as configured
            }
            let issuer = path.get(i + 1).unwrap_or(c);
            revoked_at.push(self.revocation(c, issuer));
        }
        Ok(Chain { path, revoked_at })
    }

    /// When `cert` was revoked per the configured CRLs its issuer signed.
    fn revocation(&self, cert: &Certificate, issuer: &Certificate) -> Option<DateTime<Utc>> {
        let serial = &cert.tbs_certificate.serial_number;
        let mut earliest: Option<DateTime<Utc>> = None;
        for crl in &self.config.crls {
            if crl.tbs_cert_list.issuer != cert.tbs_certificate.issuer {
                continue;
            }
            let Ok(tbs) = crl.tbs_cert_list.to_der() else {
                continue;
            };
            let Some(sig) = crl.signature.as_bytes() else {
                continue;
            };
            if verify_issued(
                &issuer.tbs_certificate.subject_public_key_info,
                &crl.signature_algorithm,
                &tbs,
                sig,
            )
            .is_err()
            {
                continue; // a CRL its issuer did not sign says nothing
            }
            for entry in crl.tbs_cert_list.revoked_certificates.iter().flatten() {
                if &entry.serial_number == serial {
                    let when = crate::sign::chrono_of(&entry.revocation_date);
                    earliest = Some(earliest.map_or(when, |e| e.min(when)));
                }
            }
        }
        earliest
    }
}

fn find_signer<'a>(sid: &SignerIdentifier, certs: &'a [Certificate]) -> Option<&'a Certificate> {
    certs.iter().find(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.tbs_certificate.issuer == ias.issuer
                && c.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            extension::<SubjectKeyIdentifier>(c, oids::EXT_SUBJECT_KEY_ID)
                .is_some_and(|s| s.0 == ski.0)
        }
    })
}

fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(sig) = cert.signature.as_bytes() else {
        return false;
    };
    verify_issued(
        &issuer.tbs_certificate.subject_public_key_info,
        &cert.signature_algorithm,
        &tbs,
        sig,
    )
    .is_ok()
}

fn extension<'a, T: Decode<'a>>(
    cert: &'a Certificate,
    oid: const_oid::ObjectIdentifier,
) -> Option<T> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == oid)
        .and_then(|e| T::from_der(e.extn_value.as_bytes()).ok())
}

fn is_ca(cert: &Certificate) -> bool {
    extension::<BasicConstraints>(cert, oids::EXT_BASIC_CONSTRAINTS).is_some_and(|b| b.ca)
}

/// The national CA's signing keys carry nonRepudiation; its authentication
/// keys do not.
fn non_repudiation(cert: &Certificate) -> bool {
    extension::<KeyUsage>(cert, oids::EXT_KEY_USAGE)
        .is_some_and(|ku| ku.0.contains(KeyUsages::NonRepudiation))
}

/// The DER of a signature file as people hand them in: DER as is, PEM
/// (`CMS`/`PKCS7`), or bare base64 (what NCALayer returns). Anything else
/// is passed on unchanged and judged `cms-malformed`.
pub fn cms_bytes(input: &[u8]) -> Vec<u8> {
    if input.first() == Some(&0x30) {
        return input.to_vec();
    }
    if let Ok(blocks) = pem_blocks(input) {
        if let Some((_, der)) = blocks.into_iter().next() {
            return der;
        }
    }
    let text: Vec<u8> = input
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    match base64ct::Base64::decode_vec(std::str::from_utf8(&text).unwrap_or("")) {
        Ok(der) if der.first() == Some(&0x30) => der,
        _ => input.to_vec(),
    }
}
