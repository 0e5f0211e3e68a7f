/// mimalloc rather than the system's allocator: a request allocates and
/// frees many small blocks across threads (JSON, headers, rows) and a few
/// large ones (PDFs), and glibc's malloc spent a sixth of the server's CPU
/// on them (`malloc_consolidate`, `_int_free`; docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages for this process. mimalloc asks for them on
    // its arenas, and then every page it purges (a second after it frees
    // it) comes back as a whole 2 MiB page the kernel zeroes: the bench's
    // peak RSS was twice as large (135 against 65 MiB) for the same
    // throughput (docs/performance.md). Taken before anything is touched
    // but the few blocks the runtime allocates at start; `MIMALLOC_ALLOW_THP`
    // does the same from the environment.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    qyzmet::run(std::env::args_os())
}
