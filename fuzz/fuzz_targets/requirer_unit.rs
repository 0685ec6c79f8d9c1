//! `cargo fuzz run requirer_unit`: see `pyroscope_cluster_fuzz::requirer_unit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyroscope_cluster_fuzz::requirer_unit(data));
