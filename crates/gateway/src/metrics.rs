//! Counters of the gateway traffic, rendered in Prometheus's text format by
//! `GET /metrics` (crates/web's telemetry appends [`GatewayMetrics::render`]).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct GatewayMetrics {
    attempts_ok: AtomicU64,
    attempts_failed: AtomicU64,
    attempt_micros: AtomicU64,
    retried: AtomicU64,
    circuit_opened: AtomicU64,
    delivered: AtomicU64,
    delivery_micros: AtomicU64,
    received: AtomicU64,
    duplicates: AtomicU64,
    refused: AtomicU64,
}

/// A snapshot, for tests and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    pub attempts_ok: u64,
    pub attempts_failed: u64,
    pub retried: u64,
    pub circuit_opened: u64,
    pub delivered: u64,
    pub received: u64,
    pub duplicates: u64,
    pub refused: u64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl GatewayMetrics {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn attempt(&self, took: Duration, ok: bool) {
        if ok {
            self.attempts_ok.fetch_add(1, Relaxed);
        } else {
            self.attempts_failed.fetch_add(1, Relaxed);
        }
        self.attempt_micros.fetch_add(micros(took), Relaxed);
    }

    pub(crate) fn retried(&self) {
        self.retried.fetch_add(1, Relaxed);
    }

    pub(crate) fn circuit_opened(&self) {
        self.circuit_opened.fetch_add(1, Relaxed);
    }

    /// An outbox message delivered, `latency` after it was enqueued.
    pub(crate) fn delivered(&self, latency: Duration) {
        self.delivered.fetch_add(1, Relaxed);
        self.delivery_micros.fetch_add(micros(latency), Relaxed);
    }

    /// A message received at our endpoint: new, or a repeat not applied again.
    pub(crate) fn received(&self, duplicate: bool) {
        if duplicate {
            self.duplicates.fetch_add(1, Relaxed);
        } else {
            self.received.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn refused(&self) {
        self.refused.fetch_add(1, Relaxed);
    }

    pub fn figures(&self) -> Figures {
        Figures {
            attempts_ok: self.attempts_ok.load(Relaxed),
            attempts_failed: self.attempts_failed.load(Relaxed),
            retried: self.retried.load(Relaxed),
            circuit_opened: self.circuit_opened.load(Relaxed),
            delivered: self.delivered.load(Relaxed),
            received: self.received.load(Relaxed),
            duplicates: self.duplicates.load(Relaxed),
            refused: self.refused.load(Relaxed),
        }
    }

    /// Appends the counters in Prometheus's text format.
    pub fn render(&self, out: &mut String, circuit_open: bool) {
        let f = self.figures();
        let secs = |v: &AtomicU64| v.load(Relaxed) as f64 / 1e6;
        let _ = write!(
            out,
            "# HELP qyzmet_gateway_attempts_total Requests sent to the gateway, by outcome.\n\
# TYPE qyzmet_gateway_attempts_total counter\n\
qyzmet_gateway_attempts_total{{outcome=\"ok\"}} {}\n\
qyzmet_gateway_attempts_total{{outcome=\"failed\"}} {}\n\
# HELP qyzmet_gateway_attempt_seconds_total Time spent in gateway requests.\n\
# TYPE qyzmet_gateway_attempt_seconds_total counter\n\
qyzmet_gateway_attempt_seconds_total {}\n\
# HELP qyzmet_gateway_retries_total Lookups retried after a transient failure.\n\
# TYPE qyzmet_gateway_retries_total counter\n\
qyzmet_gateway_retries_total {}\n\
# HELP qyzmet_gateway_circuit_opened_total Times the circuit breaker opened.\n\
# TYPE qyzmet_gateway_circuit_opened_total counter\n\
qyzmet_gateway_circuit_opened_total {}\n\
# HELP qyzmet_gateway_circuit_open Whether the circuit breaker is open now.\n\
# TYPE qyzmet_gateway_circuit_open gauge\n\
qyzmet_gateway_circuit_open {}\n\
# HELP qyzmet_gateway_delivered_total Outbox messages delivered.\n\
# TYPE qyzmet_gateway_delivered_total counter\n\
qyzmet_gateway_delivered_total {}\n\
# HELP qyzmet_gateway_delivery_latency_seconds_total Enqueue-to-delivery time summed over delivered messages (divide by qyzmet_gateway_delivered_total).\n\
# TYPE qyzmet_gateway_delivery_latency_seconds_total counter\n\
qyzmet_gateway_delivery_latency_seconds_total {}\n\
# HELP qyzmet_gateway_received_total Messages received at our endpoint, by whether already seen.\n\
# TYPE qyzmet_gateway_received_total counter\n\
qyzmet_gateway_received_total{{duplicate=\"false\"}} {}\n\
qyzmet_gateway_received_total{{duplicate=\"true\"}} {}\n\
# HELP qyzmet_gateway_refused_total Messages refused at our endpoint (hostile XML, bad signature, invalid).\n\
# TYPE qyzmet_gateway_refused_total counter\n\
qyzmet_gateway_refused_total {}\n",
            f.attempts_ok,
            f.attempts_failed,
            secs(&self.attempt_micros),
            f.retried,
            f.circuit_opened,
            u8::from(circuit_open),
            f.delivered,
            secs(&self.delivery_micros),
            f.received,
            f.duplicates,
            f.refused,
        );
    }
}
