//! The fake hook tool: link it under each tool's name (`relation-get`, `status-set`, ...).

fn main() -> std::process::ExitCode {
    pyroscope_cluster_fake_juju::tool_main()
}
