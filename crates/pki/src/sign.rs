//! Signing: a private key with its certificate chain, loaded from PKCS#12,
//! producing CMS SignedData (RFC 5652) with the signed attributes the
//! national CA's tools write (contentType, messageDigest, signingTime).

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode, Tag};
use pkcs8::{DecodePrivateKey, PrivateKeyInfo};
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, EncodePublicKey};
use x509_cert::attr::Attribute;
use x509_cert::time::Time;
use x509_cert::Certificate;

use crate::{oids, PkiError};

/// A private key usable for signing (RSA, ECDSA P-256 or P-384).
pub enum Key {
    Rsa(Box<RsaKey>),
    P256(Box<P256Key>),
    P384(p384::ecdsa::SigningKey),
}

/// An RSA private key, with aws-lc's form of it made once when the key is
/// loaded: aws-lc signs (PKCS#1 v1.5 with SHA-256) keys of 2,048–8,192 bits
/// several times faster than the `rsa` crate; the `rsa` crate signs the
/// keys aws-lc refuses (smaller ones). PKCS#1 v1.5 is deterministic: both
/// give the same bytes for the same key and message.
pub struct RsaKey {
    key: rsa::RsaPrivateKey,
    lc: Option<aws_lc_rs::signature::RsaKeyPair>,
}

impl RsaKey {
    pub fn new(key: rsa::RsaPrivateKey) -> RsaKey {
        // PKCS#12 holds the key as PKCS#8, possibly with attributes or
        // parameters aws-lc's PKCS#8 reader does not take: aws-lc gets the
        // PKCS#1 RSAPrivateKey the `rsa` crate writes from it.
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let lc = key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| aws_lc_rs::signature::RsaKeyPair::from_der(der.as_bytes()).ok());
        RsaKey { key, lc }
    }

    /// The key as the `rsa` crate holds it.
    pub fn private(&self) -> &rsa::RsaPrivateKey {
        &self.key
    }

    /// Whether aws-lc signs with this key (else the `rsa` crate).
    pub fn by_aws_lc(&self) -> bool {
        self.lc.is_some()
    }

    /// The PKCS#1 v1.5 signature with SHA-256 of `data` (RFC 8017 §8.2.1).
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>, PkiError> {
        if let Some(pair) = &self.lc {
            let mut sig = vec![0; pair.public_modulus_len()];
            pair.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                data,
                &mut sig,
            )
            .map_err(|_| PkiError::Crypto("RSA signing failed".into()))?;
            return Ok(sig);
        }
        self.key
            .sign(
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(data),
            )
            .map_err(|e| PkiError::Crypto(e.to_string()))
    }
}

/// An ECDSA P-256 key, with aws-lc's form of it made once when the key is
/// loaded: aws-lc signs about ten times faster than the p256 crate (which
/// signs only if aws-lc refused the key). aws-lc's nonces are random, the p256
/// crate's deterministic (RFC 6979): both are valid ECDSA.
pub struct P256Key {
    key: p256::ecdsa::SigningKey,
    lc: Option<aws_lc_rs::signature::EcdsaKeyPair>,
}

impl P256Key {
    pub fn new(key: p256::ecdsa::SigningKey) -> P256Key {
        let lc = aws_lc_rs::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &key.to_bytes(),
            key.verifying_key().to_encoded_point(false).as_bytes(),
        )
        .ok();
        P256Key { key, lc }
    }

    /// The key as the p256 crate holds it.
    pub fn private(&self) -> &p256::ecdsa::SigningKey {
        &self.key
    }

    /// Whether aws-lc signs with this key (else the p256 crate).
    pub fn by_aws_lc(&self) -> bool {
        self.lc.is_some()
    }

    /// The DER ECDSA signature with SHA-256 of `data`.
    pub fn sign_sha256(&self, data: &[u8]) -> Result<Vec<u8>, PkiError> {
        use signature::Signer as _;
        if let Some(pair) = &self.lc {
            let sig = pair
                .sign(&aws_lc_rs::rand::SystemRandom::new(), data)
                .map_err(|_| PkiError::Crypto("ECDSA signing failed".into()))?;
            return Ok(sig.as_ref().to_vec());
        }
        let sig: p256::ecdsa::Signature = self
            .key
            .try_sign(data)
            .map_err(|e| PkiError::Crypto(e.to_string()))?;
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

impl Key {
    /// An ECDSA P-256 key (aws-lc's form of it made now, once).
    pub fn p256(key: p256::ecdsa::SigningKey) -> Key {
        Key::P256(Box::new(P256Key::new(key)))
    }

    /// An RSA key (aws-lc's form of it made now, once).
    pub fn rsa(key: rsa::RsaPrivateKey) -> Key {
        Key::Rsa(Box::new(RsaKey::new(key)))
    }

    pub fn from_pkcs8(der: &[u8]) -> Result<Key, PkiError> {
        let info = PrivateKeyInfo::from_der(der)?;
        let alg = info.algorithm.oid;
        if alg == oids::RSA_ENCRYPTION {
            let k = rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map_err(|e| PkiError::Encoding(e.to_string()))?;
            return Ok(Key::rsa(k));
        }
        if alg == oids::EC_PUBLIC_KEY {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|e| PkiError::Encoding(e.to_string()))?;
            if curve == oids::SECP256R1 {
                let k = p256::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map_err(|e| PkiError::Encoding(e.to_string()))?;
                return Ok(Key::p256(k));
            }
            if curve == oids::SECP384R1 {
                let k = p384::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map_err(|e| PkiError::Encoding(e.to_string()))?;
                return Ok(Key::P384(k));
            }
            return Err(PkiError::UnsupportedKey(curve.to_string()));
        }
        Err(PkiError::UnsupportedKey(alg.to_string()))
    }

    /// The DER SubjectPublicKeyInfo of the key, to match it to its
    /// certificate.
    pub(crate) fn public_der(&self) -> Result<Vec<u8>, PkiError> {
        let r = match self {
            Key::Rsa(k) => k.key.to_public_key().to_public_key_der(),
            Key::P256(k) => k.key.verifying_key().to_public_key_der(),
            Key::P384(k) => k.verifying_key().to_public_key_der(),
        };
        Ok(r.map_err(|e| PkiError::Encoding(e.to_string()))?.into_vec())
    }

    /// The digest the key signs with: SHA-384 for P-384, SHA-256 otherwise.
    fn digest_oid(&self) -> const_oid::ObjectIdentifier {
        match self {
            Key::P384(_) => oids::SHA384,
            _ => oids::SHA256,
        }
    }

    fn digest(&self, data: &[u8]) -> Vec<u8> {
        match self {
            Key::P384(_) => sha2::Sha384::digest(data).to_vec(),
            _ => sha2::Sha256::digest(data).to_vec(),
        }
    }

    /// Signs `data`, returning the signature algorithm as CMS names it and
    /// the signature bytes.
    pub(crate) fn sign(
        &self,
        data: &[u8],
    ) -> Result<(AlgorithmIdentifierOwned, Vec<u8>), PkiError> {
        use signature::Signer as _;
        match self {
            Key::Rsa(k) => Ok((
                AlgorithmIdentifierOwned {
                    oid: oids::SHA256_WITH_RSA,
                    parameters: Some(Any::null()),
                },
                k.sign_sha256(data)?,
            )),
            Key::P256(k) => Ok((
                AlgorithmIdentifierOwned {
                    oid: oids::ECDSA_SHA256,
                    parameters: None,
                },
                k.sign_sha256(data)?,
            )),
            Key::P384(k) => {
                let sig: p384::ecdsa::Signature = k
                    .try_sign(data)
                    .map_err(|e| PkiError::Crypto(e.to_string()))?;
                Ok((
                    AlgorithmIdentifierOwned {
                        oid: oids::ECDSA_SHA384,
                        parameters: None,
                    },
                    sig.to_der().as_bytes().to_vec(),
                ))
            }
        }
    }
}

/// A signing key and its certificate chain (the key's own first).
pub struct Signer {
    key: Key,
    chain: Vec<Certificate>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("Signer")
            .field(
                "subject",
                &crate::name::display(&self.chain[0].tbs_certificate.subject),
            )
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Opens a PKCS#12 file (as the national CA issues them, or as
    /// `pki demo` writes them) holding one key and its chain.
    pub fn from_p12(der: &[u8], password: &str) -> Result<Signer, PkiError> {
        let store =
            p12_keystore::KeyStore::from_pkcs12(der, password).map_err(|_| PkiError::Pkcs12)?;
        let (_, kc) = store.private_key_chain().ok_or(PkiError::NoKey)?;
        let key = Key::from_pkcs8(kc.key())?;
        let mut certs = Vec::new();
        for c in kc.chain() {
            certs.push(Certificate::from_der(c.as_der())?);
        }
        Signer::from_key(key, certs)
    }

    /// A signer from a key and certificates in any order; the one whose
    /// public key is the key's becomes the signer's certificate.
    pub fn from_key(key: Key, mut certs: Vec<Certificate>) -> Result<Signer, PkiError> {
        let public = key.public_der()?;
        let pos = certs
            .iter()
            .position(|c| {
                c.tbs_certificate
                    .subject_public_key_info
                    .to_der()
                    .is_ok_and(|d| d == public)
            })
            .ok_or(PkiError::NoKey)?;
        let leaf = certs.remove(pos);
        certs.insert(0, leaf);
        Ok(Signer { key, chain: certs })
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.chain[0]
    }

    /// The signer's certificate, DER.
    pub fn certificate_der(&self) -> Vec<u8> {
        use der::Encode;
        self.chain[0].to_der().unwrap_or_default()
    }

    /// The whole chain, the signer's certificate first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// Signs `content` now.
    pub fn sign(&self, content: &[u8], detached: bool) -> Result<Vec<u8>, PkiError> {
        self.sign_at(content, detached, chrono::Utc::now())
    }

    /// Signs `content` with the given signing time (tests judge signatures
    /// made at other times). `detached` leaves the content out of the CMS.
    pub fn sign_at(
        &self,
        content: &[u8],
        detached: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        let digest = self.key.digest(content);
        self.sign_digest_at(content, digest, detached, at)
    }

    /// A detached signature of `content` now, whose SHA-256 the caller has
    /// already computed (`sha256`): it is not hashed again unless the key
    /// signs with another digest (P-384, SHA-384).
    pub fn sign_detached_hashed(
        &self,
        content: &[u8],
        sha256: &[u8; 32],
    ) -> Result<Vec<u8>, PkiError> {
        let digest = match self.key.digest_oid() {
            oids::SHA256 => sha256.to_vec(),
            _ => self.key.digest(content),
        };
        self.sign_digest_at(content, digest, true, chrono::Utc::now())
    }

    /// [`Signer::sign_at`] with the content's `digest` (by the key's digest
    /// algorithm) given.
    fn sign_digest_at(
        &self,
        content: &[u8],
        digest: Vec<u8>,
        detached: bool,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<u8>, PkiError> {
        let digest_alg = AlgorithmIdentifierOwned {
            oid: self.key.digest_oid(),
            parameters: None,
        };

        let mut attrs = SetOfVec::new();
        attrs.insert(attribute(
            oids::ATTR_CONTENT_TYPE,
            Any::encode_from(&oids::ID_DATA)?,
        )?)?;
        attrs.insert(attribute(
            oids::ATTR_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest)?)?,
        )?)?;
        attrs.insert(attribute(
            oids::ATTR_SIGNING_TIME,
            Any::encode_from(&time_of(at)?)?,
        )?)?;
        // The signature covers the DER of the attributes as a SET OF.
        let (signature_algorithm, signature) = self.key.sign(&attrs.to_der()?)?;

        let cert = self.certificate();
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: cert.tbs_certificate.issuer.clone(),
                serial_number: cert.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: digest_alg.clone(),
            signed_attrs: Some(attrs),
            signature_algorithm,
            signature: OctetString::new(signature)?,
            unsigned_attrs: None,
        };

        // The chain without self-signed roots: the verifier has its own.
        let mut certs = SetOfVec::new();
        for c in &self.chain {
            if c.tbs_certificate.subject != c.tbs_certificate.issuer || certs.is_empty() {
                certs.insert(CertificateChoices::Certificate(c.clone()))?;
            }
        }

        let econtent = if detached {
            None
        } else {
            Some(Any::new(Tag::OctetString, content.to_vec())?)
        };
        let signed = SignedData {
            version: CmsVersion::V1,
            digest_algorithms: SetOfVec::try_from(vec![digest_alg])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oids::ID_DATA,
                econtent,
            },
            certificates: Some(CertificateSet(certs)),
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
        };
        let ci = ContentInfo {
            content_type: oids::ID_SIGNED_DATA,
            content: Any::encode_from(&signed)?,
        };
        Ok(ci.to_der()?)
    }
}

fn attribute(oid: const_oid::ObjectIdentifier, value: Any) -> Result<Attribute, PkiError> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// RFC 5280 time: UTCTime through 2049, GeneralizedTime after.
pub(crate) fn time_of(at: chrono::DateTime<chrono::Utc>) -> Result<Time, PkiError> {
    let secs =
        u64::try_from(at.timestamp()).map_err(|_| PkiError::Encoding("time before 1970".into()))?;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs))?;
    if dt.year() < 2050 {
        Ok(Time::UtcTime(der::asn1::UtcTime::from_date_time(dt)?))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

/// A certificate time as chrono.
pub(crate) fn chrono_of(t: &Time) -> chrono::DateTime<chrono::Utc> {
    let secs = t.to_unix_duration().as_secs();
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pkcs8::EncodePrivateKey;
    use signature::{SignatureEncoding, Signer as _};

    /// aws-lc's signatures are the `rsa` crate's, byte for byte (PKCS#1 v1.5
    /// is deterministic), at the sizes aws-lc signs; a 1,024-bit key, which
    /// aws-lc refuses, is signed by the `rsa` crate.
    #[test]
    fn aws_lc_signs_the_same_bytes_as_the_rsa_crate() {
        let data = b"1.2.840.113549.1.9.3 contentType, messageDigest, signingTime";
        for bits in [1024, 2048, 3072] {
            let k = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).unwrap();
            let theirs = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.clone())
                .try_sign(data)
                .unwrap()
                .to_vec();
            let key = Key::from_pkcs8(k.to_pkcs8_der().unwrap().as_bytes()).unwrap();
            let Key::Rsa(ours) = &key else {
                panic!("an RSA key")
            };
            assert_eq!(ours.by_aws_lc(), bits >= 2048, "{bits} bits");
            let (alg, sig) = key.sign(data).unwrap();
            assert_eq!(alg.oid, oids::SHA256_WITH_RSA);
            assert_eq!(sig.len(), bits / 8);
            assert_eq!(sig, theirs, "{bits} bits");
            // And another message gives another signature.
            assert_ne!(key.sign(b"other").unwrap().1, theirs);
        }
    }

    /// aws-lc's P-256 signatures verify with the p256 crate, and a changed
    /// message does not.
    #[test]
    fn aws_lc_p256_signatures_verify_with_the_p256_crate() {
        use signature::Verifier as _;
        let k = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let key = Key::from_pkcs8(k.to_pkcs8_der().unwrap().as_bytes()).unwrap();
        let Key::P256(ours) = &key else {
            panic!("a P-256 key")
        };
        assert!(ours.by_aws_lc());
        let data = b"signed attributes";
        let (alg, sig) = key.sign(data).unwrap();
        assert_eq!(alg.oid, oids::ECDSA_SHA256);
        let sig = p256::ecdsa::Signature::from_der(&sig).unwrap();
        assert!(k.verifying_key().verify(data, &sig).is_ok());
        assert!(k
            .verifying_key()
            .verify(b"signed attributez", &sig)
            .is_err());
    }
}
