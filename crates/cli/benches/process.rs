//! `pyroscope-cluster reconcile` end to end, process start to exit, on 1,000 and 10,000 worker
//! units, with `pyroscope-cluster --version` (process start alone) as the baseline of the same run.
//! The Python library doing the same work is timed beside it, whole processes interleaved, by
//! `tests/interop/speed.py` (its docstring says how).
//!
//! Run with `cargo bench -p pyroscope-cluster --bench process`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

const BIN: &str = env!("CARGO_BIN_EXE_pyroscope-cluster");

/// The reconcile inputs, written once: `(units, path)`.
fn input(units: usize) -> &'static Path {
    static FILES: OnceLock<(tempfile::TempDir, Vec<(usize, PathBuf)>)> = OnceLock::new();
    let (_, files) = FILES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let files = [1_000, 10_000]
            .map(|units| {
                let path = dir.path().join(format!("reconcile-{units}.json"));
                std::fs::write(&path, common::reconcile_input(units)).expect("written");
                (units, path)
            })
            .to_vec();
        (dir, files)
    });
    files.iter().find(|(n, _)| *n == units).map(|(_, path)| path.as_path()).expect("an input of this size")
}

fn run(args: &[&std::ffi::OsStr]) {
    let status = Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("runs");
    assert!(status.success());
}

/// The baseline: starting the process and printing the version.
#[divan::bench(sample_count = 30)]
fn process_start() {
    run(&["--version".as_ref()]);
}

/// Reading the units, reconciling, and printing the JSON result.
#[divan::bench(args = [1_000, 10_000], sample_count = 30)]
fn reconcile_units(units: usize) {
    run(&["reconcile".as_ref(), input(units).as_os_str()]);
}
