//! Signature algorithms behind one trait: RSA PKCS#1 v1.5 and PSS, ECDSA
//! P-256/P-384, and GOST (the national algorithms) which answers
//! `unsupported-algorithm` until a Rust implementation exists.

use const_oid::ObjectIdentifier as Oid;
use der::{Decode, Encode};
use sha2::Digest;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};

use crate::oids;

/// Why an algorithm could not confirm a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgError {
    /// Not implemented here (GOST, an unknown digest or curve).
    Unsupported,
    /// The signature does not match, or the key or signature is malformed.
    Invalid,
}

/// A digest algorithm the verifier computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlg {
    pub fn from_oid(oid: &Oid) -> Result<DigestAlg, AlgError> {
        Ok(match *oid {
            oids::SHA1 => DigestAlg::Sha1,
            oids::SHA256 => DigestAlg::Sha256,
            oids::SHA384 => DigestAlg::Sha384,
            oids::SHA512 => DigestAlg::Sha512,
            _ => return Err(AlgError::Unsupported),
        })
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            DigestAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
            DigestAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            DigestAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            DigestAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha384 => "SHA-384",
            DigestAlg::Sha512 => "SHA-512",
        }
    }
}

/// Checks a signature over `message` by the key in `spki`.
pub trait SignatureScheme: Sync {
    /// A short name, as reports print it (`RSA PKCS#1 v1.5`).
    fn name(&self) -> &'static str;
    /// `digest` is the digest the signer declared (CMS `digestAlgorithm`),
    /// used when the signature algorithm names none (`rsaEncryption`).
    fn verify(
        &self,
        spki: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        digest: DigestAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), AlgError>;
}

/// The scheme for a signature algorithm, given the signer's key algorithm.
pub fn scheme_for(
    algorithm: &AlgorithmIdentifierOwned,
    spki: &SubjectPublicKeyInfoOwned,
) -> &'static dyn SignatureScheme {
    let sig = algorithm.oid;
    let key = spki.algorithm.oid;
    if oids::is_gost(&sig) || oids::is_gost(&key) {
        return &Gost;
    }
    match sig {
        oids::RSA_ENCRYPTION
        | oids::SHA1_WITH_RSA
        | oids::SHA256_WITH_RSA
        | oids::SHA384_WITH_RSA
        | oids::SHA512_WITH_RSA => &RsaPkcs1,
        oids::RSASSA_PSS => &RsaPss,
        oids::ECDSA_SHA256 | oids::ECDSA_SHA384 | oids::ECDSA_SHA512 => &Ecdsa,
        _ => &Unknown,
    }
}

/// The national GOST algorithms: recognised, not yet implemented.
pub struct Gost;

impl SignatureScheme for Gost {
    fn name(&self) -> &'static str {
        "GOST"
    }
    fn verify(
        &self,
        _: &SubjectPublicKeyInfoOwned,
        _: &AlgorithmIdentifierOwned,
        _: DigestAlg,
        _: &[u8],
        _: &[u8],
    ) -> Result<(), AlgError> {
        Err(AlgError::Unsupported)
    }
}

struct Unknown;

impl SignatureScheme for Unknown {
    fn name(&self) -> &'static str {
        "unknown"
    }
    fn verify(
        &self,
        _: &SubjectPublicKeyInfoOwned,
        _: &AlgorithmIdentifierOwned,
        _: DigestAlg,
        _: &[u8],
        _: &[u8],
    ) -> Result<(), AlgError> {
        Err(AlgError::Unsupported)
    }
}

fn rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<rsa::RsaPublicKey, AlgError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    if spki.algorithm.oid != oids::RSA_ENCRYPTION && spki.algorithm.oid != oids::RSASSA_PSS {
        return Err(AlgError::Invalid);
    }
    rsa::RsaPublicKey::from_pkcs1_der(spki.subject_public_key.raw_bytes())
        .map_err(|_| AlgError::Invalid)
}

/// An RSA public key's modulus and exponent, big-endian.
type RsaParts<'a> = (&'a [u8], &'a [u8]);

/// An RSA key's modulus and exponent (big-endian, without leading zeros)
/// when aws-lc verifies with it: moduli of 2,048–8,192 bits. `None` for
/// smaller ones (1,024–2,047 bits, as older certificates have), which aws-lc
/// refuses and the `rsa` crate judges; `Err` for a key that is not RSA or
/// does not parse.
fn lc_rsa_key(spki: &SubjectPublicKeyInfoOwned) -> Result<Option<RsaParts<'_>>, AlgError> {
    if spki.algorithm.oid != oids::RSA_ENCRYPTION && spki.algorithm.oid != oids::RSASSA_PSS {
        return Err(AlgError::Invalid);
    }
    let key = rsa::pkcs1::RsaPublicKey::from_der(spki.subject_public_key.raw_bytes())
        .map_err(|_| AlgError::Invalid)?;
    let (n, e) = (key.modulus.as_bytes(), key.public_exponent.as_bytes());
    let bits = match n.first() {
        Some(b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    };
    Ok((2048..=8192).contains(&bits).then_some((n, e)))
}

/// RSA PKCS#1 v1.5 (what the national CA's RSA keys and openssl make).
/// aws-lc verifies with keys of 2,048–8,192 bits; the `rsa` crate with
/// smaller ones.
pub struct RsaPkcs1;

impl SignatureScheme for RsaPkcs1 {
    fn name(&self) -> &'static str {
        "RSA PKCS#1 v1.5"
    }
    fn verify(
        &self,
        spki: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        digest: DigestAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), AlgError> {
        use aws_lc_rs::signature as rs;
        let digest = match algorithm.oid {
            oids::SHA1_WITH_RSA => DigestAlg::Sha1,
            oids::SHA256_WITH_RSA => DigestAlg::Sha256,
            oids::SHA384_WITH_RSA => DigestAlg::Sha384,
            oids::SHA512_WITH_RSA => DigestAlg::Sha512,
            _ => digest,
        };
        if let Some((n, e)) = lc_rsa_key(spki)? {
            let params = match digest {
                DigestAlg::Sha1 => &rs::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                DigestAlg::Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                DigestAlg::Sha384 => &rs::RSA_PKCS1_2048_8192_SHA384,
                DigestAlg::Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
            };
            return rs::RsaPublicKeyComponents { n, e }
                .verify(params, message, signature)
                .map_err(|_| AlgError::Invalid);
        }
        let key = rsa_key(spki)?;
        let scheme = match digest {
            DigestAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            DigestAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            DigestAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            DigestAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        key.verify(scheme, &digest.digest(message), signature)
            .map_err(|_| AlgError::Invalid)
    }
}

/// RSASSA-PSS with its parameters (hash, MGF1 hash, salt length).
pub struct RsaPss;

#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mgf: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_len: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer: Option<u32>,
}

impl SignatureScheme for RsaPss {
    fn name(&self) -> &'static str {
        "RSA-PSS"
    }
    fn verify(
        &self,
        spki: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        _: DigestAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), AlgError> {
        let params = match &algorithm.parameters {
            Some(p) => PssParams::from_der(&p.to_der().map_err(|_| AlgError::Invalid)?)
                .map_err(|_| AlgError::Invalid)?,
            None => return Err(AlgError::Invalid),
        };
        // Defaults of RFC 4055: SHA-1, MGF1 with SHA-1, salt 20.
        let hash = match &params.hash {
            Some(h) => DigestAlg::from_oid(&h.oid)?,
            None => DigestAlg::Sha1,
        };
        if let Some(mgf) = &params.mgf {
            if mgf.oid != oids::MGF1 {
                return Err(AlgError::Unsupported);
            }
            let inner = mgf
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .and_then(|d| AlgorithmIdentifierOwned::from_der(&d).ok())
                .ok_or(AlgError::Invalid)?;
            if DigestAlg::from_oid(&inner.oid)? != hash {
                return Err(AlgError::Unsupported); // differing MGF hash: never seen in practice
            }
        } else if hash != DigestAlg::Sha1 {
            return Err(AlgError::Invalid);
        }
        if params.trailer.unwrap_or(1) != 1 {
            return Err(AlgError::Invalid);
        }
        let salt = params.salt_len.unwrap_or(20) as usize;
        // aws-lc verifies PSS with the salt as long as the hash (what RFC 8017
        // recommends and signers use), SHA-256 and longer, keys of
        // 2,048–8,192 bits; the `rsa` crate everything else.
        let lc_params = match hash {
            DigestAlg::Sha256 if salt == 32 => {
                Some(&aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256)
            }
            DigestAlg::Sha384 if salt == 48 => {
                Some(&aws_lc_rs::signature::RSA_PSS_2048_8192_SHA384)
            }
            DigestAlg::Sha512 if salt == 64 => {
                Some(&aws_lc_rs::signature::RSA_PSS_2048_8192_SHA512)
            }
            _ => None,
        };
        if let (Some(lc_params), Some((n, e))) = (lc_params, lc_rsa_key(spki)?) {
            return aws_lc_rs::signature::RsaPublicKeyComponents { n, e }
                .verify(lc_params, message, signature)
                .map_err(|_| AlgError::Invalid);
        }
        let key = rsa_key(spki)?;
        let scheme = match hash {
            DigestAlg::Sha1 => rsa::Pss::new_with_salt::<sha1::Sha1>(salt),
            DigestAlg::Sha256 => rsa::Pss::new_with_salt::<sha2::Sha256>(salt),
            DigestAlg::Sha384 => rsa::Pss::new_with_salt::<sha2::Sha384>(salt),
            DigestAlg::Sha512 => rsa::Pss::new_with_salt::<sha2::Sha512>(salt),
        };
        key.verify(scheme, &hash.digest(message), signature)
            .map_err(|_| AlgError::Invalid)
    }
}

/// ECDSA on P-256 or P-384 (the curve from the key).
pub struct Ecdsa;

impl SignatureScheme for Ecdsa {
    fn name(&self) -> &'static str {
        "ECDSA"
    }
    fn verify(
        &self,
        spki: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        _: DigestAlg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), AlgError> {
        use signature::hazmat::PrehashVerifier;
        let hash = match algorithm.oid {
            oids::ECDSA_SHA256 => DigestAlg::Sha256,
            oids::ECDSA_SHA384 => DigestAlg::Sha384,
            _ => DigestAlg::Sha512,
        };
        if spki.algorithm.oid != oids::EC_PUBLIC_KEY {
            return Err(AlgError::Invalid);
        }
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<Oid>().ok())
            .ok_or(AlgError::Invalid)?;
        let point = spki.subject_public_key.raw_bytes();
        let prehash = hash.digest(message);
        match curve {
            oids::SECP256R1 => {
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| AlgError::Invalid)?;
                let sig =
                    p256::ecdsa::Signature::from_der(signature).map_err(|_| AlgError::Invalid)?;
                key.verify_prehash(&prehash, &sig)
                    .map_err(|_| AlgError::Invalid)
            }
            oids::SECP384R1 => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map_err(|_| AlgError::Invalid)?;
                let sig =
                    p384::ecdsa::Signature::from_der(signature).map_err(|_| AlgError::Invalid)?;
                key.verify_prehash(&prehash, &sig)
                    .map_err(|_| AlgError::Invalid)
            }
            _ => Err(AlgError::Unsupported),
        }
    }
}

/// Verifies a certificate's or CRL's signature by its issuer's key.
pub fn verify_issued(
    issuer: &SubjectPublicKeyInfoOwned,
    algorithm: &AlgorithmIdentifierOwned,
    tbs: &[u8],
    signature: &[u8],
) -> Result<(), AlgError> {
    scheme_for(algorithm, issuer).verify(issuer, algorithm, DigestAlg::Sha256, tbs, signature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;
    use spki::EncodePublicKey;

    fn spki_of(key: &rsa::RsaPrivateKey) -> SubjectPublicKeyInfoOwned {
        let der = key.to_public_key().to_public_key_der().unwrap();
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).unwrap()
    }

    fn sha256_with_rsa() -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: oids::SHA256_WITH_RSA,
            parameters: Some(der::asn1::Any::null()),
        }
    }

    /// aws-lc's PKCS#1 v1.5 verdict agrees with the `rsa` crate's on good
    /// signatures and on every kind of bad one, at two key sizes; a
    /// 1,024-bit key, which aws-lc refuses, is judged by the `rsa` crate.
    #[test]
    fn pkcs1_verdicts_agree_with_the_rsa_crate() {
        for bits in [1024, 2048, 3072] {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).unwrap();
            let public = key.to_public_key();
            let spki = spki_of(&key);
            assert_eq!(
                lc_rsa_key(&spki).unwrap().is_some(),
                bits >= 2048,
                "{bits} bits"
            );
            let scheme = || rsa::Pkcs1v15Sign::new::<sha2::Sha256>();
            let message = b"to_sign".as_slice();
            let sig = key
                .sign(scheme(), &DigestAlg::Sha256.digest(message))
                .unwrap();
            let judge = |message: &[u8], sig: &[u8]| {
                let ours =
                    RsaPkcs1.verify(&spki, &sha256_with_rsa(), DigestAlg::Sha1, message, sig);
                let theirs = public
                    .verify(scheme(), &DigestAlg::Sha256.digest(message), sig)
                    .map_err(|_| AlgError::Invalid);
                assert_eq!(ours, theirs, "{bits} bits");
                ours
            };
            assert_eq!(judge(message, &sig), Ok(()));
            assert_eq!(judge(b"to_sigm", &sig), Err(AlgError::Invalid));
            let mut flipped = sig.clone();
            flipped[100] ^= 0x40;
            assert_eq!(judge(message, &flipped), Err(AlgError::Invalid));
            assert_eq!(judge(message, &sig[1..]), Err(AlgError::Invalid));
            let mut longer = vec![0];
            longer.extend_from_slice(&sig);
            assert_eq!(judge(message, &longer), Err(AlgError::Invalid));
            let n = public.n().to_bytes_be();
            assert_eq!(judge(message, &n), Err(AlgError::Invalid));
            assert_eq!(judge(message, &[]), Err(AlgError::Invalid));
            // Another digest declared than the one signed.
            let sha384 = AlgorithmIdentifierOwned {
                oid: oids::SHA384_WITH_RSA,
                parameters: Some(der::asn1::Any::null()),
            };
            assert_eq!(
                RsaPkcs1.verify(&spki, &sha384, DigestAlg::Sha256, message, &sig),
                Err(AlgError::Invalid)
            );
            // rsaEncryption takes the digest the signer declared.
            let plain = AlgorithmIdentifierOwned {
                oid: oids::RSA_ENCRYPTION,
                parameters: Some(der::asn1::Any::null()),
            };
            assert_eq!(
                RsaPkcs1.verify(&spki, &plain, DigestAlg::Sha256, message, &sig),
                Ok(())
            );
            assert_eq!(
                RsaPkcs1.verify(&spki, &plain, DigestAlg::Sha512, message, &sig),
                Err(AlgError::Invalid)
            );
        }
    }

    fn pss(hash: Oid, salt: u32) -> AlgorithmIdentifierOwned {
        let h = AlgorithmIdentifierOwned {
            oid: hash,
            parameters: None,
        };
        let params = PssParams {
            hash: Some(h.clone()),
            mgf: Some(AlgorithmIdentifierOwned {
                oid: oids::MGF1,
                parameters: Some(der::asn1::Any::encode_from(&h).unwrap()),
            }),
            salt_len: Some(salt),
            trailer: None,
        };
        AlgorithmIdentifierOwned {
            oid: oids::RSASSA_PSS,
            parameters: Some(der::asn1::Any::from_der(&params.to_der().unwrap()).unwrap()),
        }
    }

    /// PSS with the salt as long as the hash goes to aws-lc, other salts to
    /// the `rsa` crate; both accept the good signature and refuse a bad one.
    #[test]
    fn pss_signatures_verify_with_either_salt() {
        let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
        let spki = spki_of(&key);
        let message = b"to_sign".as_slice();
        for (hash, salt) in [
            (DigestAlg::Sha256, 32),
            (DigestAlg::Sha256, 20),
            (DigestAlg::Sha384, 48),
            (DigestAlg::Sha512, 64),
        ] {
            let (oid, scheme) = match hash {
                DigestAlg::Sha256 => (oids::SHA256, rsa::Pss::new_with_salt::<sha2::Sha256>(salt)),
                DigestAlg::Sha384 => (oids::SHA384, rsa::Pss::new_with_salt::<sha2::Sha384>(salt)),
                _ => (oids::SHA512, rsa::Pss::new_with_salt::<sha2::Sha512>(salt)),
            };
            let sig = key
                .sign_with_rng(&mut rand_core::OsRng, scheme, &hash.digest(message))
                .unwrap();
            let alg = pss(oid, salt as u32);
            assert_eq!(
                RsaPss.verify(&spki, &alg, DigestAlg::Sha256, message, &sig),
                Ok(()),
                "{hash:?} salt {salt}"
            );
            assert_eq!(
                RsaPss.verify(&spki, &alg, DigestAlg::Sha256, b"to_sigm", &sig),
                Err(AlgError::Invalid)
            );
            // Declared with another salt length than signed.
            let other = pss(oid, salt as u32 + 1);
            assert_eq!(
                RsaPss.verify(&spki, &other, DigestAlg::Sha256, message, &sig),
                Err(AlgError::Invalid),
                "{hash:?} salt {salt}"
            );
        }
    }
}
