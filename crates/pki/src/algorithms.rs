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

/// RSA PKCS#1 v1.5 (what the national CA's RSA keys and openssl make).
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
        let digest = match algorithm.oid {
            oids::SHA1_WITH_RSA => DigestAlg::Sha1,
            oids::SHA256_WITH_RSA => DigestAlg::Sha256,
            oids::SHA384_WITH_RSA => DigestAlg::Sha384,
            oids::SHA512_WITH_RSA => DigestAlg::Sha512,
            _ => digest,
        };
        let key = rsa_key(spki)?;
        let scheme = match digest {
            DigestAlg::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            DigestAlg::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            DigestAlg::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            DigestAlg::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        let hashed = digest.digest(message);
        match fast_rsa::pkcs1v15_verify(&key, &scheme, &hashed, signature) {
            Some(verdict) => verdict,
            None => key
                .verify(scheme, &hashed, signature)
                .map_err(|_| AlgError::Invalid),
        }
    }
}

/// RSA's public operation (`s^e mod n`) in Montgomery form with
/// crypto-bigint, for PKCS#1 v1.5: the `rsa` crate's num-bigint-dig
/// arithmetic made it most of a CMS verification. The Montgomery constants
/// of a modulus are computed once and kept (a signer's key verifies many
/// signatures). Moduli of 1025–4096 bits; others go to the `rsa` crate.
mod fast_rsa {
    use super::AlgError;
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    use crypto_bigint::{Uint, U2048, U3072, U4096};
    use rsa::traits::PublicKeyParts;
    use std::any::Any;
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};

    /// Montgomery constants by modulus (big-endian bytes); cleared when it
    /// holds this many, so a stream of new keys cannot grow it without end.
    const CACHED_KEYS: usize = 512;
    type Cache = Mutex<HashMap<Vec<u8>, Arc<dyn Any + Send + Sync>>>;
    static PARAMS: LazyLock<Cache> = LazyLock::new(Cache::default);

    /// The PKCS#1 v1.5 verdict (RFC 8017 §8.2.2: encode what was expected
    /// and compare), or `None` when this size of key is left to the `rsa`
    /// crate.
    pub(super) fn pkcs1v15_verify(
        key: &rsa::RsaPublicKey,
        scheme: &rsa::Pkcs1v15Sign,
        hashed: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), AlgError>> {
        let n = key.n().to_bytes_be();
        let e = key.e().to_bytes_be();
        let k = n.len();
        if signature.len() != k || scheme.hash_len.is_some_and(|l| l != hashed.len()) {
            return Some(Err(AlgError::Invalid));
        }
        let em = match k {
            129..=256 => public_op::<{ U2048::LIMBS }>(&n, &e, signature),
            257..=384 => public_op::<{ U3072::LIMBS }>(&n, &e, signature),
            385..=512 => public_op::<{ U4096::LIMBS }>(&n, &e, signature),
            _ => return None,
        }?;
        let em = match em {
            Ok(em) => em,
            Err(e) => return Some(Err(e)),
        };
        let t_len = scheme.prefix.len() + hashed.len();
        if k < t_len + 11 {
            return Some(Err(AlgError::Invalid));
        }
        let mut expected = Vec::with_capacity(k);
        expected.extend_from_slice(&[0x00, 0x01]);
        expected.resize(k - t_len - 1, 0xff);
        expected.push(0x00);
        expected.extend_from_slice(&scheme.prefix);
        expected.extend_from_slice(hashed);
        Some(if em == expected {
            Ok(())
        } else {
            Err(AlgError::Invalid)
        })
    }

    /// `s^e mod n` as `k` big-endian bytes (`k` = the modulus's length);
    /// `None` if a number does not fit or `n` is even (the `rsa` crate then
    /// judges).
    fn public_op<const L: usize>(
        n: &[u8],
        e: &[u8],
        s: &[u8],
    ) -> Option<Result<Vec<u8>, AlgError>> {
        let (modulus, exponent, sig) = (uint::<L>(n)?, uint::<L>(e)?, uint::<L>(s)?);
        if n.last().is_none_or(|b| b & 1 == 0) {
            return None;
        }
        if sig >= modulus {
            return Some(Err(AlgError::Invalid));
        }
        let params = params::<L>(n, &modulus);
        let m = DynResidue::new(&sig, params)
            .pow_bounded_exp(&exponent, exponent.bits())
            .retrieve();
        let mut out = Vec::with_capacity(Uint::<L>::BYTES);
        for w in m.as_words().iter().rev() {
            out.extend_from_slice(&w.to_be_bytes());
        }
        Some(Ok(out.split_off(out.len() - n.len())))
    }

    fn uint<const L: usize>(be: &[u8]) -> Option<Uint<L>> {
        let size = Uint::<L>::BYTES;
        if be.len() > size {
            return None;
        }
        let mut buf = vec![0u8; size];
        buf[size - be.len()..].copy_from_slice(be);
        Some(Uint::from_be_slice(&buf))
    }

    fn params<const L: usize>(n: &[u8], modulus: &Uint<L>) -> DynResidueParams<L> {
        let cache = PARAMS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache
            .get(n)
            .and_then(|p| p.downcast_ref::<DynResidueParams<L>>())
        {
            return *p;
        }
        drop(cache);
        let p = DynResidueParams::new(modulus);
        let mut cache = PARAMS.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHED_KEYS {
            cache.clear();
        }
        cache.insert(n.to_vec(), Arc::new(p));
        p
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
    use super::fast_rsa::pkcs1v15_verify;
    use super::AlgError;
    use rsa::traits::PublicKeyParts;

    /// The Montgomery path agrees with the `rsa` crate on good signatures
    /// and on every kind of bad one, at two key sizes.
    #[test]
    fn the_fast_public_operation_agrees_with_the_rsa_crate() {
        for bits in [2048, 3072] {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).unwrap();
            let public = key.to_public_key();
            let scheme = || rsa::Pkcs1v15Sign::new::<sha2::Sha256>();
            let hashed = <sha2::Sha256 as sha2::Digest>::digest(b"to_sign").to_vec();
            let sig = key.sign(scheme(), &hashed).unwrap();
            let judge = |hashed: &[u8], sig: &[u8]| {
                let fast = pkcs1v15_verify(&public, &scheme(), hashed, sig)
                    .expect("this key size takes the fast path");
                let slow = public
                    .verify(scheme(), hashed, sig)
                    .map_err(|_| AlgError::Invalid);
                assert_eq!(fast, slow, "{bits} bits");
                fast
            };
            assert_eq!(judge(&hashed, &sig), Ok(()));
            let mut other = hashed.clone();
            other[0] ^= 1;
            assert_eq!(judge(&other, &sig), Err(AlgError::Invalid));
            let mut flipped = sig.clone();
            flipped[100] ^= 0x40;
            assert_eq!(judge(&hashed, &flipped), Err(AlgError::Invalid));
            assert_eq!(judge(&hashed, &sig[1..]), Err(AlgError::Invalid));
            let n = public.n().to_bytes_be();
            assert_eq!(judge(&hashed, &n), Err(AlgError::Invalid));
            assert_eq!(judge(&hashed[..31], &sig), Err(AlgError::Invalid));
        }
    }
}
