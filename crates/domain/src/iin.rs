//! The individual identification number (ЖСН / ИИН): twelve digits carrying
//! the birth date, the century and sex, a serial and a check digit
//! (domain.md, "IIN").

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A valid IIN. Made only by [`Iin::parse`] (or [`Iin::parse_accepting_test`]
/// for the national CA's test number), so holding one proves it was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iin([u8; 12]);

/// The IIN the national certification authority puts in its test
/// certificates. It fails the check digit; only a test configuration accepts it.
pub const NCA_TEST_IIN: &str = "123456789011";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Why a string is not an IIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IinError {
    /// Not twelve ASCII digits: not even shaped like an IIN.
    #[error("an IIN is 12 digits, got {0}")]
    Shape(String),
    #[error("digit 7 is {0}: century and sex digit must be 1 to 6")]
    Century(u8),
    #[error("birth date {0} does not exist")]
    BirthDate(String),
    #[error("check digit does not match (expected {expected}, found {found})")]
    CheckDigit { expected: u8, found: u8 },
    #[error("both check sums give 10: such a number is never issued")]
    NeverIssued,
}

impl IinError {
    /// Stable code for APIs (`iin-invalid` for a malformed one).
    pub fn code(&self) -> &'static str {
        "iin-invalid"
    }

    /// Whether the input was not even 12 digits (the CLI exits 2 on this).
    pub fn is_shape(&self) -> bool {
        matches!(self, IinError::Shape(_))
    }
}

const W1: [u32; 11] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2: [u32; 11] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/// The check digit of the first eleven digits, or `None` when both sums give
/// 10 (never issued).
pub fn check_digit(d: &[u8; 11]) -> Option<u8> {
    let sum = |w: &[u32; 11]| d.iter().zip(w).map(|(&d, &w)| d as u32 * w).sum::<u32>() % 11;
    match sum(&W1) {
        10 => match sum(&W2) {
            10 => None,
            c => Some(c as u8),
        },
        c => Some(c as u8),
    }
}

fn digits(s: &str) -> Result<[u8; 12], IinError> {
    let b = s.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        let shown: String = s.chars().take(20).collect();
        let more = if s.chars().count() > 20 { "…" } else { "" };
        let what = if b.iter().all(u8::is_ascii_digit) {
            format!("{} digits", s.chars().count())
        } else {
            format!("{shown:?}{more}")
        };
        return Err(IinError::Shape(what));
    }
    let mut d = [0u8; 12];
    for (i, c) in b.iter().enumerate() {
        d[i] = c - b'0';
    }
    Ok(d)
}

impl Iin {
    /// Parses and checks an IIN: shape, century digit, birth date, check digit.
    pub fn parse(s: &str) -> Result<Self, IinError> {
        let d = digits(s)?;
        let iin = Iin(d);
        let century = d[6];
        if !(1..=6).contains(&century) {
            return Err(IinError::Century(century));
        }
        if iin.birth_date_opt().is_none() {
            return Err(IinError::BirthDate(format!(
                "{:04}-{}{}-{}{}",
                iin.birth_year(),
                d[2],
                d[3],
                d[4],
                d[5]
            )));
        }
        let first: [u8; 11] = d[..11].try_into().expect("eleven digits");
        match check_digit(&first) {
            None => Err(IinError::NeverIssued),
            Some(c) if c != d[11] => Err(IinError::CheckDigit {
                expected: c,
                found: d[11],
            }),
            Some(_) => Ok(iin),
        }
    }

    /// Like [`Iin::parse`], but also accepts the national CA's test IIN
    /// (`accept_test_iins`: demo mode and `pki verify` only).
    pub fn parse_accepting_test(s: &str, accept_test: bool) -> Result<Self, IinError> {
        if accept_test && s == NCA_TEST_IIN {
            return Ok(Iin(digits(s)?));
        }
        Self::parse(s)
    }

    pub fn is_test(&self) -> bool {
        self.as_str_buf() == *NCA_TEST_IIN.as_bytes()
    }

    fn as_str_buf(&self) -> [u8; 12] {
        self.0.map(|d| d + b'0')
    }

    fn birth_year(&self) -> i32 {
        let yy = (self.0[0] * 10 + self.0[1]) as i32;
        let base = match self.0[6] {
            1 | 2 => 1800,
            3 | 4 => 1900,
            _ => 2000,
        };
        base + yy
    }

    fn birth_date_opt(&self) -> Option<NaiveDate> {
        let d = &self.0;
        NaiveDate::from_ymd_opt(
            self.birth_year(),
            (d[2] * 10 + d[3]) as u32,
            (d[4] * 10 + d[5]) as u32,
        )
    }

    /// The birth date. For the test IIN, whose digits are not a date, `None`.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        if (1..=6).contains(&self.0[6]) {
            self.birth_date_opt()
        } else {
            None
        }
    }

    /// Sex from digit 7 (odd male, even female); `None` for the test IIN.
    pub fn sex(&self) -> Option<Sex> {
        match self.0[6] {
            1 | 3 | 5 => Some(Sex::Male),
            2 | 4 | 6 => Some(Sex::Female),
            _ => None,
        }
    }
}

impl fmt::Display for Iin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buf = self.as_str_buf();
        f.write_str(std::str::from_utf8(&buf).expect("ascii digits"))
    }
}

impl FromStr for Iin {
    type Err = IinError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Iin::parse(s)
    }
}

impl TryFrom<&str> for Iin {
    type Error = IinError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Iin::parse(s)
    }
}

impl Serialize for Iin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Iin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Iin::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_valid_numbers() {
        let a = Iin::parse("871008401427").unwrap();
        assert_eq!(a.birth_date(), NaiveDate::from_ymd_opt(1987, 10, 8));
        assert_eq!(a.sex(), Some(Sex::Female));
        let b = Iin::parse("760212350620").unwrap();
        assert_eq!(b.birth_date(), NaiveDate::from_ymd_opt(1976, 2, 12));
        assert_eq!(b.sex(), Some(Sex::Male));
        for s in [
            "800416300257",
            "680503450037",
            "200315500017",
            "190901600034",
        ] {
            let iin = Iin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(iin.to_string(), s);
        }
        assert_eq!(
            Iin::parse("200315500017").unwrap().birth_date(),
            NaiveDate::from_ymd_opt(2020, 3, 15)
        );
    }

    #[test]
    fn known_invalid_numbers() {
        assert_eq!(Iin::parse("821214240092"), Err(IinError::NeverIssued));
        assert_eq!(
            Iin::parse("871008401428"),
            Err(IinError::CheckDigit {
                expected: 7,
                found: 8
            })
        );
        assert!(matches!(
            Iin::parse("871308401427"),
            Err(IinError::BirthDate(_))
        ));
        assert!(matches!(
            Iin::parse("871008001427"),
            Err(IinError::Century(0))
        ));
        assert!(Iin::parse("87100840142").unwrap_err().is_shape());
        assert!(Iin::parse("87100840142x").unwrap_err().is_shape());
        assert!(Iin::parse("８71008401427").unwrap_err().is_shape());
    }

    #[test]
    fn test_iin_only_when_accepted() {
        assert!(Iin::parse(NCA_TEST_IIN).is_err());
        assert!(Iin::parse_accepting_test(NCA_TEST_IIN, false).is_err());
        let t = Iin::parse_accepting_test(NCA_TEST_IIN, true).unwrap();
        assert!(t.is_test());
        assert_eq!(t.to_string(), NCA_TEST_IIN);
        assert!(!Iin::parse("871008401427").unwrap().is_test());
    }

    #[test]
    fn leap_day_and_centuries() {
        // 29 Feb 2000 exists, 29 Feb 1900 does not.
        let mut d = [0u8, 0, 0, 2, 2, 9, 5, 0, 0, 0, 1];
        let c = check_digit(&d).or_else(|| {
            d[10] = 2;
            check_digit(&d)
        });
        let s: String =
            d.iter().map(|x| (x + b'0') as char).collect::<String>() + &c.unwrap().to_string();
        assert_eq!(
            Iin::parse(&s).unwrap().birth_date(),
            NaiveDate::from_ymd_opt(2000, 2, 29)
        );
        let s1900 = format!("{}3{}", &s[..6], &s[7..]);
        assert!(matches!(Iin::parse(&s1900), Err(IinError::BirthDate(_))));
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = Iin::parse(&s);
            let _ = Iin::parse_accepting_test(&s, true);
        }

        #[test]
        fn never_panics_on_digits(s in "[0-9]{0,14}") {
            if let Ok(iin) = Iin::parse(&s) {
                prop_assert_eq!(iin.to_string(), s);
                prop_assert!(iin.birth_date().is_some());
            }
        }

        #[test]
        fn at_most_one_check_digit_valid(first in proptest::array::uniform11(0u8..10)) {
            let prefix: String = first.iter().map(|d| (d + b'0') as char).collect();
            let valid = (0..10).filter(|c| Iin::parse(&format!("{prefix}{c}")).is_ok()).count();
            prop_assert!(valid <= 1);
        }
    }
}
