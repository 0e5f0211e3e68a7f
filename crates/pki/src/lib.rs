//! Electronic signatures (EDS) for Qyzmet: verifying an applicant's CMS
//! SignedData against configured trust anchors and revocation lists
//! ([`verify`]), signing with a PKCS#12 key ([`Signer`]), and the demo
//! certification authority that `serve --demo` and `pki demo` create
//! ([`demo`]).
//!
//! Certificates follow the national certification authority's (NCA) subject
//! format: `CN=SURNAME NAME, SURNAME=…, SERIALNUMBER=IIN…, C=KZ, G=…`, with
//! `O=` and `OU=BIN…` for a legal entity's employee.

pub mod algorithms;
pub mod demo;
mod error;
pub mod name;
pub mod oids;
mod raw;
mod sign;
pub mod verify;

pub use error::PkiError;
pub use name::Holder;
pub use sign::{Key, Signer};
pub use verify::{Judgement, Refusal, TrustConfig, Verified, Verifier};
