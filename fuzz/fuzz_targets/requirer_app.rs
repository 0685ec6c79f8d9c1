//! `cargo fuzz run requirer_app`: see `pyroscope_cluster_fuzz::requirer_app`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyroscope_cluster_fuzz::requirer_app(data));
