//! The catalog of regulations: services, their versions (one regulation text
//! each, with steps, roles, limits, channels, documents, refusal grounds and
//! result forms), providers, the legal acts and their history, and the MRP.
//!
//! It is data, read from TOML and JSON Schema files (`catalog/` in the
//! repository) by [`load`], which reports every problem as a
//! [`Diagnostic`](crate::Diagnostic). What the law does not tell us ships as a
//! labelled placeholder (`placeholder = true` with a note), never as an
//! invented fact.

mod form;
mod load;
mod process;
mod render;
mod view;
mod walk;

pub use form::{
    day_problems, full_date, resolve, DayProblem, DayProblemKind, FormError, BIRTH_DATE_OF,
    NOT_AFTER, NOT_BEFORE,
};
pub use load::load;
pub use render::render_text;
pub use view::{DocumentView, GroundView, RegulationView, ServiceView, StepView};

use crate::{Channel, Limit, Role};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A language of the catalog's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A language code other than `kk`, `ru`, `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language `{0}` (known: kk, ru, en)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kk" => Ok(Lang::Kk),
            "ru" => Ok(Lang::Ru),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

/// A text in the three languages; the checker requires all three, non-empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Kk => &self.kk,
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

pub use crate::step::StepCode;

/// Something the law leaves open: shipped as data with a note saying what is
/// missing and where it would come from, so it can be corrected in the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    pub note: Text,
}

/// A state service (`services.toml`), with its versions oldest first.
#[derive(Debug, Clone)]
pub struct Service {
    pub code: String,
    pub name: Text,
    /// Codes of the providers rendering it (`providers.toml`).
    pub providers: Vec<String>,
    pub versions: Vec<Version>,
}

/// A provider (`providers.toml`).
#[derive(Debug, Clone)]
pub struct Provider {
    pub code: String,
    pub name: Text,
    /// Business identification number; `None` while unknown.
    pub bin: Option<String>,
    pub address: Option<Text>,
    pub placeholder: Option<Placeholder>,
}

/// A legal act (`acts.toml`): a regulation, the Standard, or an act that
/// changed them. History, not enforcement: a repeal is shown, not applied.
#[derive(Debug, Clone)]
pub struct Act {
    pub code: String,
    /// Who issued it (e.g. Karaganda region akimat).
    pub issuer: Text,
    /// The kind and title (resolution, order, …).
    pub title: Text,
    pub number: String,
    pub date: NaiveDate,
    pub registration_number: Option<String>,
    pub registration_date: Option<NaiveDate>,
    pub effective_date: Option<NaiveDate>,
    /// The effective date is not known and was derived (labelled placeholder).
    pub effective_date_placeholder: bool,
    pub restates: Vec<String>,
    pub repeals: Vec<String>,
    pub repealed_by: Option<String>,
    pub repealed_on: Option<NaiveDate>,
    /// A fact about this act is unknown; the note says which.
    pub placeholder: Option<Placeholder>,
}

/// The monthly calculation index of one year (`mrp.toml`), in tenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrp {
    pub year: i32,
    pub amount: u32,
    /// Whether a public source confirms it (domain.md); unconfirmed values are
    /// data an administrator can correct.
    pub confirmed: bool,
    pub source: String,
}

/// One version of a service: one regulation text, in force from a date.
#[derive(Debug, Clone)]
pub struct Version {
    pub service: String,
    pub code: String,
    /// The file it was read from (relative to the catalog root).
    pub file: String,
    /// The act that approved this text (`acts.toml`).
    pub act: String,
    /// The part of the act holding the text (e.g. appendix 13).
    pub act_part: Option<Text>,
    /// The national Standard the regulation rests on (`acts.toml`).
    pub standard: Option<String>,
    pub effective_from: NaiveDate,
    /// Normally absent: set by an administrator (layered over the files by
    /// [`Catalog::with_version_ends`]). The first day it no longer applies.
    pub effective_until: Option<NaiveDate>,
    /// §1: who renders the service.
    pub provider_kind: Text,
    /// §2: the form of rendering (paper, electronic).
    pub rendering: Text,
    /// §3: how the result is given.
    pub result_delivery: Text,
    pub participants: Vec<Participant>,
    pub channels: Vec<ChannelRule>,
    pub steps: Vec<Step>,
    pub documents: Vec<DocumentKind>,
    pub refusal_grounds: Vec<RefusalGround>,
    pub result_forms: Vec<ResultForm>,
    pub payment: Option<PaymentRule>,
    pub(crate) form: form::FormSchema,
}

/// §6: who takes part.
#[derive(Debug, Clone)]
pub struct Participant {
    pub role: Role,
    pub name: Text,
    pub paragraph: String,
}

/// A channel the version accepts applications through, with its process.
#[derive(Debug, Clone)]
pub struct ChannelRule {
    pub channel: Channel,
    pub paragraph: String,
    pub intake: Intake,
    /// The regulation's process for this channel (§8, §9), in order.
    pub process: Vec<ProcessItem>,
}

/// What happens at intake when the package is incomplete.
#[derive(Debug, Clone)]
pub struct Intake {
    /// The regulation refuses to accept an incomplete package (service A).
    pub refuses_incomplete: bool,
    pub paragraph: String,
    pub note: Text,
    /// The refusal grounds applied at intake (codes in the version).
    pub grounds: Vec<String>,
    /// The receipt given on refusal (a result form code).
    pub receipt: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessKind {
    /// A plain step of the list.
    Step,
    /// "N процесс".
    Process,
    /// "N шарт": a check with two outcomes.
    Condition,
}

#[derive(Debug, Clone)]
pub struct ProcessItem {
    pub kind: ProcessKind,
    /// The process or condition number the regulation gives.
    pub number: Option<u32>,
    pub paragraph: String,
    pub text: Text,
}

/// A step of the provider's procedure (§5, §7).
#[derive(Debug, Clone)]
pub struct Step {
    pub code: StepCode,
    /// Who does it, unless `roles` says otherwise for a channel.
    pub role: Role,
    pub roles: BTreeMap<Channel, Role>,
    pub limit: Limit,
    /// The regulation's paragraphs (`§5.3`, `§7.3`).
    pub paragraphs: Vec<String>,
    pub what: Text,
    pub outcome: Text,
}

impl Step {
    /// Who does the step in a channel.
    pub fn role_in(&self, channel: Channel) -> Role {
        self.roles.get(&channel).copied().unwrap_or(self.role)
    }
}

/// A kind of document the applicant brings (Standard item 9).
#[derive(Debug, Clone)]
pub struct DocumentKind {
    pub code: String,
    pub name: Text,
    pub required: bool,
    pub citation: Text,
    pub placeholder: Option<Placeholder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroundStage {
    /// Refusal to accept the application at all.
    Intake,
    /// A motivated refusal as the result.
    Decision,
}

/// A ground for refusal (Standard item 10, or the regulation's own text).
#[derive(Debug, Clone)]
pub struct RefusalGround {
    pub code: String,
    pub name: Text,
    pub stage: GroundStage,
    pub citation: Text,
    /// The document kinds the ground is about.
    pub documents: Vec<String>,
    pub placeholder: Option<Placeholder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResultKind {
    Approval,
    Refusal,
    Receipt,
}

/// The form of a result or receipt (Standard appendices 1 and 3, §3).
#[derive(Debug, Clone)]
pub struct ResultForm {
    pub code: String,
    pub kind: ResultKind,
    pub name: Text,
    pub citation: Text,
    pub placeholder: Option<Placeholder>,
}

/// A payment fixed in MRP per child (service C).
#[derive(Debug, Clone)]
pub struct PaymentRule {
    pub mrp_per_child: u32,
    pub citation: Text,
}

/// A computed payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub mrp_per_child: u32,
    pub year: i32,
    pub mrp: u32,
    pub mrp_confirmed: bool,
    pub children: u32,
    /// Tenge.
    pub amount: u64,
}

/// An administrator's end date for a version, stored apart from the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEnd {
    pub service: String,
    pub version: String,
    /// The first day the version no longer applies; `None` clears an end.
    pub effective_until: Option<NaiveDate>,
}

/// Why an administrator's end date cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionEndError {
    #[error("unknown version `{version}` of service `{service}`")]
    UnknownVersion { service: String, version: String },
    #[error("version `{version}` of `{service}`: effective_until {until} is not after effective_from {from}")]
    NotAfterStart {
        service: String,
        version: String,
        from: NaiveDate,
        until: NaiveDate,
    },
    #[error("version `{version}` of `{service}`: effective_until {until} is after {next_from}, when version `{next}` starts")]
    OverlapsNext {
        service: String,
        version: String,
        until: NaiveDate,
        next: String,
        next_from: NaiveDate,
    },
}

/// The whole catalog, checked.
#[derive(Debug, Clone)]
pub struct Catalog {
    services: Vec<Service>,
    providers: Vec<Provider>,
    acts: Vec<Act>,
    mrp: BTreeMap<i32, Mrp>,
}

impl Catalog {
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    pub fn provider(&self, code: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.code == code)
    }

    pub fn acts(&self) -> &[Act] {
        &self.acts
    }

    pub fn act(&self, code: &str) -> Option<&Act> {
        self.acts.iter().find(|a| a.code == code)
    }

    pub fn mrp(&self, year: i32) -> Option<&Mrp> {
        self.mrp.get(&year)
    }

    /// A version by its code: how an application pinned to a version finds
    /// it again, whatever was added since.
    pub fn version(&self, service: &str, version: &str) -> Option<&Version> {
        self.service(service)?
            .versions
            .iter()
            .find(|v| v.code == version)
    }

    /// The version in force on `date`: the latest one started on or before it,
    /// unless an administrator ended it. A version dated in the future applies
    /// only from its date.
    pub fn version_at(&self, service: &str, date: NaiveDate) -> Option<&Version> {
        self.service(service)?
            .versions
            .iter()
            .rev()
            .find(|v| v.effective_from <= date)
            .filter(|v| v.effective_until.is_none_or(|until| date < until))
    }

    /// The payment of `version` for a decision taken in `decision_year`, with
    /// that year's MRP. `None` when the version fixes no payment or the year
    /// has no MRP in the catalog.
    pub fn payment_amount(
        &self,
        version: &Version,
        decision_year: i32,
        children: u32,
    ) -> Option<Payment> {
        let rule = version.payment.as_ref()?;
        let mrp = self.mrp(decision_year)?;
        Some(Payment {
            mrp_per_child: rule.mrp_per_child,
            year: decision_year,
            mrp: mrp.amount,
            mrp_confirmed: mrp.confirmed,
            children,
            amount: u64::from(rule.mrp_per_child) * u64::from(mrp.amount) * u64::from(children),
        })
    }

    /// [`Catalog::payment_amount`] for a decision date.
    pub fn payment_on(
        &self,
        version: &Version,
        decided: NaiveDate,
        children: u32,
    ) -> Option<Payment> {
        self.payment_amount(version, decided.year(), children)
    }

    /// The catalog with administrators' end dates layered over the files.
    /// Every entry is checked; nothing is applied unless all are valid.
    pub fn with_version_ends(&self, ends: &[VersionEnd]) -> Result<Catalog, Vec<VersionEndError>> {
        let mut out = self.clone();
        let mut errors = Vec::new();
        for end in ends {
            let version = out
                .services
                .iter_mut()
                .find(|s| s.code == end.service)
                .and_then(|s| s.versions.iter_mut().find(|v| v.code == end.version));
            match version {
                Some(v) => v.effective_until = end.effective_until,
                None => errors.push(VersionEndError::UnknownVersion {
                    service: end.service.clone(),
                    version: end.version.clone(),
                }),
            }
        }
        for service in &out.services {
            for (i, v) in service.versions.iter().enumerate() {
                let Some(until) = v.effective_until else {
                    continue;
                };
                if until <= v.effective_from {
                    errors.push(VersionEndError::NotAfterStart {
                        service: service.code.clone(),
                        version: v.code.clone(),
                        from: v.effective_from,
                        until,
                    });
                }
                if let Some(next) = service.versions.get(i + 1) {
                    if until > next.effective_from {
                        errors.push(VersionEndError::OverlapsNext {
                            service: service.code.clone(),
                            version: v.code.clone(),
                            until,
                            next: next.code.clone(),
                            next_from: next.effective_from,
                        });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The acts a version's legal history consists of: its own act, what that
    /// restates and repeals (transitively), what repealed it, and its Standard.
    pub fn history(&self, version: &Version) -> Vec<&Act> {
        let mut seen: Vec<&str> = Vec::new();
        let mut queue: Vec<&str> = vec![version.act.as_str()];
        if let Some(s) = &version.standard {
            queue.push(s);
        }
        while let Some(code) = queue.pop() {
            if seen.contains(&code) {
                continue;
            }
            seen.push(code);
            if let Some(act) = self.act(code) {
                queue.extend(act.restates.iter().map(String::as_str));
                queue.extend(act.repealed_by.iter().map(String::as_str));
            }
        }
        let mut acts: Vec<&Act> = self
            .acts
            .iter()
            .filter(|a| {
                seen.contains(&a.code.as_str())
                    || a.repeals.iter().any(|r| r == &version.act)
                    || seen
                        .iter()
                        .filter_map(|c| self.act(c))
                        .any(|s| s.repeals.contains(&a.code))
            })
            .collect();
        acts.sort_by_key(|a| (a.date, a.code.clone()));
        acts
    }
}

impl Version {
    pub fn step(&self, code: StepCode) -> Option<&Step> {
        self.steps.iter().find(|s| s.code == code)
    }

    pub fn channel(&self, channel: Channel) -> Option<&ChannelRule> {
        self.channels.iter().find(|c| c.channel == channel)
    }

    /// Whether an incomplete package is refused at intake in this channel.
    pub fn refuses_incomplete_at_intake(&self, channel: Channel) -> bool {
        self.channel(channel)
            .is_some_and(|c| c.intake.refuses_incomplete)
    }

    pub fn result_form(&self, code: &str) -> Option<&ResultForm> {
        self.result_forms.iter().find(|f| f.code == code)
    }

    /// The JSON Schema (2020-12) of the application form.
    pub fn form_schema(&self) -> &serde_json::Value {
        &self.form.schema
    }

    /// Checks an application form against the version's schema and, on
    /// `today` (Almaty), its day keywords; every error with the JSON pointer
    /// of the offending value.
    pub fn validate_form(
        &self,
        form: &serde_json::Value,
        today: NaiveDate,
    ) -> Result<(), Vec<FormError>> {
        self.form.validate(form, today)
    }
}

impl Catalog {
    pub(crate) fn from_parts(
        services: Vec<Service>,
        providers: Vec<Provider>,
        acts: Vec<Act>,
        mrp: BTreeMap<i32, Mrp>,
    ) -> Self {
        Catalog {
            services,
            providers,
            acts,
            mrp,
        }
    }
}
