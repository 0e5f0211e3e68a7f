//! The HTTP API as its clients see it (contract.md, "HTTP"): the real
//! router over TCP, each test with its own database, on SQLite always and on
//! PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;
#[path = "../support/mod.rs"]
mod support;

mod admin;
mod bad_input;
mod clock;
mod concurrency;
mod documents;
mod events;
mod lifecycle;
mod meta;
mod signature;
mod state_corporation;
mod visibility;
