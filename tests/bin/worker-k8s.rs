//! The Kubernetes worker, as a binary of this package (see Cargo.toml).

fn main() -> std::process::ExitCode {
    pyroscope_worker_k8s::main()
}
