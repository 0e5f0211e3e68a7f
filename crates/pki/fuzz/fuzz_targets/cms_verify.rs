//! Any bytes as a CMS: the verifier answers a contract code, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qyzmet_pki::{Refusal, TrustConfig, Verifier};
use std::sync::OnceLock;

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let mut c = TrustConfig::default();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/nca");
        c.add_anchor_file(format!("{dir}/ca-test-rsa-nko30.pem").as_ref())
            .expect("anchor");
        c.add_crl_file(format!("{dir}/nca_rsa_test.crl.pem").as_ref())
            .expect("crl");
        c.accept_test_iins = true;
        Verifier::new(c)
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks attached or detached judging.
    let (detached, cms) = match data.split_first() {
        Some((b, rest)) => (b & 1 == 1, rest),
        None => (false, data),
    };
    let content: &[u8] = b"lol_kek";
    let at = chrono::DateTime::from_timestamp(1_664_650_339, 0).expect("a time");
    match verifier().verify(cms, detached.then_some(content), at) {
        Ok(v) => assert!(!v.iin.is_empty()),
        Err(r) => assert!(Refusal::CODES.contains(&r.code())),
    }
});
