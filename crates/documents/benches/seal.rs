//! Sealed result PDFs per second: render (layout, font subset, QR code)
//! plus a detached CMS with the demo head's RSA key, against two baselines
//! measured in the same run: the bare signature of a fixed PDF, and the
//! render alone. `cargo bench -p qyzmet-documents --bench seal`; under
//! `cargo test` it runs a few rounds as a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use qyzmet_documents::{render, Content};

fn content(n: usize) -> Content {
    Content {
        lang: "kk".into(),
        issuer: "Қарағанды қаласының білім бөлімі".into(),
        title:
            "Жетім баланы асырап алуға байланысты біржолғы ақшалай төлемді тағайындау туралы шешім"
                .into(),
        fields: vec![
            ("Тіркеу нөмірі".into(), format!("KZ-2026-{n:06}")),
            ("Күні".into(), "24.11.2026".into()),
            (
                "Мемлекеттік көрсетілетін қызмет".into(),
                "Бала асырап алуға байланысты біржолғы төлем".into(),
            ),
            (
                "Көрсетілетін қызметті алушы".into(),
                "Құрманова Әлия Ғабитқызы, ЖСН 871008401427".into(),
            ),
            ("Қол қойған".into(), "БАСШЫ ДЕМО ДЕМОҰЛЫ".into()),
            (
                "Регламент".into(),
                "Қарағанды облысы әкімдігінің қаулысы № 64/04, 01.09.2016".into(),
            ),
        ],
        body: vec![
            "Бала асырап алуға байланысты біржолғы төлем: өтініш қанағаттандырылды.".into(),
            "Балалар:".into(),
            "• Асанов Нұрлан, 200315500017, 2020-03-15".into(),
            "Төлем сомасы: 75 АЕК × 1 × 4 325 ₸ (АЕК 2026) = 324 375 ₸".into(),
        ],
        notes: vec![
            "Стандарттың 1-қосымшасы (2015 жылғы 13 сәуірдегі № 198 бұйрық, № 11184 тіркелген)"
                .into(),
            "Уақытша нысан: Нысанның мәтіні тұқымдық мәтіндерде жоқ.".into(),
        ],
        verify_url: format!("https://qyzmet.example.kz/verify/{n:020x}"),
        verify_label: "Құжаттың түпнұсқалығын мына мекенжайда тексеруге болады:".into(),
    }
}

/// CPU time this thread has run, where Linux tells it
/// (`/proc/thread-self/schedstat`, nanoseconds on a CPU): unlike wall time,
/// not stretched by other processes on a busy machine.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        stat.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Runs `f` `n` times; returns per second.
fn rate(n: usize, mut f: impl FnMut(usize)) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    n as f64 / t.elapsed().max(Duration::from_nanos(1)).as_secs_f64()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { 400 } else { 3 };
    let dir = tempfile::tempdir().unwrap();
    let pki = qyzmet_pki::demo::ensure(&dir.path().join("demo-pki")).unwrap();
    let head = pki.signer("head").unwrap();
    let fixed = render(&content(0)).unwrap();
    // Warm the fonts and the key.
    for i in 0..(n / 10).max(1) {
        black_box(head.sign(&render(&content(i)).unwrap(), true).unwrap());
    }

    let sign_only = rate(n, |_| {
        black_box(head.sign(black_box(&fixed), true).unwrap());
    });
    let cpu_before = thread_cpu();
    let render_only = rate(n, |i| {
        black_box(render(&content(i)).unwrap());
    });
    let render_cpu = cpu_before
        .zip(thread_cpu())
        .map(|(a, b)| (b - a).as_secs_f64() * 1e3 / n as f64);
    let sealed = rate(n, |i| {
        let pdf = render(&content(i)).unwrap();
        black_box(head.sign(&pdf, true).unwrap());
    });
    // Two threads, as the job runner on a two-core node could run them.
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..2 {
            let head = &head;
            s.spawn(move || {
                for i in 0..n / 2 {
                    let pdf = render(&content(k * n + i)).unwrap();
                    black_box(head.sign(&pdf, true).unwrap());
                }
            });
        }
    });
    let sealed_2 = (n / 2 * 2) as f64 / t.elapsed().as_secs_f64();

    // A fingerprint of the bytes, to compare renders across versions of the
    // code (a faster render must lay out the same PDF).
    let fingerprint = {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        fixed.hash(&mut h);
        h.finish()
    };
    println!(
        "PDF size: {} bytes, fingerprint {fingerprint:016x}",
        fixed.len()
    );
    println!(
        "baseline: bare signature (RSA-2048, SHA-256) of a fixed PDF: {sign_only:>8.0}/s  1.00"
    );
    println!(
        "baseline: render alone:                                     {render_only:>8.0}/s  {:.2}",
        render_only / sign_only
    );
    if let Some(ms) = render_cpu {
        println!("render alone, CPU time of a render: {ms:.3} ms");
    }
    println!(
        "sealed PDFs (render + sign), one thread:                    {sealed:>8.0}/s  {:.2}",
        sealed / sign_only
    );
    println!(
        "sealed PDFs (render + sign), two threads:                   {sealed_2:>8.0}/s  {:.2}",
        sealed_2 / sign_only
    );
}
