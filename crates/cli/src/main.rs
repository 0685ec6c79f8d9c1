//! `pyroscope-cluster`: inspect, validate and simulate the Juju `pyroscope_cluster` relation
//! (the verbs are in the package's library, `src/lib.rs`).

fn main() -> std::process::ExitCode {
    pyroscope_cluster_cli::main()
}
