//! Distinguished names in the national CA's format: building them for the
//! demo authority and reading the holder (IIN, names, BIN) back out.

use der::asn1::{Any, Ia5StringRef, PrintableStringRef, SetOfVec, TeletexStringRef, Utf8StringRef};
use der::{Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::oids;
use const_oid::ObjectIdentifier as Oid;

/// Who a certificate names, as read from its subject.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holder {
    /// The subject on one line, in the order the certificate lists it
    /// (the national CA's: `CN=…, SURNAME=…, SERIALNUMBER=…, C=KZ, G=…`).
    pub subject: String,
    /// The 12 characters after `IIN` in `SERIALNUMBER`, when present.
    pub iin: Option<String>,
    pub common_name: Option<String>,
    pub surname: Option<String>,
    /// The given name: `CN` is `SURNAME NAME`.
    pub name: Option<String>,
    /// The patronymic, which the national CA writes as `G`.
    pub patronymic: Option<String>,
    pub organization: Option<String>,
    /// The 12 characters after `BIN` in `OU`, when present.
    pub bin: Option<String>,
}

impl Holder {
    /// Reads a certificate subject.
    pub fn from_name(name: &Name) -> Holder {
        let mut h = Holder {
            subject: display(name),
            ..Holder::default()
        };
        for rdn in name.0.iter() {
            for atv in rdn.0.iter() {
                let Some(v) = text(&atv.value) else { continue };
                let v = v.trim().to_string();
                match atv.oid {
                    oids::AT_CN => h.common_name = Some(v),
                    oids::AT_SURNAME => h.surname = Some(v),
                    oids::AT_GIVEN_NAME => h.patronymic = Some(v),
                    oids::AT_ORGANIZATION => h.organization = Some(v),
                    oids::AT_SERIAL_NUMBER => {
                        if let Some(rest) = v.strip_prefix("IIN") {
                            h.iin = Some(rest.to_string());
                        }
                    }
                    oids::AT_ORG_UNIT => {
                        if let Some(rest) = v.strip_prefix("BIN") {
                            h.bin = Some(rest.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        // CN is "SURNAME NAME": what follows the surname is the given name.
        if let Some(cn) = &h.common_name {
            let given = match &h.surname {
                Some(s) => cn.strip_prefix(s.as_str()).map(str::trim),
                None => cn.split_once(' ').map(|(_, n)| n.trim()),
            };
            h.name = given.filter(|g| !g.is_empty()).map(str::to_string);
        }
        h
    }
}

/// The text of a directory string (UTF8, Printable, IA5, Teletex, BMP).
pub fn text(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.to_string()),
        Tag::PrintableString => PrintableStringRef::try_from(value)
            .ok()
            .map(|s| s.to_string()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.to_string()),
        Tag::TeletexString => TeletexStringRef::try_from(value)
            .ok()
            .map(|s| s.to_string()),
        Tag::BmpString => {
            let b = value.value();
            if !b.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

fn short(oid: &Oid) -> String {
    match *oid {
        oids::AT_CN => "CN".into(),
        oids::AT_SURNAME => "SURNAME".into(),
        oids::AT_SERIAL_NUMBER => "SERIALNUMBER".into(),
        oids::AT_COUNTRY => "C".into(),
        oids::AT_ORGANIZATION => "O".into(),
        oids::AT_ORG_UNIT => "OU".into(),
        oids::AT_GIVEN_NAME => "G".into(),
        oids::AT_EMAIL => "E".into(),
        _ => oid.to_string(),
    }
}

/// A name on one line, attributes in the certificate's order.
pub fn display(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let v = text(&atv.value).unwrap_or_else(|| "#".to_string() + &hex(atv.value.value()));
            parts.push(format!("{}={}", short(&atv.oid), v));
        }
    }
    parts.join(", ")
}

/// Lowercase hex, as serial numbers are shown.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Builds a name from `(attribute, value)` pairs in order, one attribute per
/// RDN; country and serial number as PrintableString, the rest UTF-8 (names
/// are Kazakh or Russian Cyrillic).
pub fn build(parts: &[(Oid, &str)]) -> Result<Name, der::Error> {
    let mut rdns = Vec::new();
    for (oid, value) in parts {
        let any = if *oid == oids::AT_COUNTRY || *oid == oids::AT_SERIAL_NUMBER {
            Any::from(PrintableStringRef::new(value)?)
        } else {
            Any::from(Utf8StringRef::new(value)?)
        };
        let atv = AttributeTypeAndValue {
            oid: *oid,
            value: any,
        };
        rdns.push(RelativeDistinguishedName(SetOfVec::try_from(vec![atv])?));
    }
    Ok(RdnSequence(rdns))
}

/// An individual's subject in the national CA's format.
pub fn individual(
    surname: &str,
    name: &str,
    patronymic: &str,
    iin: &str,
) -> Result<Name, der::Error> {
    let cn = format!("{surname} {name}");
    let serial = format!("IIN{iin}");
    build(&[
        (oids::AT_CN, &cn),
        (oids::AT_SURNAME, surname),
        (oids::AT_SERIAL_NUMBER, &serial),
        (oids::AT_COUNTRY, "KZ"),
        (oids::AT_GIVEN_NAME, patronymic),
    ])
}

/// A legal entity's employee: the individual's attributes plus `O` and
/// `OU=BIN…`.
pub fn employee(
    surname: &str,
    name: &str,
    patronymic: &str,
    iin: &str,
    organization: &str,
    bin: &str,
) -> Result<Name, der::Error> {
    let cn = format!("{surname} {name}");
    let serial = format!("IIN{iin}");
    let ou = format!("BIN{bin}");
    build(&[
        (oids::AT_CN, &cn),
        (oids::AT_SURNAME, surname),
        (oids::AT_SERIAL_NUMBER, &serial),
        (oids::AT_COUNTRY, "KZ"),
        (oids::AT_ORGANIZATION, organization),
        (oids::AT_ORG_UNIT, &ou),
        (oids::AT_GIVEN_NAME, patronymic),
    ])
}

/// A CA's name (`CN`, `O`, `C`).
pub fn authority(cn: &str) -> Result<Name, der::Error> {
    build(&[
        (oids::AT_COUNTRY, "KZ"),
        (oids::AT_ORGANIZATION, "Qyzmet demo"),
        (oids::AT_CN, cn),
    ])
}
