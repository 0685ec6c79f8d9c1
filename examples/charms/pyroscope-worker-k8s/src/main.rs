//! The charm's `dispatch`: Juju runs it for every hook.

fn main() -> std::process::ExitCode {
    pyroscope_worker_k8s::main()
}
