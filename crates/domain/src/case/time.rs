//! How instants are written in events and states: RFC 3339, UTC with `Z`
//! and exactly six fraction digits, as the hash chain of contract.md needs.
//! Instants entering the engine are cut to microseconds first
//! ([`micros`]), so what is stored reads back as exactly what was decided.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// `t` cut to whole microseconds, the precision of the stored form.
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The stored text of an instant.
pub fn format(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse<E: serde::de::Error>(s: &str) -> Result<DateTime<Utc>, E> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(E::custom)
}

pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(t))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    parse(&String::deserialize(d)?)
}

/// The same for an optional instant (`null` when absent).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&format(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse(&s))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super")]
        at: DateTime<Utc>,
        #[serde(with = "super::option")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn six_fraction_digits_and_z() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 13, 30, 0).unwrap();
        let t = T { at, maybe: None };
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(text, r#"{"at":"2026-11-24T13:30:00.000000Z","maybe":null}"#);
        assert_eq!(serde_json::from_str::<T>(&text).unwrap(), t);
    }

    #[test]
    fn any_offset_reads_as_utc_and_micros_cut_nanoseconds() {
        let t: T = serde_json::from_str(
            r#"{"at":"2026-11-24T18:30:00+05:00","maybe":"2026-11-24T18:30:00.5+05:00"}"#,
        )
        .unwrap();
        assert_eq!(t.at, Utc.with_ymd_and_hms(2026, 11, 24, 13, 30, 0).unwrap());
        assert_eq!(format(&t.maybe.unwrap()), "2026-11-24T13:30:00.500000Z");
        let fine = t.at + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(format(&micros(fine)), "2026-11-24T13:30:00.001234Z");
        assert!(serde_json::from_str::<T>(r#"{"at":"2026-11-24","maybe":null}"#).is_err());
    }
}
