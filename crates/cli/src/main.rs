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
//
// Measured again on another 2-vCPU VM (AMD EPYC, `madvise` huge pages, the balloon reporting free
// pages in 2 MiB blocks), `reconcile` of 10,000 units, before the input reader's
// `keep_large_blocks`: warm medians of 20.6 ms with mimalloc 2 (the mimalloc crate 0.1.52,
// feature `v2`) and 22.7 ms with mimalloc 3 against glibc's 27.7 ms (61 interleaved rounds), but
// first runs after 45 s idle of 62 to 78 ms and 48 to 101 ms against glibc's 32 to 60 ms (three
// each: few, and overlapping, but the same way as before). Without huge pages (feature `no_thp`),
// mimalloc was 2% faster warm and 11% slower on a small input.

fn main() -> std::process::ExitCode {
    pyroscope_cluster_cli::main()
}
