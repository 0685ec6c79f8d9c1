//! `pyroscope-cluster`: inspect, validate and simulate the Juju `pyroscope_cluster` relation
//! (the verbs are in the package's library, `src/lib.rs`).

// The system allocator, on purpose. Measured on a 2-vCPU Firecracker VM (transparent huge pages
// in `madvise` mode), `reconcile` of 10,000 units: allocators that ask for huge pages (mimalloc
// 0.1.52 does by default; jemalloc with `thp:always`) had warm medians of 179 and 162 ms against
// glibc's 241 ms (15 interleaved rounds), but after a minute idle their first run took 0.45 to
// 0.72 s, where glibc's took 0.15 to 0.29 s (four idle periods). The VM's balloon reports free
// pages to its host, which may have to bring 2 MiB blocks back in. With huge pages off
// (`MIMALLOC_ALLOW_THP=0`), mimalloc was no faster than glibc. A person on call runs this once,
// after idle.

fn main() -> std::process::ExitCode {
    pyroscope_cluster_cli::main()
}
