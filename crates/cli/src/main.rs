//! `pyroscope-cluster`: inspect, validate and simulate the Juju `pyroscope_cluster` relation
//! (the verbs are in the package's library, `src/lib.rs`).

// The system allocator, on purpose (measured on a 2-vCPU Firecracker VM, 10,000-unit reconcile):
// allocators that back the heap with transparent huge pages (mimalloc 0.1.52 by default,
// jemalloc with `thp:always`) made warm runs a quarter faster, but the first run after a minute
// idle 2 to 3 times slower (0.45 to 0.72 s, against 0.20 to 0.23 s for the system allocator):
// most likely the VM's balloon (free page reporting) had given the free 2 MiB blocks back to the
// host, which faults them in again. Without huge pages, mimalloc was no faster than glibc. A
// person on call runs this once, after idle.

fn main() -> std::process::ExitCode {
    pyroscope_cluster_cli::main()
}
