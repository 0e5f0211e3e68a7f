//! The store's one error type, and how database errors map onto it.
//!
//! `Display` is what a user may see: it never carries SQL or driver text.
//! The details stay in the variant (and in `Debug`) for the logs.

/// What went wrong in the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The expected rev is not the current one (HTTP 412).
    #[error("the application changed since it was read")]
    Stale,
    /// A uniqueness constraint held, named as in the schema
    /// (`idempotency_keys_pkey`, `users_pkey`, `users_iin_key`, …).
    #[error("already exists ({0})")]
    Duplicate(String),
    #[error("invalid cursor")]
    InvalidCursor,
    /// The database does not answer (HTTP 503).
    #[error("the database is unavailable")]
    Unavailable(String),
    #[error("storage error")]
    Other(String),
}

impl StoreError {
    /// Details for the logs; may contain driver text.
    pub fn detail(&self) -> String {
        match self {
            StoreError::Unavailable(d) | StoreError::Other(d) => d.clone(),
            other => other.to_string(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match e {
            E::RowNotFound => StoreError::NotFound,
            E::Database(db) => {
                if db.is_unique_violation() {
                    let name = db
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| sqlite_constraint_name(db.message()));
                    return StoreError::Duplicate(name);
                }
                // SQLite: busy (5) or locked (6) after the busy timeout.
                // PostgreSQL: class 08 (connection), 57P01..03 (shutdown).
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                if code == "5"
                    || code == "6"
                    || code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "53300"
                {
                    StoreError::Unavailable(db.to_string())
                } else {
                    StoreError::Other(db.to_string())
                }
            }
            E::Io(_)
            | E::Tls(_)
            | E::PoolTimedOut
            | E::PoolClosed
            | E::WorkerCrashed
            | E::Protocol(_) => StoreError::Unavailable(e.to_string()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => match f.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    StoreError::Duplicate(sqlite_constraint_name(msg.as_deref().unwrap_or("")))
                }
                _ if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
                {
                    StoreError::Unavailable(e.to_string())
                }
                _ => StoreError::Other(e.to_string()),
            },
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            _ => StoreError::Other(e.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        match e {
            sqlx::migrate::MigrateError::Execute(inner) => inner.into(),
            other => StoreError::Other(format!("migration: {other}")),
        }
    }
}

/// Primary keys by table and columns, as PostgreSQL names them; SQLite only
/// says `UNIQUE constraint failed: table.col, table.col`, so the name is
/// rebuilt from that, the way PostgreSQL would have named it.
const PRIMARY_KEYS: &[(&str, &str)] = &[
    ("applications", "id"),
    ("events", "application_id,seq"),
    ("attachments", "application_id,idx"),
    ("signatures", "application_id,idx"),
    ("number_counters", "prefix,year"),
    ("idempotency_keys", "principal,key"),
    ("users", "username"),
    ("sessions", "token_hash"),
];

fn sqlite_constraint_name(message: &str) -> String {
    let Some(list) = message.split("constraint failed: ").nth(1) else {
        return "unknown".into();
    };
    let mut table = "";
    let mut cols = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        let (t, c) = part.split_once('.').unwrap_or(("", part));
        table = t;
        cols.push(c);
    }
    let joined = cols.join(",");
    if PRIMARY_KEYS
        .iter()
        .any(|(t, c)| *t == table && *c == joined)
    {
        format!("{table}_pkey")
    } else {
        format!("{table}_{}_key", cols.join("_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_become_postgres_names() {
        assert_eq!(
            sqlite_constraint_name(
                "UNIQUE constraint failed: idempotency_keys.principal, idempotency_keys.key"
            ),
            "idempotency_keys_pkey"
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: users.iin"),
            "users_iin_key"
        );
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: applications.number"),
            "applications_number_key"
        );
    }

    #[test]
    fn display_never_carries_details() {
        let e = StoreError::Other("syntax error near select * from users".into());
        assert_eq!(e.to_string(), "storage error");
        assert!(e.detail().contains("select"));
    }
}
