//! The hash chain over an application's events (contract.md, "events"):
//! `hash = sha256_hex(prev_hash + "\n" + JCS(event without hash and prev_hash))`,
//! the first `prev_hash` being 64 zeros. Anyone with the served events can
//! recompute it; this module is the one place Qyzmet does.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// `prev_hash` of an application's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Largest integer JCS (IEEE 754 doubles) carries exactly.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// An event as served and hashed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainEvent {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// UTC with `Z` and six fraction digits (see [`format_at`]).
    pub at: String,
    pub actor: String,
    pub data: Value,
    pub hash: String,
    pub prev_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonError {
    #[error("numbers in event data must be integers, found {0}")]
    NotInteger(String),
    #[error("integer {0} is beyond 2^53 and would not survive JSON canonicalisation")]
    TooLarge(String),
}

/// Where a chain breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {seq}: {why}")]
pub struct ChainBreak {
    pub seq: i64,
    pub why: String,
}

/// `at` as the chain fixes it: UTC, `Z`, microseconds.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// RFC 8785 serialisation of the JSON Qyzmet stores: objects with keys sorted
/// by UTF-16 code units, no whitespace, strings escaped as ECMAScript's
/// JSON.stringify does, integers only.
pub fn canonical_json(v: &Value) -> Result<String, CanonError> {
    let mut out = String::new();
    write_canonical(v, &mut out)?;
    Ok(out)
}

fn write_canonical(v: &Value, out: &mut String) -> Result<(), CanonError> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i.unsigned_abs() > MAX_SAFE_INTEGER {
                    return Err(CanonError::TooLarge(n.to_string()));
                }
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                if u > MAX_SAFE_INTEGER {
                    return Err(CanonError::TooLarge(n.to_string()));
                }
                out.push_str(&u.to_string());
            } else {
                return Err(CanonError::NotInteger(n.to_string()));
            }
        }
        // serde_json escapes exactly as JCS requires: `"`, `\`, the five
        // short escapes, other controls as lowercase \u00xx, nothing else.
        Value::String(s) => out.push_str(&serde_json::to_string(s).expect("a string serialises")),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<(&String, Vec<u16>)> = map
                .keys()
                .map(|k| (k, k.encode_utf16().collect()))
                .collect();
            keys.sort_by(|a, b| a.1.cmp(&b.1));
            out.push('{');
            for (i, (k, _)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("a string serialises"));
                out.push(':');
                write_canonical(&map[*k], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The hashed content of an event: everything served except `hash` and
/// `prev_hash`.
pub fn content(seq: i64, kind: &str, at: &str, actor: &str, data: &Value) -> Value {
    let mut m = Map::new();
    m.insert("seq".into(), Value::from(seq));
    m.insert("type".into(), Value::from(kind));
    m.insert("at".into(), Value::from(at));
    m.insert("actor".into(), Value::from(actor));
    m.insert("data".into(), data.clone());
    Value::Object(m)
}

/// `sha256_hex(prev_hash + "\n" + JCS(content))`.
pub fn link_hash(prev_hash: &str, content: &Value) -> Result<String, CanonError> {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical_json(content)?.as_bytes());
    Ok(hex::encode(h.finalize()))
}

/// Seals the next event of a chain whose last hash is `prev_hash`.
pub fn seal(
    prev_hash: &str,
    seq: i64,
    kind: &str,
    at: DateTime<Utc>,
    actor: &str,
    data: Value,
) -> Result<ChainEvent, CanonError> {
    let at = format_at(at);
    let hash = link_hash(prev_hash, &content(seq, kind, &at, actor, &data))?;
    Ok(ChainEvent {
        seq,
        kind: kind.to_owned(),
        at,
        actor: actor.to_owned(),
        data,
        hash,
        prev_hash: prev_hash.to_owned(),
    })
}

/// Recomputes a whole chain (events in `seq` order, starting at 1) and
/// names the first link that does not hold.
pub fn verify(events: &[ChainEvent]) -> Result<(), ChainBreak> {
    let mut prev = GENESIS.to_owned();
    for (i, e) in events.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let brk = |why: String| ChainBreak { seq: e.seq, why };
        if e.seq != expected_seq {
            return Err(brk(format!(
                "sequence number {} where {expected_seq} was expected",
                e.seq
            )));
        }
        if e.prev_hash != prev {
            return Err(brk(
                "prev_hash does not match the previous event's hash".into()
            ));
        }
        let computed = link_hash(
            &e.prev_hash,
            &content(e.seq, &e.kind, &e.at, &e.actor, &e.data),
        )
        .map_err(|err| brk(err.to_string()))?;
        if computed != e.hash {
            return Err(brk("hash does not match the event's content".into()));
        }
        prev = e.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_drops_whitespace() {
        let v = json!({"b": 1, "a": [true, null, "x\ny\u{1f}é"], "A": {"z": -5, "\u{e9}": 0}});
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"A\":{\"z\":-5,\"é\":0},\"a\":[true,null,\"x\\ny\\u001fé\"],\"b\":1}"
        );
        assert!(canonical_json(&json!({"x": 1.5})).is_err());
        assert!(canonical_json(&json!(9_007_199_254_740_993u64)).is_err());
    }

    #[test]
    fn utf16_order_differs_from_code_point_order() {
        // U+FF61 sorts after U+1F600 by code point, before it by UTF-16 units
        // (the surrogate 0xD83D is smaller than 0xFF61).
        let v = json!({"\u{ff61}": 1, "\u{1f600}": 2});
        assert_eq!(
            canonical_json(&v).unwrap(),
            "{\"\u{1f600}\":2,\"\u{ff61}\":1}"
        );
    }

    #[test]
    fn the_hash_is_the_documented_recipe() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T06:31:00Z")
            .unwrap()
            .to_utc();
        let e = seal(
            GENESIS,
            1,
            "submitted",
            at,
            "clerk",
            json!({"service": "adoption-payment"}),
        )
        .unwrap();
        assert_eq!(e.at, "2026-11-23T06:31:00.000000Z");
        let text = format!(
            "{GENESIS}\n{{\"actor\":\"clerk\",\"at\":\"2026-11-23T06:31:00.000000Z\",\"data\":{{\"service\":\"adoption-payment\"}},\"seq\":1,\"type\":\"submitted\"}}"
        );
        assert_eq!(e.hash, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn verify_names_the_first_broken_link() {
        let at = Utc::now();
        let e1 = seal(GENESIS, 1, "a", at, "x", json!({})).unwrap();
        let e2 = seal(&e1.hash, 2, "b", at, "x", json!({"n": 1})).unwrap();
        let e3 = seal(&e2.hash, 3, "c", at, "x", json!(null)).unwrap();
        let mut chain = vec![e1, e2, e3];
        assert_eq!(verify(&chain), Ok(()));
        chain[1].data = json!({"n": 2});
        let err = verify(&chain).unwrap_err();
        assert_eq!(err.seq, 2);
        assert!(err.why.contains("content"), "{err}");
        chain[1].data = json!({"n": 1});
        chain.remove(1);
        assert_eq!(verify(&chain).unwrap_err().seq, 3);
    }
}
