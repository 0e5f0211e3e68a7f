//! What every test binary of this crate needs: the real catalog and
//! calendar, read from the repository's `catalog/` once.

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
