/// mimalloc rather than the system's allocator: a request allocates and
/// frees many small blocks across threads (JSON, headers, rows) and a few
/// large ones (PDFs), and glibc's malloc spent a sixth of the server's CPU
/// on them (`malloc_consolidate`, `_int_free`; docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    qyzmet::run(std::env::args_os())
}
