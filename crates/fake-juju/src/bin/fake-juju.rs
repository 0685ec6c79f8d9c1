//! `fake-juju`: the fake Juju from a shell (see the crate's `cli` module).

fn main() -> std::process::ExitCode {
    pyroscope_cluster_fake_juju::cli::main()
}
