//! What operators watch: one log line per request (method, route, status,
//! latency, request id) and the Prometheus scrape at `GET /metrics`.
//!
//! Requests are counted by the route *template* (`/api/v1/applications/{id}`,
//! never the raw path, so the number of series stays bounded), the method
//! and the status class. The application and outbox gauges are read from
//! the store at scrape time.

use crate::request_id::RequestId;
use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Upper bounds of the latency histogram's buckets, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label of requests no route matched (404s from the fallback).
pub const UNMATCHED: &str = "unmatched";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    method: String,
    route: String,
    status: &'static str,
}

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    /// Observations at or under each bound of [`BUCKETS`] (not cumulative).
    buckets: [u64; BUCKETS.len()],
}

/// The request counters and latency histograms, per method, route template
/// and status class.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<Key, Series>>,
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// A label value as the exposition format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, latency: Duration) {
        let secs = latency.as_secs_f64();
        let key = Key {
            method: method.to_owned(),
            route: route.to_owned(),
            status: status_class(status),
        };
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = series.entry(key).or_default();
        s.count += 1;
        s.sum += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            s.buckets[i] += 1;
        }
    }

    /// The request metrics in the text exposition format (0.0.4).
    pub fn render(&self, out: &mut String) {
        let series = self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.push_str("# HELP qyzmet_http_requests_total HTTP requests answered, by route template and status class.\n");
        out.push_str("# TYPE qyzmet_http_requests_total counter\n");
        for (k, s) in &series {
            let _ = writeln!(
                out,
                "qyzmet_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{}\"}} {}",
                escape(&k.method),
                escape(&k.route),
                k.status,
                s.count
            );
        }
        out.push_str("# HELP qyzmet_http_request_duration_seconds Time to answer HTTP requests, by route template and status class.\n");
        out.push_str("# TYPE qyzmet_http_request_duration_seconds histogram\n");
        for (k, s) in &series {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{}\"",
                escape(&k.method),
                escape(&k.route),
                k.status
            );
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "qyzmet_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "qyzmet_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "qyzmet_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "qyzmet_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
    }
}

/// Logs each request once, when it is answered, and counts it.
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let res = next.run(req).await;
    let latency = start.elapsed();
    let status = res.status().as_u16();
    state
        .metrics()
        .observe(method.as_str(), &route, status, latency);
    tracing::info!(
        target: "qyzmet::http",
        method = %method,
        route = %route,
        status,
        latency_ms = latency.as_secs_f64() * 1000.0,
        request_id = %request_id,
        "request"
    );
    res
}

/// Prometheus scrape: request counters and latency histograms, applications
/// by status, overdue steps and the outbox, in the text format 0.0.4.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::new();
    state.metrics().render(&mut out);
    if let Some(client) = state.gateway_client() {
        client.metrics().render(&mut out, client.circuit_open());
    } else if let Some(inbox) = state.inbox() {
        inbox.metrics().render(&mut out, false);
    }
    let counts = state.store().counts().await;
    out.push_str("# HELP qyzmet_store_up Whether the database answered this scrape.\n");
    out.push_str("# TYPE qyzmet_store_up gauge\n");
    let _ = writeln!(out, "qyzmet_store_up {}", u8::from(counts.is_ok()));
    match counts {
        Ok(c) => {
            out.push_str("# HELP qyzmet_applications Applications by status.\n");
            out.push_str("# TYPE qyzmet_applications gauge\n");
            for (status, n) in &c.by_status {
                let _ = writeln!(
                    out,
                    "qyzmet_applications{{status=\"{}\"}} {n}",
                    escape(status)
                );
            }
            out.push_str(
                "# HELP qyzmet_steps_overdue Applications whose current step is overdue.\n",
            );
            out.push_str("# TYPE qyzmet_steps_overdue gauge\n");
            let _ = writeln!(out, "qyzmet_steps_overdue {}", c.overdue);
            out.push_str("# HELP qyzmet_outbox_pending Outbox jobs waiting or running.\n");
            out.push_str("# TYPE qyzmet_outbox_pending gauge\n");
            let _ = writeln!(out, "qyzmet_outbox_pending {}", c.outbox_pending);
            out.push_str(
                "# HELP qyzmet_outbox_dead Outbox jobs that failed for good (dead letters).\n",
            );
            out.push_str("# TYPE qyzmet_outbox_dead gauge\n");
            let _ = writeln!(out, "qyzmet_outbox_dead {}", c.outbox_dead);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: the store did not answer"),
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_counts_by_class() {
        let m = Metrics::new();
        m.observe("GET", "/a/{id}", 200, Duration::from_millis(3));
        m.observe("GET", "/a/{id}", 204, Duration::from_millis(300));
        m.observe("GET", "/a/{id}", 404, Duration::from_secs(60));
        let mut out = String::new();
        m.render(&mut out);
        assert!(
            out.contains(
                "qyzmet_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"2xx\"} 2"
            ),
            "{out}"
        );
        assert!(out.contains(
            "qyzmet_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"4xx\"} 1"
        ));
        let two = "method=\"GET\",route=\"/a/{id}\",status=\"2xx\"";
        assert!(out.contains(&format!(
            "qyzmet_http_request_duration_seconds_bucket{{{two},le=\"0.005\"}} 1"
        )));
        assert!(out.contains(&format!(
            "qyzmet_http_request_duration_seconds_bucket{{{two},le=\"0.5\"}} 2"
        )));
        let four = "method=\"GET\",route=\"/a/{id}\",status=\"4xx\"";
        assert!(out.contains(&format!(
            "qyzmet_http_request_duration_seconds_bucket{{{four},le=\"10\"}} 0"
        )));
        assert!(out.contains(&format!(
            "qyzmet_http_request_duration_seconds_bucket{{{four},le=\"+Inf\"}} 1"
        )));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
