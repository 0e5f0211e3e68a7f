//! Qyzmet's pure rules: the catalog of regulations, the Kazakh working-time
//! calendar and deadlines, the IIN. No I/O and no async live here; callers
//! hand in text and instants and get values back.

pub mod audit;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod diag;
pub mod iban;
pub mod iin;
pub mod limit;
pub mod role;
pub mod step;

pub use diag::Diagnostic;
pub use iin::Iin;
pub use limit::Limit;
pub use role::{Channel, Role};
