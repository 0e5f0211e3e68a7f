fn main() -> std::process::ExitCode {
    qyzmet::run(std::env::args_os())
}
