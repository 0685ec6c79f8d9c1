//! Code generated from references (rust-analyzer's `xtask/src/codegen`): `cargo xtask schema`
//! writes it, `--check` and the tests fail when a committed file is stale.

pub mod keys;
