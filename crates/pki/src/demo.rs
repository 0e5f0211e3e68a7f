//! The demo certification authority (contract.md "Portal signing"): a root,
//! an intermediate that issues the users' keys, a CRL, and PKCS#12 files in
//! `DATA/demo-pki/`, made once and kept. [`Authority`] issues certificates
//! in the national CA's subject format, also for tests.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode, EncodePem};
use pkcs8::EncodePrivateKey;
use sha1::Digest;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Validity;
use x509_cert::Certificate;

use crate::sign::{time_of, Key};
use crate::{name, oids, PkiError, Signer};

/// The password of every demo PKCS#12 file.
pub const PASSWORD: &str = "demo";

/// The PKCS#12 files of the demo PKI, by file stem (contract.md).
pub const KEYS: [&str; 6] = [
    "871008401427",
    "871008401427-revoked",
    "871008401427-expired",
    "760212350620",
    "head",
    "operator",
];

/// Where the demo PKI's files are.
#[derive(Clone, Debug)]
pub struct DemoPki {
    pub dir: PathBuf,
    /// `ca.pem`: the root, the trust anchor.
    pub ca: PathBuf,
    /// `intermediate.pem`: the CA that issues the users' keys.
    pub intermediate: PathBuf,
    /// `crl.pem`: the intermediate's CRL (listing the revoked key) and the
    /// root's.
    pub crl: PathBuf,
}

impl DemoPki {
    /// The PKCS#12 file of one of [`KEYS`].
    pub fn p12(&self, stem: &str) -> PathBuf {
        self.dir.join(format!("{stem}.p12"))
    }

    /// Opens one of the demo keys.
    pub fn signer(&self, stem: &str) -> Result<Signer, PkiError> {
        let path = self.p12(stem);
        let der = std::fs::read(&path).map_err(|e| PkiError::io(&path, e))?;
        Signer::from_p12(&der, PASSWORD)
    }
}

/// Makes the demo PKI in `dir` unless every file of it is there already
/// (an existing one is kept, so keys handed out stay valid).
pub fn ensure(dir: &Path) -> Result<DemoPki, PkiError> {
    ensure_at(dir, Utc::now())
}

/// As [`ensure`], with its keys valid around `now` rather than today's
/// date: for a server (a test) whose clock is set to another day.
pub fn ensure_at(dir: &Path, now: DateTime<Utc>) -> Result<DemoPki, PkiError> {
    let pki = DemoPki {
        dir: dir.to_path_buf(),
        ca: dir.join("ca.pem"),
        intermediate: dir.join("intermediate.pem"),
        crl: dir.join("crl.pem"),
    };
    let complete = [&pki.ca, &pki.intermediate, &pki.crl]
        .into_iter()
        .cloned()
        .chain(KEYS.iter().map(|k| pki.p12(k)))
        .all(|p| p.is_file());
    if complete {
        return Ok(pki);
    }
    std::fs::create_dir_all(dir).map_err(|e| PkiError::io(dir, e))?;
    create(&pki, now)?;
    Ok(pki)
}

/// From, to.
type Period = (DateTime<Utc>, DateTime<Utc>);

fn create(pki: &DemoPki, now: DateTime<Utc>) -> Result<(), PkiError> {
    // The authorities predate the expired key, so that key was once valid.
    let since = now - Duration::days(365 * 3);
    let root = Authority::root("Qyzmet Demo Root CA", since, now + Duration::days(365 * 20))?;
    let sub = root.subordinate(
        "Qyzmet Demo ҰКО (RSA)",
        since,
        now + Duration::days(365 * 10),
    )?;
    // From a month back: the demo's sample histories begin up to twelve
    // days ago, and what was signed in them (the State Corporation's
    // package, the head's seal) is judged as of then.
    let valid = (now - Duration::days(30), now + Duration::days(365 * 2));
    let expired = (now - Duration::days(365 * 2), now - Duration::days(365));
    let individual =
        |surname, given, patronymic, iin| name::individual(surname, given, patronymic, iin);
    let people: [(&str, Name, Period, Oid); 6] = [
        (
            "871008401427",
            individual("ДЕМОВА", "АЙГҮЛ", "СЕРІКҚЫЗЫ", "871008401427")?,
            valid,
            oids::KP_INDIVIDUAL,
        ),
        (
            "871008401427-revoked",
            individual("ДЕМОВА", "АЙГҮЛ", "СЕРІКҚЫЗЫ", "871008401427")?,
            valid,
            oids::KP_INDIVIDUAL,
        ),
        (
            "871008401427-expired",
            individual("ДЕМОВА", "АЙГҮЛ", "СЕРІКҚЫЗЫ", "871008401427")?,
            expired,
            oids::KP_INDIVIDUAL,
        ),
        (
            "760212350620",
            individual("ДЕМОВ", "ДӘУРЕН", "АСАНҰЛЫ", "760212350620")?,
            valid,
            oids::KP_INDIVIDUAL,
        ),
        (
            "head",
            name::employee(
                "БАСШЫ",
                "ДЕМО",
                "ДЕМОҰЛЫ",
                HEAD_IIN,
                PROVIDER_NAME,
                PROVIDER_BIN,
            )?,
            valid,
            oids::KP_ORG_HEAD,
        ),
        (
            "operator",
            name::employee(
                "ОПЕРАТОР",
                "ДЕМО",
                "ДЕМОҚЫЗЫ",
                OPERATOR_IIN,
                STATE_CORPORATION_NAME,
                STATE_CORPORATION_BIN,
            )?,
            valid,
            oids::KP_ORG_EMPLOYEE,
        ),
    ];
    let mut revoked = Vec::new();
    for (stem, subject, (from, to), purpose) in people {
        let key = Key::generate_rsa()?;
        let cert = sub.issue(&Profile::signing(subject, from, to, purpose), &key)?;
        if stem.ends_with("-revoked") {
            revoked.push((
                cert.tbs_certificate.serial_number.clone(),
                now - Duration::minutes(1),
            ));
        }
        let p12 = pkcs12(&key, &[cert, sub.cert.clone(), root.cert.clone()])?;
        write(&pki.p12(stem), &p12)?;
    }
    write(
        &pki.ca,
        root.cert.to_pem(der::pem::LineEnding::LF)?.as_bytes(),
    )?;
    write(
        &pki.intermediate,
        sub.cert.to_pem(der::pem::LineEnding::LF)?.as_bytes(),
    )?;
    let mut crls = crl_pem(&sub.crl(&revoked, now)?)?;
    crls.push_str(&crl_pem(&root.crl(&[], now)?)?);
    write(&pki.crl, crls.as_bytes())
}

/// Demo holders' IINs (valid check digits; not in the registries).
pub const HEAD_IIN: &str = "800101300016";
pub const OPERATOR_IIN: &str = "850505400028";
/// Demo organisations' BINs: clearly demo numbers.
pub const PROVIDER_BIN: &str = "000140000012";
pub const STATE_CORPORATION_BIN: &str = "000240000026";
const PROVIDER_NAME: &str = "Отдел образования города Караганды (демо)";
const STATE_CORPORATION_NAME: &str =
    "Государственная корпорация «Правительство для граждан» (демо)";

/// A CRL as PEM (`X509 CRL`, as openssl writes it).
pub fn crl_pem(crl: &CertificateList) -> Result<String, PkiError> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, &crl.to_der()?)
        .map_err(|e| PkiError::Encoding(e.to_string()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PkiError> {
    std::fs::write(path, bytes).map_err(|e| PkiError::io(path, e))
}

/// A PKCS#12 file (AES-256/PBKDF2, HMAC-SHA256) with the key and its chain.
pub(crate) fn pkcs12(key: &Key, chain: &[Certificate]) -> Result<Vec<u8>, PkiError> {
    let mut certs = Vec::new();
    for c in chain {
        certs.push(
            p12_keystore::Certificate::from_der(&c.to_der()?)
                .map_err(|e| PkiError::Encoding(e.to_string()))?,
        );
    }
    let local_id = sha1::Sha1::digest(chain[0].to_der()?).to_vec();
    let kc = p12_keystore::PrivateKeyChain::new(key.pkcs8()?, local_id, certs);
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry("signing", p12_keystore::KeyStoreEntry::PrivateKeyChain(kc));
    store
        .writer(PASSWORD)
        .write()
        .map_err(|e| PkiError::Crypto(e.to_string()))
}

/// What a certificate to issue says.
#[derive(Clone, Debug)]
pub struct Profile {
    pub subject: Name,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key_usage: Vec<KeyUsages>,
    pub ext_key_usage: Vec<Oid>,
    /// `Some(path length)` for a CA.
    pub ca: Option<u8>,
    /// Recorded for when a network exists; never fetched.
    pub crl_distribution_point: Option<String>,
}

impl Profile {
    /// A signing key as the national CA issues it: digitalSignature +
    /// nonRepudiation, with the key-user purpose and e-mail protection.
    pub fn signing(
        subject: Name,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
        purpose: Oid,
    ) -> Profile {
        Profile {
            subject,
            not_before,
            not_after,
            key_usage: vec![KeyUsages::DigitalSignature, KeyUsages::NonRepudiation],
            ext_key_usage: vec![oids::KP_EMAIL_PROTECTION, purpose],
            ca: None,
            crl_distribution_point: Some("http://crl.demo.qyzmet.invalid/demo.crl".into()),
        }
    }

    /// An authentication key: digitalSignature + keyEncipherment, clientAuth;
    /// the verifier refuses it for signing (`key-usage`).
    pub fn authentication(
        subject: Name,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Profile {
        Profile {
            key_usage: vec![KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment],
            ext_key_usage: vec![oids::KP_CLIENT_AUTH, oids::KP_INDIVIDUAL],
            ..Profile::signing(subject, not_before, not_after, oids::KP_INDIVIDUAL)
        }
    }
}

/// A certification authority whose key is in memory.
pub struct Authority {
    key: Key,
    pub cert: Certificate,
}

impl Authority {
    /// A self-signed root (RSA-2048).
    pub fn root(
        cn: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<Authority, PkiError> {
        let key = Key::generate_rsa()?;
        let subject = name::authority(cn)?;
        let profile = ca_profile(subject, not_before, not_after, 1);
        let cert = build(&profile, &key.spki()?, &profile.subject, &key, None)?;
        Ok(Authority { key, cert })
    }

    /// An intermediate CA issued by this one.
    pub fn subordinate(
        &self,
        cn: &str,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<Authority, PkiError> {
        let key = Key::generate_rsa()?;
        let profile = ca_profile(name::authority(cn)?, not_before, not_after, 0);
        let cert = self.issue(&profile, &key)?;
        Ok(Authority { key, cert })
    }

    /// Issues a certificate for `key`'s public key.
    pub fn issue(&self, profile: &Profile, subject_key: &Key) -> Result<Certificate, PkiError> {
        build(
            profile,
            &subject_key.spki()?,
            &self.cert.tbs_certificate.subject,
            &self.key,
            Some(&self.cert),
        )
    }

    /// Issues a key and certificate and packs them, with this CA's chain
    /// (`extra`), as PKCS#12 with password [`PASSWORD`].
    pub fn issue_p12(
        &self,
        profile: &Profile,
        extra: &[Certificate],
    ) -> Result<(Certificate, Vec<u8>), PkiError> {
        let key = Key::generate_rsa()?;
        let cert = self.issue(profile, &key)?;
        let mut chain = vec![cert.clone(), self.cert.clone()];
        chain.extend_from_slice(extra);
        Ok((cert, pkcs12(&key, &chain)?))
    }

    /// A CRL listing `revoked` (serial, revocation time), valid for ten
    /// years: the demo has nobody to publish fresh ones.
    pub fn crl(
        &self,
        revoked: &[(SerialNumber, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<CertificateList, PkiError> {
        let mut list = Vec::new();
        for (serial, at) in revoked {
            list.push(RevokedCert {
                serial_number: serial.clone(),
                revocation_date: time_of(*at)?,
                crl_entry_extensions: None,
            });
        }
        let tbs = TbsCertList {
            version: Version::V2,
            signature: self.key.signature_algorithm(),
            issuer: self.cert.tbs_certificate.subject.clone(),
            this_update: time_of(now - Duration::minutes(5))?,
            next_update: Some(time_of(now + Duration::days(3650))?),
            revoked_certificates: if list.is_empty() { None } else { Some(list) },
            crl_extensions: None,
        };
        let (alg, sig) = self.key.sign(&tbs.to_der()?)?;
        Ok(CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: alg,
            signature: BitString::from_bytes(&sig)?,
        })
    }
}

fn ca_profile(
    subject: Name,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    path_len: u8,
) -> Profile {
    Profile {
        subject,
        not_before,
        not_after,
        key_usage: vec![KeyUsages::KeyCertSign, KeyUsages::CRLSign],
        ext_key_usage: vec![],
        ca: Some(path_len),
        crl_distribution_point: None,
    }
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Vec<u8> {
    sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn ext<T: Encode>(oid: Oid, critical: bool, value: &T) -> Result<Extension, PkiError> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn build(
    profile: &Profile,
    spki: &SubjectPublicKeyInfoOwned,
    issuer: &Name,
    issuer_key: &Key,
    issuer_cert: Option<&Certificate>,
) -> Result<Certificate, PkiError> {
    let mut exts = Vec::new();
    if let Some(path_len) = profile.ca {
        exts.push(ext(
            oids::EXT_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(path_len),
            },
        )?);
    }
    let mut usage = KeyUsage(Default::default());
    for u in &profile.key_usage {
        usage.0 |= *u;
    }
    exts.push(ext(oids::EXT_KEY_USAGE, true, &usage)?);
    if !profile.ext_key_usage.is_empty() {
        exts.push(ext(
            oids::EXT_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(profile.ext_key_usage.clone()),
        )?);
    }
    exts.push(ext(
        oids::EXT_SUBJECT_KEY_ID,
        false,
        &SubjectKeyIdentifier(OctetString::new(key_id(spki))?),
    )?);
    let issuer_spki = match issuer_cert {
        Some(c) => c.tbs_certificate.subject_public_key_info.clone(),
        None => spki.clone(),
    };
    exts.push(ext(
        oids::EXT_AUTHORITY_KEY_ID,
        false,
        &AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(key_id(&issuer_spki))?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        },
    )?);
    if let Some(url) = &profile.crl_distribution_point {
        let dp = x509_cert::ext::pkix::crl::dp::DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(url)?),
            ])),
            reasons: None,
            crl_issuer: None,
        };
        exts.push(ext(
            oids::EXT_CRL_DP,
            false,
            &CrlDistributionPoints(vec![dp]),
        )?);
    }
    let mut serial = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut serial);
    serial[0] &= 0x7f; // positive
    serial[0] |= 0x10; // no leading zero byte to strip
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial)?,
        signature: issuer_key.signature_algorithm(),
        issuer: issuer.clone(),
        validity: Validity {
            not_before: time_of(profile.not_before)?,
            not_after: time_of(profile.not_after)?,
        },
        subject: profile.subject.clone(),
        subject_public_key_info: spki.clone(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(exts),
    };
    let (alg, sig) = issuer_key.sign(&tbs.to_der()?)?;
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&sig)?,
    })
}

impl Key {
    /// A fresh RSA-2048 key.
    pub fn generate_rsa() -> Result<Key, PkiError> {
        let k = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
            .map_err(|e| PkiError::Crypto(e.to_string()))?;
        Ok(Key::rsa(k))
    }

    /// A fresh ECDSA P-256 key.
    pub fn generate_p256() -> Key {
        Key::p256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    pub(crate) fn spki(&self) -> Result<SubjectPublicKeyInfoOwned, PkiError> {
        Ok(SubjectPublicKeyInfoOwned::from_der(&self.public_der()?)?)
    }

    pub(crate) fn pkcs8(&self) -> Result<Vec<u8>, PkiError> {
        let doc = match self {
            Key::Rsa(k) => k.private().to_pkcs8_der(),
            Key::P256(k) => k.private().to_pkcs8_der(),
            Key::P384(k) => k.to_pkcs8_der(),
        };
        Ok(doc
            .map_err(|e| PkiError::Encoding(e.to_string()))?
            .as_bytes()
            .to_vec())
    }

    fn signature_algorithm(&self) -> spki::AlgorithmIdentifierOwned {
        match self {
            Key::Rsa(_) => spki::AlgorithmIdentifierOwned {
                oid: oids::SHA256_WITH_RSA,
                parameters: Some(der::asn1::Any::null()),
            },
            Key::P256(_) => spki::AlgorithmIdentifierOwned {
                oid: oids::ECDSA_SHA256,
                parameters: None,
            },
            Key::P384(_) => spki::AlgorithmIdentifierOwned {
                oid: oids::ECDSA_SHA384,
                parameters: None,
            },
        }
    }
}
