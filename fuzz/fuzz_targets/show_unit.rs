//! `cargo fuzz run show_unit`: see `pyroscope_cluster_fuzz::show_unit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyroscope_cluster_fuzz::show_unit(data));
