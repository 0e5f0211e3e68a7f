//! The working-time calendar (being written).
