//! Bounded fuzzing on stable Rust: valid CMS (the national CA's sample,
//! RSA and ECDSA signatures made here, attached and detached) mutated at
//! random (bit flips, byte changes, insertions, deletions, truncations,
//! length bytes, spliced halves) and judged. The verifier must never panic
//! and must always answer `valid` or one of the contract's codes.
//! `QYZMET_FUZZ_SECONDS` (default 20, at most 30) and `QYZMET_FUZZ_SEED`
//! tune it; the cargo-fuzz target in `fuzz/` does the same without bounds.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, Utc};
use qyzmet_pki::demo::{Authority, Profile};
use qyzmet_pki::{name, oids, Key, Refusal, Signer, TrustConfig, Verifier};

const NCA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/nca");

/// xorshift64*: reproducible from the seed printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = b.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            2 => {
                let i = rng.below(len + 1);
                b.insert(i, rng.next() as u8);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = rng.below(16).min(len - i);
                b.drain(i..i + n);
            }
            4 => b.truncate(rng.below(len + 1)),
            // Length bytes: a DER length octet right after a tag.
            5 if len > 2 => {
                let i = rng.below(len - 1);
                b[i + 1] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][rng.below(7)];
            }
            6 => {
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                b.truncate(cut);
                b.extend_from_slice(&other[from..]);
            }
            _ if len > 4 => {
                // Duplicate a slice (repeated elements, nested lengths).
                let i = rng.below(len);
                let n = rng.below(64).min(len - i);
                let piece = b[i..i + n].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, piece);
            }
            _ => {}
        }
    }
    b
}

#[test]
fn mutated_cms_never_panics_and_always_answers_a_contract_code() {
    let now = Utc::now();
    let ca = Authority::root("Fuzz Root", now - Days::days(1), now + Days::days(30)).unwrap();
    let subject = name::individual("ФАЗЗ", "ТЕСТ", "ТЕСТҰЛЫ", "871008401427").unwrap();
    let profile = Profile::signing(
        subject,
        now - Days::days(1),
        now + Days::days(30),
        oids::KP_INDIVIDUAL,
    );
    let (_, p12) = ca.issue_p12(&profile, &[]).unwrap();
    let rsa = Signer::from_p12(&p12, qyzmet_pki::demo::PASSWORD).unwrap();
    let key = Key::generate_p256();
    let cert = ca.issue(&profile, &key).unwrap();
    let ec = Signer::from_key(key, vec![cert]).unwrap();

    let content = b"fuzz content".to_vec();
    let mut c = TrustConfig::default();
    c.anchors.push(ca.cert.clone());
    c.add_anchor_file(format!("{NCA}/ca-test-rsa-nko30.pem").as_ref())
        .unwrap();
    c.add_crl_file(format!("{NCA}/nca_rsa_test.crl.pem").as_ref())
        .unwrap();
    c.crls.push(ca.crl(&[], now).unwrap());
    let v = Verifier::new(c);

    let seeds = [
        std::fs::read(format!("{NCA}/kalkan-rsa-1signer-attached-lol_kek.p7s")).unwrap(),
        rsa.sign(&content, false).unwrap(),
        rsa.sign(&content, true).unwrap(),
        ec.sign(&content, false).unwrap(),
    ];
    // The unmutated seeds are judged as expected.
    assert_eq!(
        v.verify(&seeds[0], None, now).unwrap_err().code(),
        "certificate-expired"
    );
    for s in &seeds[1..] {
        assert!(v.verify(s, Some(&content), now).is_ok());
    }

    let secs: u64 = std::env::var("QYZMET_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .min(30);
    let seed: u64 = std::env::var("QYZMET_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| now.timestamp_nanos_opt().unwrap_or(1) as u64 | 1);
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut runs, mut valid) = (0u64, 0u64);
    let mut codes = std::collections::BTreeMap::new();
    while Instant::now() < deadline {
        let base = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, base, other);
        let detached = rng.below(2) == 0;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            v.verify(&input, detached.then_some(&content[..]), now)
        }));
        match outcome {
            Err(_) => panic!(
                "the verifier panicked (QYZMET_FUZZ_SEED={seed}, run {runs}); input: {}",
                name::hex(&input)
            ),
            Ok(Ok(_)) => valid += 1,
            Ok(Err(r)) => {
                assert!(Refusal::CODES.contains(&r.code()), "{r:?}");
                *codes.entry(r.code()).or_insert(0u64) += 1;
            }
        }
        runs += 1;
    }
    eprintln!("fuzz: {runs} inputs in {secs} s (seed {seed}): {valid} valid, {codes:?}");
    assert!(runs > 100, "too few inputs judged: {runs}");
    assert!(
        codes.len() >= 3,
        "mutations reach several verdicts: {codes:?}"
    );
}
