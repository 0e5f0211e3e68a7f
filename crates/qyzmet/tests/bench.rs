//! `qyzmet bench` runs end to end on a fresh SQLite file and reports its
//! throughput against the disk's commit rate.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn a_short_bench_reports_lifecycles_and_the_disk_baseline() {
    Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
        .args(["bench", "--lifecycles", "6", "--concurrency", "2"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicate::str::contains("lifecycles/s"))
        .stdout(predicate::str::contains("disk commits/s (baseline)"))
        .stdout(predicate::str::contains("transitions/s ÷ commits/s"))
        .stdout(predicate::str::contains(
            "6 drafted (by the job runner, or at sign when it had not yet) and sealed at sign, 6 receipts",
        ))
        .stdout(predicate::str::contains("latency, sign (sealing)"));
}

#[test]
fn without_documents_the_bench_says_so() {
    Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
        .args([
            "bench",
            "--lifecycles",
            "3",
            "--concurrency",
            "1",
            "--without-documents",
        ])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success()
        .stdout(predicate::str::contains("lifecycles/s"))
        .stdout(predicate::str::contains("left out (--without-documents)"));
}

/// Seeded cases: the lists and the specialist's worklist page are timed,
/// and the page shows the specialist's cases.
#[test]
fn seeded_cases_time_the_lists_and_the_worklist_page() {
    let out = Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
        .args([
            "bench",
            "--lifecycles",
            "2",
            "--concurrency",
            "1",
            "--seed-cases",
            "2000",
        ])
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "specialist's worklist (specialist)",
        ))
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("specialist's worklist page (/work)"))
        .unwrap_or_else(|| panic!("no page line in {out}"));
    assert!(line.contains("p95"), "{line}");
    let rows: usize = line
        .rsplit('(')
        .next()
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no row count in {line}"));
    assert!(rows > 0, "the worklist page lists cases: {line}");
}

#[test]
fn a_bad_flag_is_one_line_and_exit_2() {
    Command::new(assert_cmd::cargo::cargo_bin("qyzmet"))
        .args(["bench", "--lifecycles", "0"])
        .assert()
        .code(2)
        .stderr(predicate::function(|s: &str| {
            s.trim_end().lines().count() == 1
        }));
}
