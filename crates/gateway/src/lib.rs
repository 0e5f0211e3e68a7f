//! Qyzmet's side of the e-government gateway (domain.md, "The gateway and
//! the registries"; regulation §8, processes 3–6): the SyncChannel SOAP
//! envelope ([`soap`]) read through a hardened XML reader ([`xml`]) and
//! signed ([`sign`]); the client with retries and a circuit breaker
//! ([`client`]); the registries as intake asks them ([`lookup`], schema in
//! [`registry`]); outbox delivery and our receiving endpoint
//! ([`delivery`]); counters for `/metrics` ([`metrics`]); and the sandbox
//! gateway with its registries and fault injection ([`sandbox`]).

pub mod client;
pub mod delivery;
pub mod lookup;
pub mod metrics;
pub mod node;
pub mod registry;
pub mod sandbox;
pub mod sign;
pub mod soap;
pub mod xml;

pub use client::{ClientConfig, GatewayClient, GatewayError};
pub use delivery::{send_job, signed_send_job, Inbox, PackageCheck, SendHandler, SEND_JOB};
pub use lookup::{GatewayRegistry, Registry, RegistryError};
pub use metrics::GatewayMetrics;
pub use node::Node;
pub use sandbox::{Faults, Sandbox};
pub use sign::{NodeKey, Signer, TrustedKeys, Verifier};
