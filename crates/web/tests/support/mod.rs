//! What every test binary of this crate needs: the real catalog and
//! calendar, read from the repository's `catalog/` once, and a fresh
//! PostgreSQL database. Each test binary uses part of it.
#![allow(dead_code)]

pub mod pages;

use qyzmet_domain::calendar::{Calendar, CalendarData, BUILTIN_KZ_FILE, BUILTIN_KZ_TOML};
use qyzmet_domain::catalog::Catalog;
use std::path::Path;
use std::sync::OnceLock;

fn catalog_files() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog"));
    let mut files = Vec::new();
    walk(root, root, &mut files);
    files.sort();
    files
}

/// A meeting date service A's form takes on a real clock: a month from
/// today (its schema refuses one in the past).
pub fn meeting_day() -> &'static str {
    static D: OnceLock<String> = OnceLock::new();
    D.get_or_init(|| {
        (chrono::Utc::now() + chrono::Duration::days(30))
            .format("%Y-%m-%d")
            .to_string()
    })
}

/// The shipped catalog and the built-in calendar, loaded once per binary.
pub fn catalog_and_calendar() -> &'static (Catalog, Calendar) {
    static C: OnceLock<(Catalog, Calendar)> = OnceLock::new();
    C.get_or_init(|| {
        let catalog = qyzmet_domain::catalog::load(&catalog_files()).expect("the catalog loads");
        let data = CalendarData::parse(BUILTIN_KZ_FILE, BUILTIN_KZ_TOML).expect("calendar");
        let calendar = Calendar::build(&data, &[]).expect("calendar builds");
        (catalog, calendar)
    })
}

/// The built-in calendar file, which administrators' edits layer over.
pub fn calendar_data() -> CalendarData {
    CalendarData::parse(BUILTIN_KZ_FILE, BUILTIN_KZ_TOML).expect("calendar")
}

/// A verifier trusting the demo PKI of `pki` (its root, intermediate and
/// CRL), accepting the national CA's test IIN as demo mode does.
pub fn demo_verifier(pki: &qyzmet_pki::demo::DemoPki) -> qyzmet_pki::Verifier {
    let mut trust = qyzmet_pki::TrustConfig {
        accept_test_iins: true,
        ..Default::default()
    };
    trust.add_anchor_file(&pki.ca).unwrap();
    trust
        .add_intermediates(&std::fs::read(&pki.intermediate).unwrap())
        .unwrap();
    trust.add_crl_file(&pki.crl).unwrap();
    qyzmet_pki::Verifier::new(trust)
}

/// Serves `state` on `listener` in the background until the returned
/// sender is dropped or sent to.
pub fn serve_in_background(
    listener: tokio::net::TcpListener,
    state: qyzmet_web::AppState,
) -> tokio::sync::oneshot::Sender<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        qyzmet_web::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    tx
}

/// A PostgreSQL database of the test's own on the server of
/// `TEST_DATABASE_URL`, dropped however the test ends.
pub struct FreshPg {
    admin: String,
    name: String,
    pub url: String,
}

impl FreshPg {
    /// `None` when `TEST_DATABASE_URL` is not set.
    pub async fn create(prefix: &str) -> Option<FreshPg> {
        use sqlx::Connection;
        let admin = std::env::var("TEST_DATABASE_URL").ok()?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let base = admin.split('?').next().unwrap();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        Some(FreshPg { admin, name, url })
    }
}

impl Drop for FreshPg {
    fn drop(&mut self) {
        use sqlx::Connection;
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on:
        // the database goes on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut c)
                        .await;
                    let _ = c.close().await;
                }
            });
        })
        .join();
    }
}
