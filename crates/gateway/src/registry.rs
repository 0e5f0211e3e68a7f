//! Our own schema of the registries behind the gateway (the real ones are
//! not public, domain.md): what a lookup asks and answers, as JSON in the
//! SOAP `data` field, the service ids they are routed by, and the sandbox's
//! seed data. Everything the rest of Qyzmet knows about a registry's shape
//! is in this one module.

use chrono::NaiveDate;
use qyzmet_domain::iin::{check_digit, Iin, Sex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The individuals database (ГБД ФЛ), by IIN.
pub const INDIVIDUALS: &str = "individuals-db";
/// The notary system's power-of-attorney check.
pub const NOTARY: &str = "notary-poa";
/// The regional gateway workstation: Qyzmet's provider side.
pub const PROVIDER: &str = "qyzmet-provider";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonQuery {
    pub iin: String,
}

/// The individuals database's answer; `person` is `None` when it does not
/// know the IIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonAnswer {
    pub person: Option<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    pub iin: String,
    pub surname: String,
    pub name: String,
    pub patronymic: Option<String>,
    pub birth_date: NaiveDate,
    /// `male` or `female`.
    pub sex: String,
    /// ISO 3166-1 alpha-2.
    pub citizenship: String,
    /// `alive` or `deceased`.
    pub life_status: String,
    pub address: Address,
    pub documents: Vec<IdentityDocument>,
}

impl Person {
    /// `SURNAME NAME PATRONYMIC`, as on an identity document.
    pub fn full_name(&self) -> String {
        let mut s = format!("{} {}", self.surname, self.name);
        if let Some(p) = &self.patronymic {
            s.push(' ');
            s.push_str(p);
        }
        s
    }
}

/// The registration address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Address {
    pub region: String,
    pub locality: String,
    pub street: String,
    pub house: String,
    pub flat: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IdentityDocument {
    /// `id-card`, `passport` or `birth-certificate`.
    pub kind: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub issuer: String,
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoaQuery {
    pub number: String,
    pub principal_iin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoaStatus {
    Valid,
    Revoked,
    Unknown,
}

/// The notary system's answer: the status, and the record when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoaAnswer {
    pub status: PoaStatus,
    pub record: Option<PoaRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoaRecord {
    pub number: String,
    pub date: NaiveDate,
    pub principal_iin: String,
    pub attorney_iin: String,
    pub revoked_on: Option<NaiveDate>,
}

/// What the sandbox registries know.
#[derive(Debug, Clone, Default)]
pub struct Seed {
    pub persons: HashMap<String, Person>,
    /// By (number, principal's IIN).
    pub powers: HashMap<(String, String), PoaRecord>,
}

impl Seed {
    pub fn person(&self, iin: &str) -> Option<&Person> {
        self.persons.get(iin)
    }

    pub fn power_of_attorney(&self, number: &str, principal_iin: &str) -> PoaAnswer {
        match self
            .powers
            .get(&(number.to_owned(), principal_iin.to_owned()))
        {
            None => PoaAnswer {
                status: PoaStatus::Unknown,
                record: None,
            },
            Some(r) => PoaAnswer {
                status: if r.revoked_on.is_some() {
                    PoaStatus::Revoked
                } else {
                    PoaStatus::Valid
                },
                record: Some(r.clone()),
            },
        }
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a real date")
}

fn karaganda(street: &str, house: &str, flat: Option<&str>) -> Address {
    Address {
        region: "Қарағанды облысы".into(),
        locality: "Қарағанды қ.".into(),
        street: street.into(),
        house: house.into(),
        flat: flat.map(Into::into),
    }
}

fn person(
    iin: &str,
    surname: &str,
    name: &str,
    patronymic: Option<&str>,
    address: Address,
    documents: Vec<IdentityDocument>,
) -> Person {
    let parsed = Iin::parse(iin).expect("seed IINs are valid");
    Person {
        iin: iin.into(),
        surname: surname.into(),
        name: name.into(),
        patronymic: patronymic.map(Into::into),
        birth_date: parsed.birth_date().expect("a valid IIN has a birth date"),
        sex: parsed.sex().map(Sex::code).unwrap_or("male").into(),
        citizenship: "KZ".into(),
        life_status: "alive".into(),
        address,
        documents,
    }
}

fn id_card(number: &str, issued: NaiveDate) -> IdentityDocument {
    IdentityDocument {
        kind: "id-card".into(),
        number: number.into(),
        issued_on: issued,
        issuer: "ҚР ІІМ".into(),
        valid_until: Some(issued + chrono::Months::new(120)),
    }
}

fn birth_certificate(number: &str, issued: NaiveDate) -> IdentityDocument {
    IdentityDocument {
        kind: "birth-certificate".into(),
        number: number.into(),
        issued_on: issued,
        issuer: "АХАТ".into(),
        valid_until: None,
    }
}

/// The people and the power of attorney of contract.md's demo data.
pub fn demo() -> Seed {
    let mut seed = Seed::default();
    for p in [
        person(
            "871008401427",
            "Асанова",
            "Айгүл",
            Some("Серікқызы"),
            karaganda("Бұқар жырау даңғылы", "47", Some("12")),
            vec![id_card("045123987", d(2019, 4, 2))],
        ),
        person(
            "760212350620",
            "Асанов",
            "Ержан",
            Some("Болатұлы"),
            karaganda("Ерубаев көшесі", "31", Some("5")),
            vec![id_card("038765412", d(2021, 7, 19))],
        ),
        person(
            "200315500017",
            "Асанов",
            "Нұрлан",
            None,
            karaganda("Бұқар жырау даңғылы", "47", Some("12")),
            vec![birth_certificate("I-KR 0123456", d(2020, 3, 20))],
        ),
        person(
            "190901600034",
            "Асанова",
            "Дана",
            None,
            karaganda("Бұқар жырау даңғылы", "47", Some("12")),
            vec![birth_certificate("I-KR 0119087", d(2019, 9, 6))],
        ),
    ] {
        seed.persons.insert(p.iin.clone(), p);
    }
    let poa = PoaRecord {
        number: "DOV-2026-0001".into(),
        date: d(2026, 1, 15),
        principal_iin: "871008401427".into(),
        attorney_iin: "760212350620".into(),
        revoked_on: None,
    };
    seed.powers
        .insert((poa.number.clone(), poa.principal_iin.clone()), poa);
    seed
}

const SURNAMES: &[&str] = &[
    "Ахметов",
    "Бекова",
    "Жұмабаев",
    "Қасымова",
    "Нұрланов",
    "Оспанова",
    "Сейітов",
    "Тоқтарова",
    "Иванов",
    "Петрова",
    "Ким",
    "Әбдірахманов",
];
const NAMES_MALE: &[&str] = &[
    "Асқар",
    "Дәурен",
    "Ерлан",
    "Мұрат",
    "Нұржан",
    "Сергей",
    "Тимур",
];
const NAMES_FEMALE: &[&str] = &[
    "Айгерім",
    "Гүлнар",
    "Дина",
    "Жанар",
    "Мадина",
    "Ольга",
    "Сәуле",
];

/// An IIN for someone born on `birth` of `sex` with `serial`, or `None`
/// when that serial gives no check digit.
pub fn make_iin(birth: NaiveDate, female: bool, serial: u16) -> Option<Iin> {
    use chrono::Datelike;
    let century = match birth.year() {
        1800..=1899 => 1,
        1900..=1999 => 3,
        _ => 5,
    } + u8::from(female);
    let s = format!(
        "{:02}{:02}{:02}{century}{:04}",
        birth.year() % 100,
        birth.month(),
        birth.day(),
        serial % 10_000
    );
    let mut digits = [0u8; 11];
    for (i, b) in s.bytes().enumerate() {
        digits[i] = b - b'0';
    }
    let c = check_digit(&digits)?;
    Iin::parse(&format!("{s}{c}")).ok()
}

/// The demo data plus `n` generated people (valid IINs, born 1940–2020)
/// and a power of attorney for every tenth of them, every third of which is
/// revoked. Deterministic: the same `n` gives the same people.
pub fn generated(n: usize) -> Seed {
    let mut seed = demo();
    let mut rng = fastrand::Rng::with_seed(20_260_115);
    let start = d(1940, 1, 1);
    let mut made: Vec<String> = Vec::new();
    while made.len() < n {
        let birth = start + chrono::Days::new(rng.u64(0..29_200));
        let female = rng.bool();
        let Some(iin) = make_iin(birth, female, rng.u16(0..10_000)) else {
            continue;
        };
        let iin = iin.to_string();
        if seed.persons.contains_key(&iin) {
            continue;
        }
        let names = if female { NAMES_FEMALE } else { NAMES_MALE };
        let mut surname = SURNAMES[rng.usize(..SURNAMES.len())].to_owned();
        if female && !surname.ends_with('а') && surname != "Ким" {
            surname.push('а');
        }
        let adult = birth <= d(2008, 1, 1);
        let doc = if adult {
            id_card(
                &format!("0{:08}", rng.u32(0..100_000_000)),
                birth + chrono::Months::new(16 * 12),
            )
        } else {
            birth_certificate(
                &format!("I-KR {:07}", rng.u32(0..10_000_000)),
                birth + chrono::Days::new(7),
            )
        };
        let mut p = person(
            &iin,
            &surname,
            names[rng.usize(..names.len())],
            None,
            karaganda(
                "Абай көшесі",
                &rng.u16(1..200).to_string(),
                Some(&rng.u16(1..120).to_string()),
            ),
            vec![doc],
        );
        if rng.u8(0..100) == 0 {
            p.life_status = "deceased".into();
        }
        seed.persons.insert(iin.clone(), p);
        made.push(iin);
    }
    let adults: Vec<&String> = made
        .iter()
        .filter(|i| seed.persons[*i].birth_date <= d(2008, 1, 1))
        .collect();
    for (k, pair) in adults.chunks(2).enumerate().filter(|(k, _)| k % 5 == 0) {
        let [principal, attorney] = pair else {
            continue;
        };
        let number = format!("DOV-2025-{:04}", k + 1);
        let revoked = (k / 5) % 3 == 2;
        let r = PoaRecord {
            number: number.clone(),
            date: d(2025, 1, 10) + chrono::Days::new(k as u64 % 300),
            principal_iin: (*principal).clone(),
            attorney_iin: (*attorney).clone(),
            revoked_on: revoked.then(|| d(2025, 12, 1)),
        };
        seed.powers.insert((number, (*principal).clone()), r);
    }
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_people_match_their_iins() {
        let s = demo();
        let child = s.person("200315500017").unwrap();
        assert_eq!(child.birth_date, d(2020, 3, 15));
        assert_eq!(s.person("190901600034").unwrap().birth_date, d(2019, 9, 1));
        assert_eq!(s.person("871008401427").unwrap().sex, "female");
        assert_eq!(
            s.power_of_attorney("DOV-2026-0001", "871008401427").status,
            PoaStatus::Valid
        );
        // The number alone is not enough: the principal must match.
        assert_eq!(
            s.power_of_attorney("DOV-2026-0001", "760212350620").status,
            PoaStatus::Unknown
        );
    }

    #[test]
    fn generated_people_have_valid_iins_and_some_revoked_powers() {
        let s = generated(3000);
        assert_eq!(s.persons.len(), 3004);
        for (iin, p) in &s.persons {
            let parsed = Iin::parse(iin).unwrap();
            assert_eq!(parsed.birth_date(), Some(p.birth_date));
        }
        let revoked = s.powers.values().filter(|r| r.revoked_on.is_some()).count();
        assert!(revoked > 0 && revoked < s.powers.len(), "{revoked}");
        assert_eq!(generated(50).persons.keys().len(), 54);
    }
}
