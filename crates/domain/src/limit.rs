//! A step's time limit, as a regulation states it.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How long a step may take. N is at least 1 (checked where limits are read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Working minutes inside working hours.
    Minutes(u32),
    /// Working days; the day of the start is not counted.
    WorkingDays(u32),
    /// Calendar days, moved off a day off (Civil Code art. 173).
    CalendarDays(u32),
}

impl Limit {
    pub fn amount(self) -> u32 {
        match self {
            Limit::Minutes(n) | Limit::WorkingDays(n) | Limit::CalendarDays(n) => n,
        }
    }

    /// The JSON key contract.md uses: `minutes`, `working_days`, `calendar_days`.
    pub fn unit_key(self) -> &'static str {
        match self {
            Limit::Minutes(_) => "minutes",
            Limit::WorkingDays(_) => "working_days",
            Limit::CalendarDays(_) => "calendar_days",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.unit_key().replace('_', " "))
    }
}
