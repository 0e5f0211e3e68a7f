//! The documents an application earns (contract.md, "Documents"): the
//! receipt at intake and the result (a permission, a decision assigning a
//! payment, a motivated refusal). What each says is assembled here from the
//! case and the catalog; `qyzmet-documents` lays it out as a PDF.
//!
//! A result is drafted off the request path: the transition into `sign`
//! enqueues a `document-render` job in the same change, the job runner
//! renders and stores the draft, and the head's `complete` at `sign` seals
//! exactly those bytes (a detached CMS: with the server-held key, or the
//! head's own signature sent as `{"cms"}` and verified) in the same
//! transaction as the step. Receipts are rendered by the same job.
//!
//! Anyone may check a document: `GET /api/v1/verify/{code}` and the page
//! `GET /verify/{code}` (which also compares an uploaded PDF with the stored
//! hash), rate-limited per address; an unknown code is a plain 404.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use async_trait::async_trait;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, Utc};
use qyzmet_documents::Content;
use qyzmet_domain::case::{Case, Deadlines, ReceiptKind, Status};
use qyzmet_domain::catalog::{Lang, ResultKind as FormKind, Version};
use qyzmet_domain::step::StepCode;
use qyzmet_domain::Channel;
use qyzmet_store::jobs::{JobError, JobHandler, Ran};
use qyzmet_store::{
    Application, DocumentSeal, Job, NewDocument, NewJob, StoreError, StoredDocument,
};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::problem::ApiError;
use crate::view::{document_code, local};
use crate::AppState;

/// The outbox job that renders a document: payload
/// `{"application_id", "purpose": "result"|"receipt"}`.
pub const JOB_KIND: &str = "document-render";

// ---------------------------------------------------------------- sealing

/// A seal over a document's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Detached CMS SignedData, DER.
    pub cms: Vec<u8>,
    /// Who signed, as their certificate names them.
    pub signer: String,
}

#[derive(Debug, thiserror::Error)]
#[error("sealing failed: {0}")]
pub struct SealError(pub String);

/// Seals documents with a key the server holds (the head's, in demo mode).
pub trait Sealer: Send + Sync {
    /// Who the seal names, printed on the draft before it is sealed.
    fn signer(&self) -> String;
    fn seal(&self, pdf: &[u8]) -> Result<Seal, SealError>;
    /// [`Sealer::seal`] of a `pdf` whose SHA-256 the caller has already
    /// computed, so that it need not be hashed again.
    fn seal_hashed(&self, pdf: &[u8], sha256: &[u8; 32]) -> Result<Seal, SealError> {
        let _ = sha256;
        self.seal(pdf)
    }
    /// The certificate its seals carry, DER, when known: a seal that comes
    /// back (a State Corporation result) is recognised by it.
    fn certificate(&self) -> Option<Vec<u8>> {
        None
    }
}

/// A [`Sealer`] over a PKCS#12 key and its chain.
pub struct P12Sealer {
    signer: qyzmet_pki::Signer,
    name: String,
}

impl P12Sealer {
    pub fn new(signer: qyzmet_pki::Signer) -> Self {
        let holder = qyzmet_pki::Holder::from_name(&signer.certificate().tbs_certificate.subject);
        let name = holder
            .common_name
            .clone()
            .map(|cn| match &holder.patronymic {
                Some(p) => format!("{cn} {p}"),
                None => cn,
            })
            .unwrap_or(holder.subject);
        P12Sealer { signer, name }
    }

    /// The seal made of `cms`, naming this sealer's holder.
    fn seal_of(&self, cms: Result<Vec<u8>, qyzmet_pki::PkiError>) -> Result<Seal, SealError> {
        Ok(Seal {
            cms: cms.map_err(|e| SealError(e.to_string()))?,
            signer: self.name.clone(),
        })
    }

    pub fn from_p12(der: &[u8], password: &str) -> Result<Self, SealError> {
        qyzmet_pki::Signer::from_p12(der, password)
            .map(P12Sealer::new)
            .map_err(|e| SealError(e.to_string()))
    }
}

impl Sealer for P12Sealer {
    fn signer(&self) -> String {
        self.name.clone()
    }

    fn seal(&self, pdf: &[u8]) -> Result<Seal, SealError> {
        self.seal_of(self.signer.sign(pdf, true))
    }

    fn seal_hashed(&self, pdf: &[u8], sha256: &[u8; 32]) -> Result<Seal, SealError> {
        self.seal_of(self.signer.sign_detached_hashed(pdf, sha256))
    }

    fn certificate(&self) -> Option<Vec<u8>> {
        Some(self.signer.certificate_der())
    }
}

/// How documents are sealed and checked; part of [`AppState`].
///
/// The default is documents off: no drafts are rendered and `sign`
/// completes without a seal, as before documents existed. It serves tests
/// of other areas only; `serve` always turns documents on.
#[derive(Clone, Default)]
pub struct Settings {
    enabled: bool,
    /// The server-held key; `None`: the head sends their own signature.
    pub sealer: Option<Arc<dyn Sealer>>,
    /// Judges a head's own signature (`{"cms"}` at `sign`).
    pub verifier: Option<Arc<qyzmet_pki::Verifier>>,
    limiter: Arc<Limiter>,
}

impl Settings {
    pub fn new(
        sealer: Option<Arc<dyn Sealer>>,
        verifier: Option<Arc<qyzmet_pki::Verifier>>,
    ) -> Self {
        Settings {
            enabled: true,
            sealer,
            verifier,
            limiter: Arc::default(),
        }
    }

    /// Whether results are drafted and sealed.
    pub fn enabled(&self) -> bool {
        self.enabled
    }
}

// ---------------------------------------------------------------- jobs

/// The render jobs a transition from `before` to `after` calls for: the
/// receipt once intake gave one, the result's draft each time the case
/// enters `sign` (again, after a return). `rev` is the application's rev
/// after the transition: the job renders it at least that new.
pub fn jobs_after(
    state: &AppState,
    before: Option<&Case>,
    after: &Case,
    app_id: &str,
    rev: i64,
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    let mut jobs = Vec::new();
    if !state.documents().enabled() {
        return jobs;
    }
    let job = |purpose: &str| NewJob {
        kind: JOB_KIND.to_owned(),
        payload: json!({"application_id": app_id, "purpose": purpose, "rev": rev}),
        run_at: now,
    };
    if after.receipt.is_some() && before.is_none_or(|b| b.receipt.is_none()) {
        jobs.push(job("receipt"));
    }
    let at_sign = |c: &Case| {
        c.current
            .filter(|_| matches!(c.status, Status::InProgress | Status::Paused))
            .and_then(|i| c.steps.get(i).map(|s| (i, s.code)))
            .filter(|(_, code)| *code == StepCode::Sign)
            .map(|(i, _)| i)
    };
    if let Some(i) = at_sign(after) {
        if before.and_then(at_sign) != Some(i) {
            jobs.push(job("result"));
        }
    }
    jobs
}

/// The job runner's handler of [`JOB_KIND`].
pub struct RenderJob {
    state: AppState,
}

impl RenderJob {
    pub fn new(state: AppState) -> Self {
        RenderJob { state }
    }
}

/// Runs the document jobs due now (the demo seed, before a head signs),
/// and only those: the others (a package for the State Corporation) wait
/// for the server's runner, which has their handlers.
pub async fn run_jobs(state: &AppState) -> Result<(), StoreError> {
    qyzmet_store::jobs::JobRunner::new(state.store().clone(), job_handlers(state))
        .only_handled()
        .clock(Arc::new({
            let state = state.clone();
            move || state.now()
        }))
        .run_pending()
        .await
        .map(|_| ())
}

/// The handlers this module gives the job runner.
pub fn job_handlers(state: &AppState) -> HashMap<String, Arc<dyn JobHandler>> {
    HashMap::from([(
        JOB_KIND.to_owned(),
        Arc::new(RenderJob::new(state.clone())) as Arc<dyn JobHandler>,
    )])
}

#[async_trait]
impl JobHandler for RenderJob {
    async fn run(&self, job: &Job) -> Result<Ran, JobError> {
        let id = job.payload["application_id"]
            .as_str()
            .ok_or("payload without application_id")?;
        let purpose = job.payload["purpose"].as_str().unwrap_or("result");
        // The application at least as the write that asked for the
        // document left it: as this node remembers it when that is as
        // new (most often: this node wrote it), else as stored.
        let store = self.state.store();
        let app = match (job.payload["rev"].as_i64(), store.remembered(id)) {
            (Some(rev), Some(app)) if app.rev >= rev => app,
            _ => store.get(id).await?,
        };
        let case: Case = app.row.state.parse()?;
        let Some(doc) = render_draft(&self.state, &app, &case, purpose).await? else {
            // The case moved on (returned, withdrawn): nothing to render.
            return Ok(Ran::Done);
        };
        // The document and the job's end in one write.
        let finished = self
            .state
            .store()
            .put_document_finishing(doc, job.id, self.state.now())
            .await?;
        let written = finished.written;
        tracing::info!(application = %app.id, purpose, written, "document rendered");
        Ok(Ran::Recorded(finished))
    }
}

/// Renders the document of `purpose` as the case stands, ready to store;
/// `None` when the case has none to draft (it moved on: returned,
/// withdrawn).
async fn render_draft(
    state: &AppState,
    app: &Application,
    case: &Case,
    purpose: &str,
) -> Result<Option<NewDocument>, JobError> {
    // A receipt names the employee who gave it, at the office or the State
    // Corporation's counter (the portal takes a package in by itself).
    let issued_by = if purpose == "receipt" && case.channel != Channel::Portal {
        state
            .store()
            .user_by_username(&app.row.intake_actor)
            .await?
            .map(|u| u.display_name)
            .filter(|n| !n.trim().is_empty())
    } else {
        None
    };
    let Some(doc) = draft(state, app, case, purpose, issued_by.as_deref())? else {
        return Ok(None);
    };
    let content = doc.content;
    let stored_as = crate::view::document_purpose(case, purpose);
    let rendered =
        tokio::task::spawn_blocking(move || qyzmet_documents::render_parts(&content)).await??;
    Ok(Some(NewDocument {
        code: document_code(&app.id, &stored_as),
        application_id: app.id.clone(),
        purpose: stored_as,
        kind: doc.kind.to_owned(),
        number: app.number.clone(),
        issuer: doc.issuer,
        pdf: rendered.pdf,
        // The fonts' objects, the same in every document: stored once.
        shared: rendered
            .shared
            .iter()
            .map(|p| qyzmet_store::SharedPart {
                at: p.at,
                bytes: p.bytes,
                sha256: p.sha256,
            })
            .collect(),
        created_at: doc.date,
    }))
}

/// A document ready to render.
pub struct Draft {
    pub kind: &'static str,
    pub issuer: String,
    pub date: DateTime<Utc>,
    pub content: Content,
}

fn lang_of(case: &Case) -> Lang {
    case.details
        .pointer("/applicant/language")
        .and_then(Value::as_str)
        .and_then(|l| l.parse().ok())
        .unwrap_or(Lang::Kk)
}

/// What the document of `purpose` says now; `None` when the case has none
/// to draft (no receipt; a result only while at `sign`). A receipt names
/// `issued_by`, the employee who gave it, when there is one.
pub fn draft(
    state: &AppState,
    app: &Application,
    case: &Case,
    purpose: &str,
    issued_by: Option<&str>,
) -> Result<Option<Draft>, JobError> {
    let catalog = state.catalog();
    let version = catalog
        .version(&case.service, &case.version)
        .ok_or("the pinned version is missing from the catalog")?;
    let service = catalog.service(&case.service).ok_or("service missing")?;
    let lang = lang_of(case);
    let t = Texts::of(lang);
    let issuer = catalog
        .provider(&case.provider)
        .map(|p| p.name.get(lang).to_owned())
        .unwrap_or_else(|| case.provider.clone());
    let applicant = {
        let name = case
            .details
            .pointer("/applicant/name")
            .and_then(Value::as_str);
        match name {
            Some(n) => format!("{n}, {} {}", t.iin, case.applicant),
            None => format!("{} {}", t.iin, case.applicant),
        }
    };
    let act = catalog
        .act(&version.act)
        .map(|a| {
            format!(
                "{} № {}, {}",
                a.title.get(lang),
                a.number,
                a.date.format("%d.%m.%Y")
            )
        })
        .unwrap_or_else(|| version.act.clone());
    let verify_url = format!(
        "{}/verify/{}",
        state.base_url(),
        document_code(&app.id, &crate::view::document_purpose(case, purpose))
    );
    let mut notes = Vec::new();
    let mut body = Vec::new();
    let (kind, title, date, mut fields) = match purpose {
        "receipt" => {
            let Some(r) = &case.receipt else {
                return Ok(None);
            };
            let mut fields = vec![
                (t.number.to_owned(), app.number.clone()),
                (t.date.to_owned(), local_date(r.issued_at)),
                (t.service.to_owned(), service.name.get(lang).to_owned()),
                (t.applicant.to_owned(), applicant),
            ];
            // Who brought the package for the applicant, under what.
            if let Some(rep) = &case.representative {
                let name = case.details["representative"]["name"]
                    .as_str()
                    .map(|n| format!("{n}, "))
                    .unwrap_or_default();
                fields.push((
                    t.representative.to_owned(),
                    format!(
                        "{name}{} {}, {} № {}, {}",
                        t.iin,
                        rep.iin,
                        t.power_of_attorney,
                        rep.power_of_attorney.number,
                        rep.power_of_attorney.date.format("%d.%m.%Y")
                    ),
                ));
            }
            let title = match r.kind {
                ReceiptKind::Acceptance => {
                    body.push(t.received.to_owned());
                    for d in &case.documents {
                        body.push(format!("• {}", doc_name(version, d, lang)));
                    }
                    if let Some(due) = result_due(state, case, version) {
                        fields.push((t.result_due.to_owned(), local_date(due)));
                    }
                    t.acceptance_title.to_owned()
                }
                ReceiptKind::Rejection => {
                    let form = version
                        .result_forms
                        .iter()
                        .find(|f| f.kind == FormKind::Receipt);
                    if let Some(f) = form {
                        notes.push(f.citation.get(lang).to_owned());
                        if let Some(p) = &f.placeholder {
                            notes.push(format!("{}: {}", t.placeholder, p.note.get(lang)));
                        }
                    }
                    form.map(|f| f.name.get(lang).to_owned())
                        .unwrap_or_else(|| t.rejection_title.to_owned())
                }
            };
            if !r.missing.is_empty() {
                body.push(t.missing.to_owned());
                for d in &r.missing {
                    body.push(format!("• {}", doc_name(version, d, lang)));
                }
            }
            if let Some(name) = issued_by {
                fields.push((t.issued_by.to_owned(), name.to_owned()));
            }
            ("receipt", title, r.issued_at, fields)
        }
        _ => {
            let at_sign = case
                .current_step()
                .filter(|s| s.code == StepCode::Sign && s.is_open())
                .filter(|_| matches!(case.status, Status::InProgress | Status::Paused));
            let Some(sign) = at_sign else {
                return Ok(None);
            };
            let refusal = case.refusal.as_ref();
            let form_kind = if refusal.is_some() {
                FormKind::Refusal
            } else {
                FormKind::Approval
            };
            let form = version.result_forms.iter().find(|f| f.kind == form_kind);
            let title = form
                .map(|f| f.name.get(lang).to_owned())
                .unwrap_or_else(|| service.name.get(lang).to_owned());
            if let Some(f) = form {
                notes.push(f.citation.get(lang).to_owned());
                if let Some(p) = &f.placeholder {
                    notes.push(format!("{}: {}", t.placeholder, p.note.get(lang)));
                }
            }
            let signer = state
                .documents()
                .sealer
                .as_ref()
                .map(|s| s.signer())
                .unwrap_or_else(|| head_title(version, lang));
            let fields = vec![
                (t.number.to_owned(), app.number.clone()),
                (t.date.to_owned(), local_date(sign.started_at)),
                (t.service.to_owned(), service.name.get(lang).to_owned()),
                (t.applicant.to_owned(), applicant),
                (t.signer.to_owned(), signer),
            ];
            match refusal {
                Some(r) => {
                    body.push(format!("{} {}", service.name.get(lang), t.refused));
                    body.push(t.grounds.to_owned());
                    for g in &r.grounds {
                        match version.refusal_grounds.iter().find(|x| &x.code == g) {
                            // A dash, not parentheses: citations carry
                            // their own ("подпункт 10) пункта 8 (процесс 7)").
                            Some(x) => body.push(format!(
                                "• {} — {}",
                                x.name.get(lang),
                                x.citation.get(lang)
                            )),
                            None => body.push(format!("• {g}")),
                        }
                    }
                    body.push(format!("{} {}", t.reason, r.reason));
                }
                None => {
                    body.push(format!("{}: {}", service.name.get(lang), t.granted));
                    let children = children_of(&case.form);
                    if !children.is_empty() {
                        // A form of one `child` names one; `children[]`, a list.
                        let one = case.form.get("children").is_none();
                        body.push(if one { t.child } else { t.children }.to_owned());
                        for c in &children {
                            body.push(format!("• {c}"));
                        }
                    }
                    if let Some(m) = meeting_of(&case.form) {
                        body.push(format!("{} {m}", t.meeting));
                    }
                    if version.payment.is_some() {
                        let year = chrono::Datelike::year(
                            &sign
                                .started_at
                                .with_timezone(&qyzmet_domain::calendar::ZONE),
                        );
                        let n = u32::try_from(children.len().max(1)).unwrap_or(1);
                        let p = catalog
                            .payment_amount(version, year, n)
                            .ok_or_else(|| format!("no MRP for {year} in the catalog"))?;
                        body.push(format!(
                            "{} {} {} × {} × {} ₸ ({} {}) = {} ₸",
                            t.amount,
                            p.mrp_per_child,
                            t.mrp,
                            p.children,
                            tenge(u64::from(p.mrp)),
                            t.mrp,
                            p.year,
                            tenge(p.amount)
                        ));
                        if let Some(rule) = &version.payment {
                            notes.push(rule.citation.get(lang).to_owned());
                        }
                        if !p.mrp_confirmed {
                            notes.push(format!("{} {}: {}", t.mrp, p.year, t.unconfirmed));
                        }
                    }
                }
            }
            let kind = if refusal.is_some() {
                "refusal"
            } else {
                "approval"
            };
            (kind, title, sign.started_at, fields)
        }
    };
    fields.push((t.regulation.to_owned(), act));
    Ok(Some(Draft {
        kind,
        issuer: issuer.clone(),
        date,
        content: Content {
            lang: lang.code().to_owned(),
            issuer,
            // The catalog names result forms as the regulations' sentences
            // do ("разрешение органа опеки…"); a title starts with a capital.
            title: crate::pages::capitalized(&title),
            fields,
            body,
            notes,
            verify_url,
            verify_label: t.verify.to_owned(),
        },
    }))
}

fn head_title(version: &Version, lang: Lang) -> String {
    version
        .participants
        .iter()
        .find(|p| p.role == qyzmet_domain::Role::Head)
        .map(|p| p.name.get(lang).to_owned())
        .unwrap_or_default()
}

fn doc_name(version: &Version, code: &str, lang: Lang) -> String {
    version
        .documents
        .iter()
        .find(|d| d.code == code)
        .map(|d| d.name.get(lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The children a form names (`child`, or `children[]`), as printed, the
/// birth date as the document's other dates (`15.03.2020`).
fn children_of(form: &Value) -> Vec<String> {
    let one = |c: &Value| {
        let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
        format!("{}, {}, {}", s("name"), s("iin"), dotted(s("birth_date")))
    };
    match (form.get("children"), form.get("child")) {
        (Some(Value::Array(cs)), _) => cs.iter().map(one).collect(),
        (_, Some(c)) if c.is_object() => vec![one(c)],
        _ => Vec::new(),
    }
}

/// The meeting a form asks for (`meeting`: its date, and its place when
/// given), as printed: `05.12.2026, Қарағанды`.
fn meeting_of(form: &Value) -> Option<String> {
    let m = form.get("meeting")?;
    let day = dotted(m.get("preferred_date").and_then(Value::as_str)?);
    Some(match m.get("place").and_then(Value::as_str) {
        Some(place) if !place.trim().is_empty() => format!("{day}, {}", place.trim()),
        _ => day,
    })
}

/// A form's date (`2026-12-05`) as documents write dates (`05.12.2026`);
/// anything else as it is.
fn dotted(day: &str) -> String {
    qyzmet_domain::catalog::full_date(day)
        .map(|d| d.format("%d.%m.%Y").to_string())
        .unwrap_or_else(|| day.to_owned())
}

/// Tenge with thin groups: 324 375.
fn tenge(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn local_date(t: DateTime<Utc>) -> String {
    t.with_timezone(&qyzmet_domain::calendar::ZONE)
        .format("%d.%m.%Y")
        .to_string()
}

/// When the result is due if every step after the current one takes its
/// whole limit: the deadline an acceptance receipt states.
fn result_due(state: &AppState, case: &Case, version: &Version) -> Option<DateTime<Utc>> {
    let current = case.current_step()?;
    let mut due = current.due_at;
    let idx = version.steps.iter().position(|s| s.code == current.code)?;
    for step in &version.steps[idx + 1..] {
        due = Deadlines::due(&*state.calendar(), due, step.limit);
    }
    Some(due)
}

/// The words of the documents, by language.
struct Texts {
    number: &'static str,
    date: &'static str,
    service: &'static str,
    applicant: &'static str,
    representative: &'static str,
    power_of_attorney: &'static str,
    iin: &'static str,
    signer: &'static str,
    regulation: &'static str,
    verify: &'static str,
    placeholder: &'static str,
    granted: &'static str,
    refused: &'static str,
    grounds: &'static str,
    reason: &'static str,
    children: &'static str,
    child: &'static str,
    amount: &'static str,
    mrp: &'static str,
    unconfirmed: &'static str,
    acceptance_title: &'static str,
    rejection_title: &'static str,
    received: &'static str,
    missing: &'static str,
    result_due: &'static str,
    issued_by: &'static str,
    meeting: &'static str,
}

impl Texts {
    fn of(lang: Lang) -> &'static Texts {
        match lang {
            Lang::Kk => &KK,
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }
}

static KK: Texts = Texts {
    number: "Тіркеу нөмірі",
    date: "Күні",
    service: "Мемлекеттік көрсетілетін қызмет",
    applicant: "Көрсетілетін қызметті алушы",
    representative: "Өкіл",
    power_of_attorney: "сенімхат",
    iin: "ЖСН",
    signer: "Қол қойған",
    regulation: "Регламент",
    verify: "Құжаттың түпнұсқалығын мына мекенжайда тексеруге болады:",
    placeholder: "Уақытша нысан",
    granted: "өтініш қанағаттандырылды.",
    refused: "бойынша өтініштен бас тартылды.",
    grounds: "Бас тарту негіздері:",
    reason: "Дәлелі:",
    children: "Балалар:",
    child: "Бала:",
    amount: "Төлем сомасы:",
    mrp: "АЕК",
    unconfirmed: "мөлшері расталмаған",
    acceptance_title: "Құжаттарды қабылдау туралы қолхат",
    rejection_title: "Құжаттарды қабылдаудан бас тарту туралы қолхат",
    received: "Қабылданған құжаттар:",
    missing: "Ұсынылмаған құжаттар:",
    result_due: "Нәтиже беру мерзімі",
    issued_by: "Қолхатты берген қызметкер",
    meeting: "Өтініш берушінің сұраған кездесуі:",
};

static RU: Texts = Texts {
    number: "Регистрационный номер",
    date: "Дата",
    service: "Государственная услуга",
    applicant: "Услугополучатель",
    representative: "Представитель",
    power_of_attorney: "доверенность",
    iin: "ИИН",
    signer: "Подписал",
    regulation: "Регламент",
    verify: "Подлинность документа можно проверить по адресу:",
    placeholder: "Временная форма",
    granted: "заявление удовлетворено.",
    refused: "— в удовлетворении заявления отказано.",
    grounds: "Основания отказа:",
    reason: "Мотивировка:",
    children: "Дети:",
    child: "Ребёнок:",
    amount: "Сумма выплаты:",
    mrp: "МРП",
    unconfirmed: "размер не подтверждён",
    acceptance_title: "Расписка о приёме документов",
    rejection_title: "Расписка об отказе в приёме документов",
    received: "Приняты документы:",
    missing: "Не представлены документы:",
    result_due: "Срок выдачи результата",
    issued_by: "Расписку выдал",
    meeting: "Встреча, о которой просил заявитель:",
};

static EN: Texts = Texts {
    number: "Registration number",
    date: "Date",
    service: "State service",
    applicant: "Applicant",
    representative: "Representative",
    power_of_attorney: "power of attorney",
    iin: "IIN",
    signer: "Signed by",
    regulation: "Regulation",
    verify: "Check that this document is genuine at:",
    placeholder: "Placeholder form",
    granted: "the application is granted.",
    refused: "— the application is refused.",
    grounds: "Grounds for refusal:",
    reason: "Reasons:",
    children: "Children:",
    child: "Child:",
    amount: "Amount:",
    mrp: "MRP",
    unconfirmed: "amount not confirmed",
    acceptance_title: "Receipt of acceptance of documents",
    rejection_title: "Receipt refusing to accept documents",
    received: "Documents received:",
    missing: "Documents not presented:",
    result_due: "Result due by",
    issued_by: "Receipt issued by",
    meeting: "The meeting the applicant asked for:",
};

// ---------------------------------------------------------------- the head's seal

/// At `complete` on `sign`: the seal of the drafted result, from the head's
/// own signature (`cms` in the body) or the server-held key; `None` when it
/// is sealed already (the case came back to `sign` from `issue`).
///
/// The draft is the render job's. When it has not run yet, a seal by the
/// server-held key renders the draft here (the same bytes the job would
/// store, since the same content gives the same PDF), so the head is never
/// turned away; a seal of the head's own (`cms`) was made over a draft the
/// head has seen, so without one it is `document-not-ready` (409).
pub async fn seal_at_sign(
    state: &AppState,
    who: &Principal,
    app: &Application,
    case: &Case,
    body: &Value,
) -> Result<Option<DocumentSeal>, ApiError> {
    let code = document_code(&app.id, &crate::view::document_purpose(case, "result"));
    let not_ready = || {
        ApiError::new(StatusCode::CONFLICT, "document-not-ready")
            .with_detail("the result document is still being drafted; try again in a few seconds")
    };
    // The bytes to seal, their hash, and the draft when it is made here
    // (with its hash as raw bytes: the seal's digest, not computed again).
    let (pdf, sha256, draft, digest) = match state.store().document(&code).await {
        Ok(d) if d.seal.is_some() => return Ok(None),
        Ok(d) => (d.pdf, d.sha256, None, None),
        Err(StoreError::NotFound)
            if body.get("cms").is_none() && state.documents().sealer.is_some() =>
        {
            let made = render_draft(state, app, case, "result")
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, application = %app.id, "drafting the result at sign");
                    ApiError::internal()
                })?
                .ok_or_else(not_ready)?;
            let digest: [u8; 32] = Sha256::digest(&made.pdf).into();
            (
                made.pdf.clone(),
                hex::encode(digest),
                Some(made),
                Some(digest),
            )
        }
        Err(StoreError::NotFound) => return Err(not_ready()),
        Err(e) => return Err(e.into()),
    };
    let now = state.now();
    let seal = match body.get("cms") {
        Some(cms) => {
            let b64 = cms.as_str().ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "body-invalid")
                    .with_detail("`cms` is base64 of a CMS SignedData")
            })?;
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "seal-invalid")
                        .with_detail("cms-malformed: `cms` is not base64")
                })?;
            let verifier = state.documents().verifier.clone().ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "seal-invalid")
                    .with_detail("certificate-untrusted: no trust anchors are configured")
            })?;
            let cms = der.clone();
            let verified =
                tokio::task::spawn_blocking(move || verifier.verify(&cms, Some(&pdf), now))
                    .await
                    .map_err(|_| ApiError::internal())?
                    .map_err(|r| {
                        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "seal-invalid")
                            .with_detail(format!("{}: {r}", r.code()))
                    })?;
            // The certificate must be the signing head's own: an account
            // without an IIN has nothing to match, so it cannot seal with
            // a personal key (only with the server-held one).
            if who.iin.is_none_or(|iin| iin.to_string() != verified.iin) {
                return Err(
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "seal-invalid")
                        .with_detail("iin-mismatch: the certificate is not the head's"),
                );
            }
            Seal {
                cms: der,
                signer: verified
                    .holder
                    .common_name
                    .clone()
                    .unwrap_or(verified.holder.subject.clone()),
            }
        }
        None => {
            let sealer = state.documents().sealer.clone().ok_or_else(|| {
                ApiError::new(StatusCode::CONFLICT, "seal-key-missing").with_detail(
                    "the server holds no key for the head: sign the draft and send `cms`",
                )
            })?;
            tokio::task::spawn_blocking(move || match digest {
                Some(d) => sealer.seal_hashed(&pdf, &d),
                None => sealer.seal(&pdf),
            })
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(|e| {
                tracing::error!(error = %e, "sealing with the server-held key");
                ApiError::internal()
            })?
        }
    };
    Ok(Some(DocumentSeal {
        code,
        sha256,
        cms: seal.cms,
        signer: seal.signer,
        at: now,
        draft,
    }))
}

// ---------------------------------------------------------------- reading

fn code_ok(code: &str) -> bool {
    code.len() == 20 && code.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the document is one its holder has been given: a receipt, or a
/// sealed result.
fn is_issued(doc: &StoredDocument) -> bool {
    doc.purpose == "receipt" || doc.seal.is_some()
}

async fn readable(
    state: &AppState,
    who: &Principal,
    code: &str,
) -> Result<StoredDocument, ApiError> {
    if !code_ok(code) {
        return Err(ApiError::not_found());
    }
    let doc = state.store().document(code).await?;
    let app = state.store().get(&doc.application_id).await?;
    // A state that does not read as a case is an error, not "no case": the
    // check of who may see it needs the case.
    let case = crate::applications::load_case_of(&app)?;
    if !crate::applications::may_see(who, &app.row, Some(&case)) {
        return Err(ApiError::not_found());
    }
    // A draft is the office's until the head signs it.
    if !is_issued(&doc) && who.role == qyzmet_domain::Role::Applicant {
        return Err(ApiError::not_found());
    }
    Ok(doc)
}

/// A document's PDF
#[utoipa::path(get, path = "/api/v1/documents/{code}", tag = "documents",
    params(("code" = String, Path, description = "The document's code (`result.document`, `receipt.document`)")),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem),
        (status = 404, description = "No such document, or not yours", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn download(
    State(state): State<AppState>,
    who: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let doc = readable(&state, &who, &code).await?;
    let name = format!("{}-{}.pdf", doc.number, doc.purpose);
    Ok(binary(doc.pdf, "application/pdf", &name))
}

/// A sealed document's seal
#[utoipa::path(get, path = "/api/v1/documents/{code}/seal", tag = "documents",
    params(("code" = String, Path, description = "The document's code")),
    responses(
        (status = 200, description = "Detached CMS SignedData over the PDF, DER", content_type = "application/pkcs7-signature", body = Vec<u8>),
        (status = 401, body = crate::problem::Problem),
        (status = 404, description = "No such document, not yours, or not sealed", body = crate::problem::Problem),
    ),
    security(("bearer" = [])))]
pub async fn seal(
    State(state): State<AppState>,
    who: Principal,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let doc = readable(&state, &who, &code).await?;
    let cms = doc.seal.ok_or_else(ApiError::not_found)?;
    let name = format!("{}-{}.pdf.p7s", doc.number, doc.purpose);
    Ok(binary(cms, "application/pkcs7-signature", &name))
}

fn binary(bytes: Vec<u8>, media_type: &'static str, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

// ---------------------------------------------------------------- verifying

/// The public answer about a document (contract.md, "Documents").
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub valid: bool,
    pub code: String,
    /// `approval`, `refusal` or `receipt`.
    pub kind: String,
    pub number: String,
    /// When it was issued (a result: when it was sealed).
    pub date: String,
    pub issuer: String,
    /// Of the PDF, lowercase hex.
    pub sha256: String,
    /// A sealed result whose application was returned after the seal: it
    /// no longer stands (a new result replaces it), so `valid` is false.
    #[serde(skip)]
    pub superseded: bool,
}

/// Lookups per address (an IPv6 client's /64, `client::limit_unit`) per
/// window, like the login limiter (auth.rs) but kept in memory: a verify
/// lookup writes nothing, and a node that restarts forgets at most one
/// window.
const LOOKUPS_PER_WINDOW: u32 = 30;
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Limiter {
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    /// Counts a lookup; `Err(seconds)` to wait while over the limit.
    fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= LOOKUPS_PER_WINDOW {
            let left = WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The peer's address, when the server was started with connect info.
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

fn limited(state: &AppState, addr: Option<SocketAddr>) -> Result<(), ApiError> {
    let ip = addr.map_or(IpAddr::from([0, 0, 0, 0]), |a| {
        crate::client::limit_unit(a.ip())
    });
    state.documents().limiter.check(ip).map_err(|secs| {
        let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "verify-rate-limited");
        e.retry_after = Some(secs);
        e
    })
}

/// The issued document of `code`, or `None` (unknown, malformed, or a draft
/// nobody has been given).
async fn issued(state: &AppState, code: &str) -> Result<Option<StoredDocument>, ApiError> {
    if !code_ok(code) {
        return Ok(None);
    }
    match state.store().document(code).await {
        Ok(d) if is_issued(&d) => Ok(Some(d)),
        Ok(_) | Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Whether the sealed result `doc` was withdrawn: a step of its application
/// was returned after the seal, so the case went back and its result will
/// be drafted and sealed anew. A receipt is never superseded.
async fn superseded(state: &AppState, doc: &StoredDocument) -> Result<bool, ApiError> {
    let Some(sealed_at) = doc.sealed_at.filter(|_| doc.purpose.starts_with("result")) else {
        return Ok(false);
    };
    let app = state.store().get(&doc.application_id).await?;
    let case = crate::applications::load_case_of(&app)?;
    Ok(case.steps.iter().any(|s| {
        s.end == Some(qyzmet_domain::case::StepEnd::Returned)
            && s.completed_at.is_some_and(|at| at >= sealed_at)
    }))
}

async fn verification(state: &AppState, doc: &StoredDocument) -> Result<Verification, ApiError> {
    let actual = hex::encode(Sha256::digest(&doc.pdf));
    let superseded = superseded(state, doc).await?;
    Ok(Verification {
        // The stored bytes still hash to what was recorded when they were
        // issued (and, for a result, sealed), and it still stands.
        valid: actual == doc.sha256 && !superseded,
        superseded,
        code: doc.code.clone(),
        kind: doc.kind.clone(),
        number: doc.number.clone(),
        date: local(doc.sealed_at.unwrap_or(doc.created_at)),
        issuer: doc.issuer.clone(),
        sha256: doc.sha256.clone(),
    })
}

/// Check a document (public)
#[utoipa::path(get, path = "/api/v1/verify/{code}", tag = "documents",
    params(("code" = String, Path, description = "The code in the document's QR code")),
    responses(
        (status = 200, description = "What the document is", body = Verification),
        (status = 404, description = "No such document", body = crate::problem::Problem),
        (status = 429, description = "Too many lookups from this address", body = crate::problem::Problem),
    ))]
pub async fn verify_json(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(code): Path<String>,
) -> Result<axum::Json<Verification>, ApiError> {
    limited(&state, addr)?;
    let doc = issued(&state, &code)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(verification(&state, &doc).await?))
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    c: crate::pages::Ctx,
    found: Option<Verification>,
    kind_name: &'static str,
    /// The date for people: local time to the minute, with its offset.
    date_text: String,
    /// After an upload: whether it is the same file.
    upload: Option<bool>,
    upload_error: bool,
    limited: bool,
}

/// The largest PDF the page compares.
const MAX_UPLOAD: usize = 20 * 1024 * 1024;

async fn page(
    state: &AppState,
    c: crate::pages::Ctx,
    addr: Option<SocketAddr>,
    code: String,
    upload: Option<Result<Vec<u8>, ()>>,
) -> Response {
    let mut p = VerifyPage {
        c,
        found: None,
        kind_name: "",
        date_text: String::new(),
        upload: None,
        upload_error: false,
        limited: false,
    };
    let status = if limited(state, addr).is_err() {
        p.limited = true;
        StatusCode::TOO_MANY_REQUESTS
    } else {
        match issued(state, &code).await {
            Ok(Some(doc)) => {
                p.kind_name = p.c.t(match doc.kind.as_str() {
                    "approval" => "verify.kind-approval",
                    "refusal" => "verify.kind-refusal",
                    _ => "verify.kind-receipt",
                });
                match upload {
                    Some(Ok(bytes)) => {
                        p.upload = Some(hex::encode(Sha256::digest(&bytes)) == doc.sha256)
                    }
                    Some(Err(())) => p.upload_error = true,
                    None => {}
                }
                let v = match verification(state, &doc).await {
                    Ok(v) => v,
                    Err(e) => return e.into_response(),
                };
                p.date_text = readable_date(&v.date);
                p.found = Some(v);
                StatusCode::OK
            }
            Ok(None) => StatusCode::NOT_FOUND,
            Err(e) => return e.into_response(),
        }
    };
    match p.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            if p.limited {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(WINDOW.as_secs()));
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "verify page template");
            ApiError::internal().into_response()
        }
    }
}

/// `2026-11-23T22:39:57+05:00` as `2026-11-23 22:39 (UTC+05:00)`.
fn readable_date(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(d) => format!("{} (UTC{})", d.format("%Y-%m-%d %H:%M"), d.format("%:z")),
        Err(_) => rfc3339.to_owned(),
    }
}

/// `GET /verify/{code}`: the public page a QR code leads to.
pub async fn verify_page(
    State(state): State<AppState>,
    c: crate::pages::Ctx,
    ClientAddr(addr): ClientAddr,
    Path(code): Path<String>,
) -> Response {
    page(&state, c, addr, code, None).await
}

/// `POST /verify/{code}` (multipart: `csrf`, then the file `pdf`): is this
/// file the document? Nothing is stored; the form carries the CSRF token
/// like every other.
pub async fn verify_upload(
    State(state): State<AppState>,
    c: crate::pages::Ctx,
    ClientAddr(addr): ClientAddr,
    Path(code): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let mut file = Err(());
    let mut csrf = None;
    if let Ok(mut m) = multipart {
        while let Ok(Some(field)) = m.next_field().await {
            match field.name() {
                Some("csrf") => csrf = field.text().await.ok(),
                Some("pdf") => {
                    file = match field.bytes().await {
                        Ok(b) if !b.is_empty() && b.len() <= MAX_UPLOAD => Ok(b.to_vec()),
                        _ => Err(()),
                    };
                    break;
                }
                _ => {}
            }
        }
    }
    if let Err(e) = crate::pages::session::check_field(&c, csrf.as_deref()) {
        return e.into_response();
    }
    page(&state, c, addr, code, Some(file)).await
}
