//! `serve --demo`: the users, provider and sample applications of
//! contract.md's demo data. The applications are made through the API
//! itself (in-process), as people would make them, some of them days ago so
//! that a few are overdue. Seeded once: a restart on the same database keeps
//! what is there.

use crate::auth::hash_password;
use crate::{router, AppState};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use qyzmet_store::NewUser;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

pub const PROVIDER: &str = "karaganda-city-education";

/// A demo account: username, password, role, provider, IIN, display name.
pub type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

pub const USERS: &[DemoUser] = &[
    (
        "clerk",
        "demo-clerk",
        "clerk",
        Some(PROVIDER),
        None,
        "Кеңсе қызметкері (демо)",
    ),
    (
        "head",
        "demo-head",
        "head",
        Some(PROVIDER),
        // The IIN of the demo PKI's `head.p12`: the head may also seal
        // with their own key (NCALayer or a `.p7s`), matched by IIN.
        Some(qyzmet_pki::demo::HEAD_IIN),
        "Басшы (демо)",
    ),
    (
        "specialist",
        "demo-specialist",
        "specialist",
        Some(PROVIDER),
        None,
        "Жауапты маман (демо)",
    ),
    (
        "operator",
        "demo-operator",
        "operator",
        None,
        None,
        "ХҚКО операторы (демо)",
    ),
    ("admin", "demo-admin", "admin", None, None, "Әкімші (демо)"),
    (
        "auditor",
        "demo-auditor",
        "auditor",
        None,
        None,
        "Аудитор (демо)",
    ),
    (
        "871008401427",
        "demo-applicant",
        "applicant",
        None,
        Some("871008401427"),
        "Демо өтініш беруші 1",
    ),
    (
        "760212350620",
        "demo-applicant",
        "applicant",
        None,
        Some("760212350620"),
        "Демо өтініш беруші 2",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("demo seeding failed: {0}")]
pub struct SeedError(String);

/// Seeds the demo data unless it is there already. Returns whether it seeded.
pub async fn seed(state: &AppState) -> Result<bool, SeedError> {
    let store = state.store();
    if store
        .user_by_username("clerk")
        .await
        .map_err(|e| SeedError(e.to_string()))?
        .is_some()
    {
        return Ok(false);
    }
    let now = state.now();
    for (username, password, role, provider, iin, name) in USERS {
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| SeedError(e.to_string()))?;
        store
            .create_user(NewUser {
                username: username.to_string(),
                role: role.to_string(),
                provider: provider.map(str::to_owned),
                password_hash: hash,
                iin: iin.map(str::to_owned),
                display_name: name.to_string(),
                created_at: now,
            })
            .await
            .map_err(|e| SeedError(e.to_string()))?;
    }
    samples(state, now).await?;
    Ok(true)
}

/// Whether `signer` is the demo PKI's State Corporation operator.
fn is_demo_operator(signer: &qyzmet_pki::Signer) -> bool {
    let holder = qyzmet_pki::name::Holder::from_name(&signer.certificate().tbs_certificate.subject);
    holder.iin.as_deref() == Some(qyzmet_pki::demo::OPERATOR_IIN)
}

/// The API at a fixed instant: sample histories start days ago.
struct At {
    state: AppState,
    tokens: std::collections::HashMap<&'static str, String>,
}

impl At {
    fn new(base: &AppState, at: DateTime<Utc>) -> Self {
        let clock: crate::Clock = Arc::new(move || at);
        let mut state = AppState::with_clock(
            (*base.catalog()).clone(),
            (*base.calendar()).clone(),
            base.store().clone(),
            base.base_url().to_owned(),
            base.demo(),
            clock,
        )
        .with_documents(base.documents().clone());
        // State Corporation intake asks the registries, and signs the
        // package it sends the provider with the operator's key (without
        // it, the provider's endpoint refuses the package): the demo
        // operator's only, never a real operator's key configured beside
        // the demo (the sample packages are made up, and dated days ago).
        if let Some(registry) = base.registry() {
            state = state.with_registry(registry.clone());
        }
        if let Some(operator) = base.operator_signer().filter(|s| is_demo_operator(s)) {
            state = state.with_operator_signer(operator.clone());
        }
        At {
            state,
            tokens: Default::default(),
        }
    }

    async fn call(
        &mut self,
        user: &'static str,
        method: &str,
        uri: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), SeedError> {
        if !self.tokens.contains_key(user) {
            let (_, password, role, ..) = USERS.iter().find(|u| u.0 == user).expect("a demo user");
            let login = if *role == "applicant" {
                json!({"iin": user, "password": password})
            } else {
                json!({"username": user, "password": password})
            };
            let (v, _) = self
                .raw("POST", "/api/v1/auth/login", None, login, None)
                .await?;
            let token = v["token"]
                .as_str()
                .ok_or_else(|| SeedError("login gave no token".into()))?;
            self.tokens.insert(user, token.to_owned());
        }
        let token = self.tokens[user].clone();
        self.raw(method, uri, Some(&token), body, if_match).await
    }

    async fn raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Value,
        if_match: Option<&str>,
    ) -> Result<(Value, String), SeedError> {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if let Some(e) = if_match {
            req = req.header(header::IF_MATCH, e);
        }
        let req = req
            .body(Body::from(body.to_string()))
            .map_err(|e| SeedError(e.to_string()))?;
        let res = router(self.state.clone())
            .oneshot(req)
            .await
            .map_err(|e| SeedError(e.to_string()))?;
        let status = res.status();
        let etag = res
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .map_err(|e| SeedError(e.to_string()))?;
        let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status != StatusCode::OK && status != StatusCode::CREATED {
            return Err(SeedError(format!("{method} {uri}: {status}: {v}")));
        }
        Ok((v, etag))
    }
}

fn documents(kinds: &[&str]) -> Value {
    Value::Array(
        kinds
            .iter()
            .map(|k| json!({"kind": k, "name": format!("{k} (paper original)")}))
            .collect(),
    )
}

/// Service A's form, asking to meet a fortnight after `now` (the schema
/// takes no meeting date in the past).
fn form_a(now: DateTime<Utc>) -> Value {
    let day = crate::applications::local_date(now) + Duration::days(14);
    json!({
        "child": {"iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15"},
        "meeting": {"preferred_date": day.to_string(), "place": "Қарағанды қаласының білім бөлімі"}
    })
}

fn form_b() -> Value {
    json!({
        "child": {"iin": "190901600034", "name": "Серікова Айгерім", "birth_date": "2019-09-01"},
        "patronage_contract": {"number": "ПТ-2026-014", "date": "2026-02-10"}
    })
}

fn form_c() -> Value {
    json!({
        "children": [{
            "iin": "200315500017", "name": "Асанов Нұрлан", "birth_date": "2020-03-15",
            "court_decision": {"number": "2-1234/2026", "date": "2026-01-20"}
        }],
        "bank_account": {"iban": "KZ86125KZT5004100100"}
    })
}

const A_DOCS: &[&str] = &[
    "application",
    "identity-document",
    "supporting-certificates",
];
const B_DOCS: &[&str] = &["application", "patronage-contract", "study-certificate"];

async fn take_in(
    at: &mut At,
    user: &'static str,
    service: &str,
    channel: &str,
    iin: &str,
    form: Value,
    docs: Value,
) -> Result<(String, String), SeedError> {
    let (v, etag) = at
        .call(
            user,
            "POST",
            "/api/v1/applications",
            json!({"service": service, "channel": channel,
                   "applicant": {"iin": iin, "name": "Демо өтініш беруші", "language": "kk"},
                   "form": form, "documents": docs}),
            None,
        )
        .await?;
    Ok((v["id"].as_str().unwrap_or_default().to_owned(), etag))
}

async fn act(
    at: &mut At,
    user: &'static str,
    id: &str,
    etag: &str,
    body: Value,
) -> Result<String, SeedError> {
    // The head signs the drafted result: render what is pending first, as
    // the job runner would have by then.
    crate::documents::run_jobs(&at.state)
        .await
        .map_err(|e| SeedError(format!("rendering documents: {}", e.detail())))?;
    let (_, etag) = at
        .call(
            user,
            "POST",
            &format!("/api/v1/applications/{id}/actions"),
            body,
            Some(etag),
        )
        .await?;
    Ok(etag)
}

async fn samples(state: &AppState, now: DateTime<Utc>) -> Result<(), SeedError> {
    let catalog = state.catalog();
    let c_docs: Vec<&str> = catalog
        .version_at("adoption-payment", crate::applications::local_date(now))
        .map(|v| {
            v.documents
                .iter()
                .filter(|d| d.required)
                .map(|d| d.code.as_str())
                .collect()
        })
        .unwrap_or_default();
    let c_docs = documents(&c_docs);
    let complete = json!({"action": "complete"});
    let assign = json!({"action": "complete", "assignee": "specialist"});

    // A, office, twelve days ago, all the way to the permission.
    let mut at = At::new(state, now - Duration::days(12));
    let (id, mut e) = take_in(
        &mut at,
        "clerk",
        "meeting-permission",
        "office",
        "871008401427",
        form_a(now),
        documents(A_DOCS),
    )
    .await?;
    e = act(&mut at, "clerk", &id, &e, complete.clone()).await?;
    e = act(&mut at, "head", &id, &e, assign.clone()).await?;
    e = act(&mut at, "specialist", &id, &e, complete.clone()).await?;
    e = act(&mut at, "head", &id, &e, complete.clone()).await?;
    act(&mut at, "clerk", &id, &e, complete.clone()).await?;

    // C, office, ten days ago: a motivated refusal, signed and issued.
    let mut at = At::new(state, now - Duration::days(10));
    let (id, mut e) = take_in(
        &mut at,
        "clerk",
        "adoption-payment",
        "office",
        "760212350620",
        form_c(),
        c_docs.clone(),
    )
    .await?;
    e = act(&mut at, "clerk", &id, &e, complete.clone()).await?;
    e = act(&mut at, "head", &id, &e, assign.clone()).await?;
    e = act(
        &mut at,
        "specialist",
        &id,
        &e,
        json!({"action": "refuse", "grounds": ["documents-violation"],
        "reason": "Демо: сот шешімінің көшірмесі куәландырылмаған."}),
    )
    .await?;
    e = act(&mut at, "head", &id, &e, complete.clone()).await?;
    act(&mut at, "clerk", &id, &e, complete.clone()).await?;

    // A through the State Corporation, eight days ago, stuck at review: overdue.
    let mut at = At::new(state, now - Duration::days(8));
    let (id, mut e) = take_in(
        &mut at,
        "operator",
        "meeting-permission",
        "state-corporation",
        "760212350620",
        form_a(now),
        documents(A_DOCS),
    )
    .await?;
    e = act(&mut at, "clerk", &id, &e, complete.clone()).await?;
    act(&mut at, "head", &id, &e, assign.clone()).await?;

    // B, office, six days ago, waiting for the head's resolution: overdue.
    let mut at = At::new(state, now - Duration::days(6));
    let (id, e) = take_in(
        &mut at,
        "clerk",
        "foster-care-payment",
        "office",
        "871008401427",
        form_b(),
        documents(B_DOCS),
    )
    .await?;
    act(&mut at, "clerk", &id, &e, complete.clone()).await?;

    // B, office, two days ago, paused at review awaiting a document.
    let mut at = At::new(state, now - Duration::days(2));
    let (id, mut e) = take_in(
        &mut at,
        "clerk",
        "foster-care-payment",
        "office",
        "760212350620",
        form_b(),
        documents(B_DOCS),
    )
    .await?;
    e = act(&mut at, "clerk", &id, &e, complete.clone()).await?;
    e = act(&mut at, "head", &id, &e, assign.clone()).await?;
    act(
        &mut at,
        "specialist",
        &id,
        &e,
        json!({"action": "pause", "comment": "Демо: оқу туралы анықтама күтілуде."}),
    )
    .await?;

    // A, office, today: refused at intake, the identity document missing.
    let mut at = At::new(state, now);
    take_in(
        &mut at,
        "clerk",
        "meeting-permission",
        "office",
        "871008401427",
        form_a(now),
        documents(&["application", "supporting-certificates"]),
    )
    .await?;

    // C, office, today: withdrawn by the applicant's written request.
    let (id, e) = take_in(
        &mut at,
        "clerk",
        "adoption-payment",
        "office",
        "871008401427",
        form_c(),
        c_docs.clone(),
    )
    .await?;
    act(
        &mut at,
        "clerk",
        &id,
        &e,
        json!({"action": "withdraw", "reason": "Демо: өтініш берушінің жазбаша өтініші."}),
    )
    .await?;

    // B, office, today: in the clerk's queue.
    take_in(
        &mut at,
        "clerk",
        "foster-care-payment",
        "office",
        "760212350620",
        form_b(),
        documents(B_DOCS),
    )
    .await?;

    // C on the portal, today: a draft awaiting the applicant's signature.
    let docs = Value::Array(
        c_docs
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| {
                let mut d = d.clone();
                d["name"] = json!(format!("{}.pdf", d["kind"].as_str().unwrap_or("document")));
                d["content"] = json!("JVBERi0xLjQKJcTl8uXrCg==");
                d
            })
            .collect(),
    );
    take_in(
        &mut at,
        "871008401427",
        "adoption-payment",
        "portal",
        "871008401427",
        form_c(),
        docs,
    )
    .await?;

    // Let the clock catch up: steps past their deadline are marked overdue.
    crate::worker::tick_due(state, now, 1000)
        .await
        .map_err(|e| SeedError(format!("{} {:?}", e.code, e.detail)))?;
    Ok(())
}
