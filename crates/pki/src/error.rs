//! Errors of the crate's operations other than a verdict on a signature
//! (a refused signature is a [`crate::Refusal`], not an error).

/// What can go wrong loading keys, certificates and revocation lists, or
/// signing and issuing.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("PKCS#12 file could not be opened (wrong password or damaged file)")]
    Pkcs12,
    #[error("PKCS#12 file holds no private key with its certificate")]
    NoKey,
    #[error("unsupported key algorithm {0}")]
    UnsupportedKey(String),
    #[error("malformed DER or PEM: {0}")]
    Encoding(String),
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<der::Error> for PkiError {
    fn from(e: der::Error) -> Self {
        PkiError::Encoding(e.to_string())
    }
}

impl PkiError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        PkiError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
