//! A representative as the intake pages take one: their IIN and the power
//! of attorney's number and date, all three or none. The office clerk's
//! page (`/work/intake/…`) and the State Corporation operator's
//! (`/operator/services/…`) check them the same way before the API is
//! asked, field by field, so that what the API would refuse is answered on
//! the page in the reader's language.

use super::Ctx;
use qyzmet_domain::Iin;
use serde_json::{json, Value};

/// The power of attorney's number is 1 to this many characters (as the API
/// takes it).
pub const MAX_POA_NUMBER: usize = 100;

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

    /// What is wrong, by the field's name (`rep_iin`, `poa_number`,
    /// `poa_date`), in the reader's language; nothing when none is given.
    pub fn problems(&self, c: &Ctx) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.given() {
            return out;
        }
        if Iin::parse(self.iin).is_err() {
            out.push(("rep_iin", c.t("form.iin").to_owned()));
        }
        let n = self.poa_number.chars().count();
        if n == 0 || n > MAX_POA_NUMBER {
            out.push(("poa_number", c.t("operator.poa-number-needed").to_owned()));
        }
        if chrono::NaiveDate::parse_from_str(self.poa_date, "%Y-%m-%d").is_err() {
            out.push(("poa_date", c.t("operator.poa-date-needed").to_owned()));
        }
        out
    }

    /// The application's `representative` as the API takes it.
    pub fn json(&self) -> Value {
        json!({
            "iin": self.iin,
            "power_of_attorney": {"number": self.poa_number, "date": self.poa_date},
        })
    }
}
