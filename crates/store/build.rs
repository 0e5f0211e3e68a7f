//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!`
//! embeds the migrations at compile time, and cargo does not otherwise know
//! that the crate depends on the files under `migrations/`.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
