//! Project automation, reached as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! `cargo xtask schema` writes the files generated from the Rust types:
//! `docs/schema/v0/provider.json`, `docs/schema/v0/requirer.json` and `docs/interface.md`
//! (see [`generated_files`]), and `crates/release/src/keys.rs`, the key table of every Pyroscope
//! release in `reference/pyroscope/` (see `xtask::codegen::keys`). `cargo xtask schema --check` changes nothing and fails when one of
//! them is stale; a test (`tests/generated.rs`) runs the same check, so `cargo test` alone
//! catches a type changed without regenerating.
//!
//! `cargo xtask fuzz [--seconds N]` runs every fuzz target of `fuzz/` for a few seconds on the
//! stable toolchain (see [`fuzz`]); `cargo xtask fuzz --seed-only` writes their seeds into
//! `fuzz/corpus/` for `cargo fuzz run`.
//!
//! `cargo xtask interop` checks this workspace against the real Python peer, live (see
//! [`interop`]): the Python vectors regenerated, the YAML emitter against PyYAML, and mixed
//! clusters of Rust and Python charms under the fake Juju.
//!
//! `cargo xtask live` runs real programs built from their Go modules against what this workspace
//! renders (see [`live`] and `docs/live.md`): the release crate's verdicts against Pyroscope's
//! YAML decoders, the S3 settings against a real SeaweedFS, Pebble. [`live::binary`] builds one of
//! them into `target/live/bin/` and gives its path.
//!
//! The rendering of `docs/interface.md` lives here, not in the libraries: [`drift`] (where this
//! interface's schema parts from the published one, and why), [`example_state`], and the page.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pyroscope_cluster_release::PyroscopeRelease;

pub mod codegen;
mod docs;
pub mod drift;
mod example;
pub mod fuzz;
mod generated;
pub mod interop;
pub mod live;
pub mod tidy;

pub use example::example_state;
pub use generated::{GeneratedFile, generated_files};

/// What to do with a generated file that differs from what is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write it.
    Write,
    /// Change nothing; report it as stale.
    Check,
}

/// What [`ensure_file_contents`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOutcome {
    /// The file already held the text.
    Fresh,
    /// The file was missing or different, and was written.
    Written,
    /// The file was missing or different, and was left alone.
    Stale,
}

/// The message of a failed check.
pub const RUN_AND_COMMIT: &str = "run `cargo xtask schema` and commit";

/// The workspace root.
pub fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// rust-analyzer's `ensure_file_contents`: makes `path` hold `contents`, unless it does already
/// (line endings aside). In [`Mode::Check`], changes nothing and says whether it is stale.
pub fn ensure_file_contents(path: &Path, contents: &str, mode: Mode) -> Result<FileOutcome> {
    match fs::read_to_string(path) {
        Ok(old) if normalize_newlines(&old) == normalize_newlines(contents) => return Ok(FileOutcome::Fresh),
        Ok(_) => {}
        Err(err) if err.kind() == io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    }
    if mode == Mode::Check {
        return Ok(FileOutcome::Stale);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))?;
    Ok(FileOutcome::Written)
}

fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// `cargo xtask schema [--check]` in the workspace at `root`: the schema crate's files, and the
/// Pyroscope key table generated from `reference/pyroscope/`.
pub fn schema(root: &Path, mode: Mode) -> Result<Vec<(&'static str, FileOutcome)>> {
    let mut outcomes = ensure_files(root, &generated_files(), mode)?;
    outcomes.extend(ensure_files(root, &[key_table(root)?], mode)?);
    Ok(outcomes)
}

/// `crates/release/src/keys.rs`, from the key reference of every release in `reference/pyroscope/`.
pub fn key_table(root: &Path) -> Result<GeneratedFile> {
    let mut references = Vec::new();
    for release in PyroscopeRelease::ALL {
        let path = root.join("reference/pyroscope").join(release.reference_file());
        let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        references.push((release, text));
    }
    let borrowed: Vec<(PyroscopeRelease, &str)> =
        references.iter().map(|(release, text)| (*release, text.as_str())).collect();
    let contents = codegen::keys::key_table(&borrowed)?;
    Ok(GeneratedFile { path: codegen::keys::KEY_TABLE_PATH, contents })
}

/// Ensures every one of `files` under `root`; in [`Mode::Check`], fails naming every stale one.
pub fn ensure_files(root: &Path, files: &[GeneratedFile], mode: Mode) -> Result<Vec<(&'static str, FileOutcome)>> {
    let mut outcomes = Vec::with_capacity(files.len());
    for file in files {
        outcomes.push((file.path, ensure_file_contents(&root.join(file.path), &file.contents, mode)?));
    }
    let stale: Vec<&str> = outcomes.iter().filter(|(_, o)| *o == FileOutcome::Stale).map(|(path, _)| *path).collect();
    if !stale.is_empty() {
        bail!("generated files are out of date: {}; {RUN_AND_COMMIT}", stale.join(", "));
    }
    Ok(outcomes)
}
