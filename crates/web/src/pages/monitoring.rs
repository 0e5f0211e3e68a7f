//! Monitoring (`/monitoring`): the overdue steps, the load per step and per
//! provider, and the time each step takes against its limit, as SVG charts
//! drawn on the server (no script, no inline style: classes of the
//! stylesheet), each with a title, a description and its data as a table,
//! and each chart's data as CSV. Administrators and auditors see every
//! provider; a head sees their own provider's (the API narrows it).

use super::api::Call;
use super::cabinet::{s, service_name, when};
use super::{render, Ctx};
use crate::admin::{csv_headers, csv_response};
use crate::problem::ApiError;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/monitoring", get(page))
        .route("/monitoring/times", get(times_page))
        .route("/monitoring/{file}", get(csv))
}

/// One bar of a chart: its label and its segments (value, CSS class),
/// drawn one after another from the left.
pub struct Bar {
    pub label: String,
    pub segments: Vec<(i64, &'static str)>,
    /// The text at the bar's end (its values in words).
    pub note: String,
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const WIDTH: i64 = 400;
const ROW: i64 = 40;
/// Characters of a label drawn in a chart; the data table has them all.
const LABEL: usize = 52;

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL {
        label.to_owned()
    } else {
        let mut out: String = label.chars().take(LABEL - 1).collect();
        out.push('…');
        out
    }
}

/// A horizontal bar chart as SVG markup: the label above each bar (so it
/// reads at a phone's width), bars scaled to `max`, and an optional
/// vertical marker (a limit) at `marker`. `id` makes the title and
/// description referable.
pub fn bar_chart(
    id: &str,
    title: &str,
    desc: &str,
    bars: &[Bar],
    max: i64,
    marker: Option<(i64, &str)>,
) -> String {
    let max = max.max(1);
    let area = WIDTH - 10;
    let height = (bars.len() as i64 * ROW).max(ROW) + 10;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" \
         aria-labelledby=\"{id}-title {id}-desc\" focusable=\"false\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        esc(title),
        esc(desc)
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i as i64 * ROW;
        let _ = write!(
            svg,
            "<text class=\"chart-label\" x=\"0\" y=\"{}\">{}</text>",
            y + 14,
            esc(&shorten(&bar.label))
        );
        let mut x = 0;
        for (value, class) in &bar.segments {
            let w = (value * area / max).max(if *value > 0 { 2 } else { 0 });
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"14\"></rect>",
                y + 19
            );
            x += w;
        }
        let _ = write!(
            svg,
            "<text class=\"chart-value\" x=\"{}\" y=\"{}\">{}</text>",
            (x + 6).min(area - 110).max(0),
            y + 31,
            esc(&bar.note)
        );
    }
    if let Some((at, label)) = marker {
        let x = at * area / max;
        let _ = write!(
            svg,
            "<line class=\"chart-marker\" x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{height}\"></line>\
             <text class=\"chart-marker-label\" x=\"{}\" y=\"{}\">{}</text>",
            (x - 4).max(0),
            height - 2,
            esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

pub struct LoadRow {
    pub label: String,
    pub provider: String,
    pub service: String,
    pub step: String,
    pub open: i64,
    pub overdue: i64,
}

pub struct TimeRow {
    pub label: String,
    pub step: String,
    pub service: String,
    pub limit: String,
    pub completed: u64,
    pub on_time: u64,
    pub median: String,
    pub p90: String,
    pub allowed: String,
    pub median_pct: i64,
    pub p90_pct: i64,
}

pub struct OverdueRow {
    pub id: String,
    pub number: String,
    pub service: String,
    pub step: String,
    pub due: String,
}

#[derive(Template)]
#[template(path = "monitoring.html")]
pub struct MonitoringPage {
    pub c: Ctx,
    pub open: i64,
    pub overdue: i64,
    pub steps: Vec<LoadRow>,
    pub providers: Vec<LoadRow>,
    pub overdue_rows: Vec<OverdueRow>,
    pub steps_chart: String,
    pub providers_chart: String,
}

/// The time taken against the limit: a report of its own, since it reads
/// every application (the rest of the monitoring is two indexed queries).
#[derive(Template)]
#[template(path = "monitoring_times.html")]
pub struct TimesPage {
    pub c: Ctx,
    pub times: Vec<TimeRow>,
    pub completed: u64,
    pub times_chart: String,
    /// The first day counted, as the API answered it (`YYYY-MM-DD`).
    pub since: String,
}

/// The report's period, as the page's form sends it.
#[derive(serde::Deserialize, Default)]
pub struct TimesQuery {
    pub since: Option<String>,
}

/// `…&since=…` for the API, when the reader chose a day (the API checks
/// the date itself).
fn since_param(q: &TimesQuery) -> String {
    match q.since.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => format!("&since={}", super::urlencode(d)),
        _ => String::new(),
    }
}

/// What the monitoring's first page shows, as the API gives it to the reader.
struct Data {
    load: Value,
    overdue: Value,
}

async fn fetch(state: &AppState, c: &Ctx) -> Result<Data, ApiError> {
    let token = c.token.as_deref();
    let (load, overdue) = tokio::join!(
        Call::get("/admin/stats/load", token).send(state),
        Call::get("/applications?overdue=true&order=due&limit=100", token).send(state),
    );
    Ok(Data {
        load: load.ok()?,
        overdue: overdue.ok()?,
    })
}

fn provider_name(state: &AppState, c: &Ctx, code: &str) -> String {
    state
        .catalog()
        .provider(code)
        .map(|p| p.name.get(c.lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn step_name(c: &Ctx, code: &str) -> String {
    if code.is_empty() {
        String::new()
    } else {
        c.t(&format!("step.{code}")).to_owned()
    }
}

fn load_rows(state: &AppState, c: &Ctx, load: &Value) -> (Vec<LoadRow>, Vec<LoadRow>) {
    let steps: Vec<LoadRow> = load["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| LoadRow {
            label: format!(
                "{} — {}",
                step_name(c, &s(r, "step")),
                service_name(state, c, &s(r, "service"))
            ),
            provider: s(r, "provider"),
            service: s(r, "service"),
            step: s(r, "step"),
            open: r["open"].as_i64().unwrap_or(0),
            overdue: r["overdue"].as_i64().unwrap_or(0),
        })
        .collect();
    let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &steps {
        let e = per.entry(r.provider.clone()).or_default();
        e.0 += r.open;
        e.1 += r.overdue;
    }
    let providers = per
        .into_iter()
        .map(|(p, (open, overdue))| LoadRow {
            label: provider_name(state, c, &p),
            provider: p,
            service: String::new(),
            step: String::new(),
            open,
            overdue,
        })
        .collect();
    (steps, providers)
}

/// Minutes as people read a duration: `2 d 3 h`, `3 h 5 min`, `12 min`.
fn duration(c: &Ctx, minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let (ud, uh, um) = (c.t("mon.unit.d"), c.t("mon.unit.h"), c.t("mon.unit.min"));
    if d > 0 {
        format!("{d} {ud} {h} {uh}")
    } else if h > 0 {
        format!("{h} {uh} {m} {um}")
    } else {
        format!("{m} {um}")
    }
}

fn limit_of(c: &Ctx, limit: &Value) -> String {
    let Some((unit, n)) = limit.as_object().and_then(|o| o.iter().next()) else {
        return String::new();
    };
    let n = u32::try_from(n.as_u64().unwrap_or(0)).unwrap_or(u32::MAX);
    let limit = match unit.as_str() {
        "minutes" => qyzmet_domain::Limit::Minutes(n),
        "working_days" => qyzmet_domain::Limit::WorkingDays(n),
        _ => qyzmet_domain::Limit::CalendarDays(n),
    };
    super::catalog::limit_text(c, limit)
}

fn time_rows(state: &AppState, c: &Ctx, times: &Value) -> Vec<TimeRow> {
    times["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap_or(0);
            TimeRow {
                label: format!(
                    "{} — {}",
                    step_name(c, &s(r, "step")),
                    service_name(state, c, &s(r, "service"))
                ),
                step: step_name(c, &s(r, "step")),
                service: service_name(state, c, &s(r, "service")),
                limit: limit_of(c, &r["limit"]),
                completed: r["completed"].as_u64().unwrap_or(0),
                on_time: r["on_time"].as_u64().unwrap_or(0),
                median: duration(c, n("median_minutes")),
                p90: duration(c, n("p90_minutes")),
                allowed: duration(c, n("allowed_median_minutes")),
                median_pct: n("median_used_percent"),
                p90_pct: n("p90_used_percent"),
            }
        })
        .collect()
}

fn load_chart(c: &Ctx, id: &str, title: &str, rows: &[LoadRow]) -> String {
    let bars: Vec<Bar> = rows
        .iter()
        .map(|r| Bar {
            label: r.label.clone(),
            segments: vec![(r.open - r.overdue, "bar-open"), (r.overdue, "bar-overdue")],
            note: format!(
                "{} {}, {} {}",
                r.open,
                c.t("mon.open"),
                r.overdue,
                c.t("mon.overdue")
            ),
        })
        .collect();
    let max = rows.iter().map(|r| r.open).max().unwrap_or(0);
    bar_chart(id, title, c.t("mon.load.desc"), &bars, max, None)
}

fn times_chart(c: &Ctx, rows: &[TimeRow]) -> String {
    // Two bars a step: the median and the 90th percentile of the share of
    // the allowed time used; the marker is the limit itself (100 %).
    let mut bars = Vec::new();
    for r in rows {
        bars.push(Bar {
            label: format!("{} ({}) — {}", r.step, r.limit, r.service),
            segments: vec![(r.median_pct, "bar-median")],
            note: format!("{}: {} %", c.t("mon.median"), r.median_pct),
        });
        bars.push(Bar {
            label: String::new(),
            segments: vec![(r.p90_pct, "bar-p90")],
            note: format!("{}: {} %", c.t("mon.p90"), r.p90_pct),
        });
    }
    let max = rows
        .iter()
        .map(|r| r.p90_pct.max(r.median_pct))
        .max()
        .unwrap_or(0)
        .max(120);
    bar_chart(
        "times",
        c.t("mon.times.title"),
        c.t("mon.times.desc"),
        &bars,
        max,
        Some((100, c.t("mon.limit"))),
    )
}

pub async fn page(State(state): State<AppState>, c: Ctx) -> Response {
    let data = match fetch(&state, &c).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let (steps, providers) = load_rows(&state, &c, &data.load);
    let overdue_rows = overdue_rows(&state, &c, &data.overdue);
    render(&MonitoringPage {
        open: data.load["open"].as_i64().unwrap_or(0),
        overdue: data.load["overdue"].as_i64().unwrap_or(0),
        steps_chart: load_chart(&c, "steps", c.t("mon.steps.title"), &steps),
        providers_chart: load_chart(&c, "providers", c.t("mon.providers.title"), &providers),
        steps,
        providers,
        overdue_rows,
        c,
    })
}

pub async fn times_page(
    State(state): State<AppState>,
    c: Ctx,
    Query(q): Query<TimesQuery>,
) -> Response {
    let path = format!("/admin/stats/times?format=json{}", since_param(&q));
    let v = match Call::get(&path, c.token.as_deref()).send(&state).await.ok() {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    let times = time_rows(&state, &c, &v);
    render(&TimesPage {
        completed: v["completed"].as_u64().unwrap_or(0),
        times_chart: times_chart(&c, &times),
        times,
        since: s(&v, "since"),
        c,
    })
}

fn overdue_rows(state: &AppState, c: &Ctx, v: &Value) -> Vec<OverdueRow> {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| OverdueRow {
            id: s(a, "id"),
            number: s(a, "number"),
            service: service_name(state, c, &s(a, "service")),
            step: step_name(c, a["step"].as_str().unwrap_or_default()),
            due: when(&s(a, "due_at")),
        })
        .collect()
}

/// Each chart's data as CSV: codes, not translated names, so a
/// spreadsheet or a script reads the same file in every language. The
/// load per step and the times are the API's own CSV.
pub async fn csv(
    State(state): State<AppState>,
    c: Ctx,
    Path(file): Path<String>,
    Query(q): Query<TimesQuery>,
) -> Response {
    let token = c.token.as_deref();
    let path = match file.as_str() {
        "steps.csv" => "/admin/stats/load?format=csv".to_owned(),
        "times.csv" => format!("/admin/stats/times?format=csv{}", since_param(&q)),
        "providers.csv" => "/admin/stats/load".to_owned(),
        "overdue.csv" => "/applications?overdue=true&order=due&limit=100".to_owned(),
        _ => return ApiError::new(StatusCode::NOT_FOUND, "not-found").into_response(),
    };
    let answer = Call::get(&path, token).send(&state).await;
    if let Some(e) = answer.error {
        return e.into_response();
    }
    match file.as_str() {
        "providers.csv" => {
            let (_, providers) = load_rows(&state, &c, &answer.body);
            csv_response(
                &file,
                &["provider", "name", "open", "overdue"],
                providers.iter().map(|r| {
                    vec![
                        r.provider.clone(),
                        r.label.clone(),
                        r.open.to_string(),
                        r.overdue.to_string(),
                    ]
                }),
            )
        }
        "overdue.csv" => csv_response(
            &file,
            &["number", "service", "step", "due_at"],
            answer.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    vec![
                        s(a, "number"),
                        s(a, "service"),
                        s(a, "step"),
                        s(a, "due_at"),
                    ]
                }),
        ),
        _ => (csv_headers(&file), answer.bytes).into_response(),
    }
}
