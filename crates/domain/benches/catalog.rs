//! How long checking and loading the shipped catalog takes (`qyzmet` does it
//! at every start, and `catalog check` on every edit).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalog");

fn read_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("catalog directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            read_dir(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).expect("inside root");
            let rel = rel.to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path).expect("text file")));
        }
    }
}

fn load(c: &mut Criterion) {
    let mut files = Vec::new();
    read_dir(Path::new(ROOT), Path::new(ROOT), &mut files);
    c.bench_function("catalog load", |b| {
        b.iter(|| qyzmet_domain::catalog::load(black_box(&files)).expect("shipped catalog loads"))
    });
}

criterion_group!(benches, load);
criterion_main!(benches);
