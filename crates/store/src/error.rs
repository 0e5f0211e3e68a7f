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
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                if code_unavailable(&code) {
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
                code if sqlite_unavailable(code) => StoreError::Unavailable(e.to_string()),
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

/// Whether a database error's code means the database cannot be used now.
/// SQLite's codes are numbers of up to four digits (see
/// [`sqlite_unavailable`]); PostgreSQL's SQLSTATEs are five characters:
/// class 08 (connection exception), class 53 (insufficient resources: a
/// full disk, out of memory, too many connections) and 57P01–57P03 (the
/// server shutting down or starting).
fn code_unavailable(code: &str) -> bool {
    if code.len() < 5 {
        return code.parse::<i32>().is_ok_and(sqlite_unavailable);
    }
    code.len() == 5 && (code.starts_with("08") || code.starts_with("53") || code.starts_with("57P"))
}

/// Whether a SQLite result code (primary or extended) means the database
/// cannot be used now, for reasons outside the request: busy or locked
/// after the busy timeout, a file that cannot be opened or written (a
/// missing directory or mount, a disk gone read-only), an I/O error, a full
/// disk. Such writes are answered 503 and may be sent again once an
/// operator has seen to it; other codes are the store's own errors (500),
/// among them the I/O errors that report corruption, as `SQLITE_CORRUPT`
/// itself.
fn sqlite_unavailable(code: i32) -> bool {
    use rusqlite::ffi;
    let corrupt = matches!(code, ffi::SQLITE_IOERR_CORRUPTFS | ffi::SQLITE_IOERR_DATA);
    !corrupt
        && matches!(
            code & 0xff,
            ffi::SQLITE_BUSY
                | ffi::SQLITE_LOCKED
                | ffi::SQLITE_READONLY
                | ffi::SQLITE_IOERR
                | ffi::SQLITE_FULL
                | ffi::SQLITE_CANTOPEN
        )
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

    /// A database that cannot be opened, read or written now is
    /// unavailable (503), by either driver's error; a constraint or a
    /// malformed statement is the store's own error (500), a unique
    /// violation a duplicate.
    #[test]
    fn sqlite_failures_outside_the_request_are_unavailable() {
        use rusqlite::ffi;
        let raw = |code| {
            StoreError::from(rusqlite::Error::SqliteFailure(
                ffi::Error::new(code),
                Some("message".into()),
            ))
        };
        for code in [
            ffi::SQLITE_BUSY,
            ffi::SQLITE_LOCKED,
            ffi::SQLITE_CANTOPEN,
            ffi::SQLITE_IOERR,
            ffi::SQLITE_IOERR_SHORT_READ,
            ffi::SQLITE_IOERR_FSYNC,
            ffi::SQLITE_FULL,
            ffi::SQLITE_READONLY,
            ffi::SQLITE_READONLY_DBMOVED,
        ] {
            assert!(
                matches!(raw(code), StoreError::Unavailable(_)),
                "{code}: {:?}",
                raw(code)
            );
        }
        for code in [
            ffi::SQLITE_ERROR,
            ffi::SQLITE_CORRUPT,
            ffi::SQLITE_IOERR_CORRUPTFS,
            ffi::SQLITE_IOERR_DATA,
            ffi::SQLITE_CONSTRAINT_CHECK,
            ffi::SQLITE_MISMATCH,
        ] {
            assert!(matches!(raw(code), StoreError::Other(_)), "{code}");
        }
        assert!(matches!(
            raw(ffi::SQLITE_CONSTRAINT_UNIQUE),
            StoreError::Duplicate(_)
        ));
    }

    /// Codes as sqlx reports them: SQLite's numbers, PostgreSQL's SQLSTATEs.
    #[test]
    fn codes_outside_the_request_are_unavailable() {
        for code in [
            "5", "517", "14", "10", "266", "13", "8", "08006", "08001", "53100", "53200", "53300",
            "57P01", "57P03",
        ] {
            assert!(code_unavailable(code), "{code}");
        }
        // Constraint, syntax, serialization, corruption, a relation not
        // found, and SQLite's corruption reported as I/O.
        for code in [
            "19", "1", "11", "8458", "23505", "42601", "40001", "42P01", "22012", "57014", "",
        ] {
            assert!(!code_unavailable(code), "{code}");
        }
    }

    /// The same through sqlx: a SQLite file in a directory that does not
    /// exist cannot be opened.
    #[tokio::test]
    async fn a_sqlite_file_that_cannot_be_opened_is_unavailable() {
        use sqlx::ConnectOptions;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/missing/q.db", dir.path().display());
        let e = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(&url)
            .unwrap()
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(StoreError::from(e), StoreError::Unavailable(_)),
            "not unavailable"
        );
    }

    #[test]
    fn display_never_carries_details() {
        let e = StoreError::Other("syntax error near select * from users".into());
        assert_eq!(e.to_string(), "storage error");
        assert!(e.detail().contains("select"));
    }
}
