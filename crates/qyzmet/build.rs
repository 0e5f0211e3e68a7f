// The catalog is embedded with include_dir!, which cannot tell cargo which
// files it read; a change under catalog/ must still rebuild the binary.
fn main() {
    println!("cargo:rerun-if-changed=../../catalog");
}
