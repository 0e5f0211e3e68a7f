//! The catalog (being written).
