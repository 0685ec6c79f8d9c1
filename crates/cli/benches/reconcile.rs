//! `reconcile` in process, end to end (the input parsed, the cluster view gathered, the
//! configuration rendered and published, the JSON output written) on 1,000 and 10,000 worker
//! units, beside a bare `serde_json` parse of the same input text (the baseline of the same run:
//! a reconcile cannot be faster than reading its input once).
//!
//! Run with `cargo bench -p pyroscope-cluster --bench reconcile`.

mod common;

use std::sync::OnceLock;

use divan::black_box;

fn main() {
    divan::main();
}

fn input(units: usize) -> &'static str {
    static INPUTS: OnceLock<Vec<(usize, String)>> = OnceLock::new();
    let inputs = INPUTS.get_or_init(|| [1_000, 10_000].map(|units| (units, common::reconcile_input(units))).to_vec());
    inputs.iter().find(|(n, _)| *n == units).map(|(_, text)| text.as_str()).expect("an input of this size")
}

/// The baseline: the input parsed into a `serde_json::Value`, nothing else.
#[divan::bench(args = [1_000, 10_000], sample_count = 20)]
fn serde_json_parse(bencher: divan::Bencher<'_, '_>, units: usize) {
    let text = input(units);
    bencher.bench(|| black_box(serde_json::from_str::<serde_json::Value>(black_box(text)).expect("JSON")));
}

/// `pyroscope-cluster reconcile`'s whole work on the same text, but reading it from a file.
#[divan::bench(args = [1_000, 10_000], sample_count = 20)]
fn reconcile(bencher: divan::Bencher<'_, '_>, units: usize) {
    let text = input(units);
    bencher.bench(|| black_box(pyroscope_cluster_cli::reconcile_json(black_box(text)).expect("reconciled")));
}
