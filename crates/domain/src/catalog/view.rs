//! What the API shows of a service (contract.md, `GET /api/v1/services`).

use super::{Catalog, StepCode, Text, Version};
use crate::{Channel, Limit, Role};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceView {
    pub code: String,
    pub name: Text,
    pub channels: Vec<Channel>,
    pub steps: Vec<StepView>,
    pub documents: Vec<DocumentView>,
    pub refusal_grounds: Vec<GroundView>,
    /// JSON Schema 2020-12 of the form.
    pub form: serde_json::Value,
    pub regulation: RegulationView,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepView {
    pub code: StepCode,
    pub role: Role,
    /// Only where a channel has another role than `role`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<Channel, Role>,
    pub limit: Limit,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentView {
    pub code: String,
    pub name: Text,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroundView {
    pub code: String,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegulationView {
    /// The act's number (`20/02`).
    pub act: String,
    /// The act's date.
    pub date: NaiveDate,
    /// The version's code.
    pub version: String,
}

impl Catalog {
    /// Every service as the API shows it, with the version in force on `date`
    /// (services with none in force are left out).
    pub fn services_at(&self, date: NaiveDate) -> Vec<ServiceView> {
        self.services()
            .iter()
            .filter_map(|s| self.version_at(&s.code, date))
            .map(|v| self.service_view(v))
            .collect()
    }

    /// One version as the API shows it.
    pub fn service_view(&self, v: &Version) -> ServiceView {
        let service = self.service(&v.service);
        let act = self.act(&v.act);
        ServiceView {
            code: v.service.clone(),
            name: service
                .map(|s| s.name.clone())
                .unwrap_or_else(|| v.provider_kind.clone()),
            channels: v.channels.iter().map(|c| c.channel).collect(),
            steps: v
                .steps
                .iter()
                .map(|s| StepView {
                    code: s.code,
                    role: s.role,
                    roles: s
                        .roles
                        .iter()
                        .filter(|(_, r)| **r != s.role)
                        .map(|(c, r)| (*c, *r))
                        .collect(),
                    limit: s.limit,
                })
                .collect(),
            documents: v
                .documents
                .iter()
                .map(|d| DocumentView {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    required: d.required,
                })
                .collect(),
            refusal_grounds: v
                .refusal_grounds
                .iter()
                .map(|g| GroundView {
                    code: g.code.clone(),
                    name: g.name.clone(),
                })
                .collect(),
            form: v.form_schema().clone(),
            regulation: RegulationView {
                act: act
                    .map(|a| a.number.clone())
                    .unwrap_or_else(|| v.act.clone()),
                date: act.map(|a| a.date).unwrap_or(v.effective_from),
                version: v.code.clone(),
            },
        }
    }
}
