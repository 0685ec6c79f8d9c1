//! The fake-juju-tool, as a binary of this package (see Cargo.toml).

fn main() -> std::process::ExitCode {
    pyroscope_cluster_fake_juju::tool_main()
}
