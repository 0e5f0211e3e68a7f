//! The clock's own work: marking steps overdue once their deadline passes
//! and ending pauses on their 30th day, each as a recorded event. One pass
//! is [`tick_due`]; the loop that calls it on many nodes belongs to
//! operations.

use crate::applications::apply_clock;
use crate::problem::ApiError;
use crate::AppState;
use chrono::{DateTime, Utc};

/// How long a node holds the applications it claimed for one pass; one that
/// dies mid-pass leaves them to another node after this.
pub const CLAIM_LEASE: chrono::Duration = chrono::Duration::seconds(60);

/// Ticks the applications whose step or pause fell due by `now`, at most
/// `batch` of them, claimed so that another node's pass takes others;
/// returns how many changed.
pub async fn tick_due(state: &AppState, now: DateTime<Utc>, batch: u32) -> Result<usize, ApiError> {
    let due = state
        .store()
        .claim_falling_due(now, now + CLAIM_LEASE, batch)
        .await?;
    let mut changed = 0;
    for (id, _rev) in due {
        if apply_clock(state, &id, now).await? {
            changed += 1;
        }
    }
    Ok(changed)
}
