//! `cargo fuzz run reconcile_input`: see `pyroscope_cluster_fuzz::reconcile_input`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyroscope_cluster_fuzz::reconcile_input(data));
