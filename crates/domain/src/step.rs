//! The five steps every regulation has (contract.md), shared by the catalog
//! and the case engine.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The steps every regulation has, in the order contract.md fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepCode {
    Register,
    Resolution,
    Review,
    Sign,
    Issue,
}

impl StepCode {
    /// In contract order.
    pub const ALL: [StepCode; 5] = [
        StepCode::Register,
        StepCode::Resolution,
        StepCode::Review,
        StepCode::Sign,
        StepCode::Issue,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StepCode::Register => "register",
            StepCode::Resolution => "resolution",
            StepCode::Review => "review",
            StepCode::Sign => "sign",
            StepCode::Issue => "issue",
        }
    }
}

impl fmt::Display for StepCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for StepCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StepCode::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| {
                format!("unknown step `{s}` (known: register, resolution, review, sign, issue)")
            })
    }
}
