//! `cargo fuzz run provider_app`: see `pyroscope_cluster_fuzz::provider_app`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| pyroscope_cluster_fuzz::provider_app(data));
