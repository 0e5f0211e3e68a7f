//! What intake asks the registries (regulation §8, process 3): the
//! [`Registry`] trait the web layer holds, and its implementation through
//! the gateway.

use crate::client::{GatewayClient, GatewayError};
use crate::registry::{self, Person, PersonAnswer, PersonQuery, PoaAnswer, PoaQuery};
use async_trait::async_trait;
use qyzmet_domain::Iin;
use std::sync::Arc;
use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    /// The registry (or the gateway in front of it) did not answer in time
    /// or answered with something unusable.
    #[error("the registry is unavailable: {0}")]
    Unavailable(String),
}

/// The registries as intake sees them.
#[async_trait]
pub trait Registry: Send + Sync {
    /// The person, or `None` when the individuals database does not know
    /// the IIN.
    async fn person(&self, iin: &Iin) -> Result<Option<Person>, RegistryError>;
    /// The notary system's view of a power of attorney.
    async fn power_of_attorney(
        &self,
        number: &str,
        principal: &Iin,
    ) -> Result<PoaAnswer, RegistryError>;
}

/// The registries behind the e-government gateway.
pub struct GatewayRegistry {
    client: Arc<GatewayClient>,
}

impl GatewayRegistry {
    pub fn new(client: Arc<GatewayClient>) -> Self {
        GatewayRegistry { client }
    }

    async fn ask<Q: serde::Serialize, A: serde::de::DeserializeOwned>(
        &self,
        service: &str,
        query: &Q,
    ) -> Result<A, RegistryError> {
        let data = serde_json::to_string(query).expect("a query serialises");
        let answer = self
            .client
            .send(service, data, Uuid::new_v4(), None)
            .await
            .map_err(|e| match e {
                GatewayError::Fault(f) => RegistryError::Unavailable(format!(
                    "fault {}: {}",
                    f.error_code, f.error_message
                )),
                other => RegistryError::Unavailable(other.to_string()),
            })?;
        serde_json::from_str(&answer.data)
            .map_err(|_| RegistryError::Unavailable("the answer does not read".into()))
    }
}

#[async_trait]
impl Registry for GatewayRegistry {
    async fn person(&self, iin: &Iin) -> Result<Option<Person>, RegistryError> {
        let a: PersonAnswer = self
            .ask(
                registry::INDIVIDUALS,
                &PersonQuery {
                    iin: iin.to_string(),
                },
            )
            .await?;
        match a.person {
            Some(p) if p.iin != iin.to_string() => Err(RegistryError::Unavailable(
                "the answer is about someone else".into(),
            )),
            other => Ok(other),
        }
    }

    async fn power_of_attorney(
        &self,
        number: &str,
        principal: &Iin,
    ) -> Result<PoaAnswer, RegistryError> {
        self.ask(
            registry::NOTARY,
            &PoaQuery {
                number: number.to_owned(),
                principal_iin: principal.to_string(),
            },
        )
        .await
    }
}
