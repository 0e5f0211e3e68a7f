/// mimalloc rather than the system's allocator: a request allocates and
/// frees many small blocks across threads (JSON, headers, rows) and a few
/// large ones (PDFs), and glibc's malloc spent a sixth of the server's CPU
/// on them (`malloc_consolidate`, `_int_free`; docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages for this process. mimalloc asks for them
    // on its arenas, and a range it purges (a second after freeing it) can
    // come back as a whole 2 MiB page the kernel zeroes: the bench's peak
    // RSS was twice as large (135 against 65 MiB) for the same throughput
    // (docs/performance.md, 2026-12-07, fifth session). The flag holds for
    // every later fault, in ranges already advised too; the few pages
    // touched before `main` keep theirs. `MIMALLOC_ALLOW_THP=0` in the
    // environment does the same.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    qyzmet::run(std::env::args_os())
}
