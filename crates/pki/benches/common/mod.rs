//! What the PKI benches share: the rate of a closure, and the bench's root
//! authority.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use qyzmet_pki::demo::Authority;

/// Runs `f` `n` times (after a tenth as many to warm up): runs per second.
pub fn per_second(n: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..n / 10 {
        f(); // warm up
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    f64::from(n) / t.elapsed().as_secs_f64()
}

/// A root authority valid from a day before `now` for 30 days.
pub fn root(now: DateTime<Utc>) -> Authority {
    Authority::root(
        "Bench Root",
        now - Duration::days(1),
        now + Duration::days(30),
    )
    .unwrap()
}
