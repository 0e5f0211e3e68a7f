//! The shipped catalog and the checker's behaviour on broken catalogs.

use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog");

fn read_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            read_dir(root, &path, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn real_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    read_dir(Path::new(ROOT), Path::new(ROOT), &mut out);
    out.sort();
    out
}

#[test]
fn shipped_catalog_loads() {
    match qyzmet_domain::catalog::load(&real_files()) {
        Ok(_) => {}
        Err(d) => panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    }
}
