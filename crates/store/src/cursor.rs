//! Opaque keyset cursors: the sort key and id of the last row served.

use crate::{ListOrder, StoreError};

pub(crate) struct Cursor {
    pub key: i64,
    pub id: String,
}

fn tag(order: ListOrder) -> &'static str {
    match order {
        ListOrder::Newest => "n",
        ListOrder::Due => "d",
    }
}

pub(crate) fn encode(order: ListOrder, key: i64, id: &str) -> String {
    hex::encode(format!("{}:{key}:{id}", tag(order)))
}

pub(crate) fn decode(order: ListOrder, s: &str) -> Result<Cursor, StoreError> {
    let bytes = hex::decode(s).map_err(|_| StoreError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| StoreError::InvalidCursor)?;
    let mut parts = text.splitn(3, ':');
    let (Some(t), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(StoreError::InvalidCursor);
    };
    if t != tag(order) || id.is_empty() {
        return Err(StoreError::InvalidCursor);
    }
    let key = key.parse().map_err(|_| StoreError::InvalidCursor)?;
    Ok(Cursor {
        key,
        id: id.to_owned(),
    })
}
