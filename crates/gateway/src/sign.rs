//! Signing gateway messages and checking their signatures.
//!
//! The real gateway signs the SOAP body with WS-Security (an XML signature
//! over a canonicalised body). We sign the body's exact bytes instead, so no
//! canonicalisation is needed: [`Signer`] signs the bytes between
//! `<soap:Body>` and `</soap:Body>` and the signature travels in the SOAP
//! header (`soap.rs`). The algorithm here is ECDSA P-256 with SHA-256 by a
//! node key (this installation's, or the sandbox gateway's); a CMS signature
//! by the operator's certificate (crates/pki) fits behind the same two
//! traits when it is wired in.

use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::RwLock;

pub const ECDSA_P256_SHA256: &str = "ecdsa-p256-sha256";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the message is not signed")]
    Unsigned,
    #[error("signed by an unknown key `{0}`")]
    UnknownKey(String),
    #[error("algorithm `{0}` is not supported")]
    Algorithm(String),
    #[error("the signature does not match the message")]
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a P-256 key in PEM")]
    Pem(String),
}

/// 32 random bytes from the OS, hex: a password for a sandbox that learns
/// it when the sender registers.
pub fn random_secret() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Signs the exact bytes of a message body.
pub trait Signer: Send + Sync {
    /// Names the key to the receiver (who looks it up in its trusted keys).
    fn key_id(&self) -> &str;
    fn algorithm(&self) -> &'static str;
    fn sign(&self, bytes: &[u8]) -> Vec<u8>;
}

/// Checks a signature made by a key the receiver trusts.
pub trait Verifier: Send + Sync {
    fn verify(
        &self,
        key_id: &str,
        algorithm: &str,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError>;
}

/// A node's ECDSA P-256 key.
pub struct NodeKey {
    id: String,
    key: SigningKey,
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// `NAME:` and the first 16 hex digits of the SHA-256 of the public key
/// (SubjectPublicKeyInfo DER): a new key gets a new id.
pub fn key_id(name: &str, key: &VerifyingKey) -> String {
    let der = key
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default();
    format!("{name}:{}", &hex::encode(Sha256::digest(der))[..16])
}

impl NodeKey {
    pub fn generate(name: &str) -> Self {
        let key = SigningKey::random(&mut rand_core::OsRng);
        NodeKey {
            id: key_id(name, key.verifying_key()),
            key,
        }
    }

    /// Reads a PKCS#8 PEM key from `path`, or makes one and writes it there
    /// (mode 0600) when there is none.
    pub fn load_or_create(path: &Path, name: &str) -> Result<Self, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                let key = SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::Pem(shown))?;
                Ok(NodeKey {
                    id: key_id(name, key.verifying_key()),
                    key,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let made = NodeKey::generate(name);
                let pem = made
                    .key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|_| KeyError::Pem(shown.clone()))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| KeyError::Io(shown.clone(), e))?;
                }
                write_private(path, pem.as_bytes()).map_err(|e| KeyError::Io(shown, e))?;
                Ok(made)
            }
            Err(e) => Err(KeyError::Io(shown, e)),
        }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }

    pub fn public_pem(&self) -> String {
        self.verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

impl Signer for NodeKey {
    fn key_id(&self) -> &str {
        &self.id
    }

    fn algorithm(&self) -> &'static str {
        ECDSA_P256_SHA256
    }

    fn sign(&self, bytes: &[u8]) -> Vec<u8> {
        let sig: Signature = self.key.sign(bytes);
        sig.to_der().as_bytes().to_vec()
    }
}

/// The keys a receiver trusts, by key id. Keys may be added while running
/// (the sandbox learns a sender's key when it registers).
#[derive(Default)]
pub struct TrustedKeys {
    keys: RwLock<HashMap<String, VerifyingKey>>,
}

impl TrustedKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` under `name`; returns its key id.
    pub fn add(&self, name: &str, key: VerifyingKey) -> String {
        let id = key_id(name, &key);
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), key);
        id
    }

    /// Trusts a PEM public key (SubjectPublicKeyInfo) under `name`.
    pub fn add_pem(&self, name: &str, pem: &str) -> Result<String, KeyError> {
        let key = VerifyingKey::from_public_key_pem(pem.trim())
            .map_err(|_| KeyError::Pem(format!("public key of {name}")))?;
        Ok(self.add(name, key))
    }
}

impl Verifier for TrustedKeys {
    fn verify(
        &self,
        key_id: &str,
        algorithm: &str,
        bytes: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        if algorithm != ECDSA_P256_SHA256 {
            return Err(SignatureError::Algorithm(algorithm.to_owned()));
        }
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys
            .get(key_id)
            .ok_or_else(|| SignatureError::UnknownKey(key_id.to_owned()))?;
        let sig = Signature::from_der(signature).map_err(|_| SignatureError::Invalid)?;
        key.verify(bytes, &sig).map_err(|_| SignatureError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_bytes_only() {
        let key = NodeKey::generate("node");
        let trusted = TrustedKeys::new();
        assert_eq!(trusted.add("node", key.verifying_key()), key.key_id());
        let sig = key.sign(b"body");
        trusted
            .verify(key.key_id(), ECDSA_P256_SHA256, b"body", &sig)
            .unwrap();
        assert_eq!(
            trusted.verify(key.key_id(), ECDSA_P256_SHA256, b"bodY", &sig),
            Err(SignatureError::Invalid)
        );
        let other = NodeKey::generate("node");
        assert!(matches!(
            trusted.verify(
                other.key_id(),
                ECDSA_P256_SHA256,
                b"body",
                &other.sign(b"body")
            ),
            Err(SignatureError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/node.pem");
        let a = NodeKey::load_or_create(&path, "n").unwrap();
        let b = NodeKey::load_or_create(&path, "n").unwrap();
        assert_eq!(a.key_id(), b.key_id());
        let trusted = TrustedKeys::new();
        trusted.add_pem("n", &a.public_pem()).unwrap();
        trusted
            .verify(b.key_id(), ECDSA_P256_SHA256, b"x", &b.sign(b"x"))
            .unwrap();
    }
}
