//! A representative as the intake pages take one: their IIN and the power
//! of attorney's number and date, all three or none. The office clerk's
//! page (`/work/intake/…`) and the State Corporation operator's
//! (`/operator/services/…`) check them the same way before the API is
//! asked, field by field, so that what the API would refuse is answered on
//! the page in the reader's language.

use super::Ctx;
use qyzmet_domain::Iin;
use serde_json::{json, Value};

use crate::applications::MAX_POA_NUMBER;

/// One field's problem.
pub struct Problem {
    /// The field's name (`rep_iin`, `poa_number`, `poa_date`).
    pub field: &'static str,
    /// Shown at the field.
    pub message: String,
    /// Shown in the page's summary of errors: the message, with the
    /// field's label when the message does not name it.
    pub line: String,
}

/// The three fields as typed (trimmed).
pub struct Representing<'a> {
    pub iin: &'a str,
    pub poa_number: &'a str,
    pub poa_date: &'a str,
}

impl Representing<'_> {
    /// Whether any of the three is filled in: then all three are needed.
    pub fn given(&self) -> bool {
        !(self.iin.is_empty() && self.poa_number.is_empty() && self.poa_date.is_empty())
    }

    /// What is wrong, field by field, in the reader's language; nothing
    /// when none is given.
    pub fn problems(&self, c: &Ctx) -> Vec<Problem> {
        let mut out = Vec::new();
        if !self.given() {
            return out;
        }
        if self.iin.is_empty() || Iin::parse(self.iin).is_err() {
            let message = c.t(if self.iin.is_empty() {
                "form.required"
            } else {
                "form.iin"
            });
            out.push(Problem {
                field: "rep_iin",
                message: message.to_owned(),
                line: format!("{}: {message}", c.t("operator.rep-iin")),
            });
        }
        let n = self.poa_number.chars().count();
        if n == 0 || n > MAX_POA_NUMBER {
            // These name their field already.
            let message = c.t("operator.poa-number-needed").to_owned();
            out.push(Problem {
                field: "poa_number",
                line: message.clone(),
                message,
            });
        }
        if chrono::NaiveDate::parse_from_str(self.poa_date, "%Y-%m-%d").is_err() {
            let message = c.t("operator.poa-date-needed").to_owned();
            out.push(Problem {
                field: "poa_date",
                line: message.clone(),
                message,
            });
        }
        out
    }

    /// The representative as the domain holds one, when all three read
    /// (what [`Representing::problems`] finds nothing wrong with).
    pub fn representative(&self) -> Option<qyzmet_domain::case::Representative> {
        Some(qyzmet_domain::case::Representative {
            iin: Iin::parse(self.iin).ok()?,
            power_of_attorney: qyzmet_domain::case::PowerOfAttorney {
                number: self.poa_number.to_owned(),
                date: chrono::NaiveDate::parse_from_str(self.poa_date, "%Y-%m-%d").ok()?,
            },
        })
    }

    /// The application's `representative` as the API takes it.
    pub fn json(&self) -> Value {
        json!({
            "iin": self.iin,
            "power_of_attorney": {"number": self.poa_number, "date": self.poa_date},
        })
    }
}
