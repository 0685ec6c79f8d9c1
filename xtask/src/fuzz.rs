//! `cargo xtask fuzz`: a short coverage-guided run of every fuzz target of `fuzz/`, on the stable
//! toolchain.
//!
//! It does what `cargo fuzz run` does without needing nightly or cargo-fuzz: it builds the
//! targets with libFuzzer's instrumentation (SanitizerCoverage, through stable `-C` flags; no
//! AddressSanitizer, which needs nightly, and which safe Rust does not need to find a panic), seeds
//! a corpus from the Python vectors and the examples, and runs each target for a few seconds.
//! With nightly and cargo-fuzz, `cargo xtask fuzz --seed-only` then `cargo +nightly fuzz run
//! <target>` runs one for as long as wanted.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

#[allow(unreachable_pub, dead_code, missing_docs)]
#[path = "../../fuzz/src/lib.rs"]
mod bodies;

/// The flags cargo-fuzz builds with, but for the sanitizer.
const RUSTFLAGS: &str = "-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
     -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
     -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

/// The names of the fuzz targets.
pub fn targets() -> Vec<&'static str> {
    bodies::TARGETS.iter().map(|(name, _)| *name).collect()
}

/// Writes each target's seeds into `corpus/<target>/`, one file each; returns how many.
pub fn write_seeds(corpus: &Path) -> Result<usize> {
    let mut count = 0;
    for name in targets() {
        let dir = corpus.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, seed) in bodies::seeds(name).iter().enumerate() {
            let path = dir.join(format!("seed-{i:03}"));
            std::fs::write(&path, seed).with_context(|| format!("writing {}", path.display()))?;
            count += 1;
        }
    }
    Ok(count)
}

/// Builds the targets, seeds the corpus under `target/fuzz-corpus`, and runs each target for
/// `seconds`; fails when a target crashes (its input is left under `target/fuzz-artifacts`).
pub fn run(root: &Path, seconds: u64) -> Result<()> {
    let target_dir = root.join("target/fuzz");
    let host = host_triple()?;
    let status = Command::new(cargo())
        .args(["build", "--release", "--bins", "--target", &host, "--manifest-path"])
        .arg(root.join("fuzz/Cargo.toml"))
        .env("RUSTFLAGS", RUSTFLAGS)
        .env("CARGO_TARGET_DIR", &target_dir)
        .status()
        .context("running cargo build for fuzz/")?;
    if !status.success() {
        bail!("building the fuzz targets failed ({status})");
    }
    let corpus = root.join("target/fuzz-corpus");
    let seeds = write_seeds(&corpus)?;
    println!("seeded {} with {seeds} inputs", corpus.display());
    let artifacts = root.join("target/fuzz-artifacts");
    std::fs::create_dir_all(&artifacts).context("creating target/fuzz-artifacts")?;
    for name in targets() {
        let binary = target_dir.join(&host).join("release").join(name);
        println!("== fuzz {name} for {seconds} s");
        let status = Command::new(&binary)
            .arg(corpus.join(name))
            .arg(format!("-max_total_time={seconds}"))
            .arg("-timeout=10")
            .arg("-rss_limit_mb=4096")
            .arg("-print_final_stats=1")
            .arg(format!("-artifact_prefix={}/{name}-", artifacts.display()))
            .status()
            .with_context(|| format!("running {}", binary.display()))?;
        if !status.success() {
            bail!("fuzz target {name} failed ({status}); the input is under {}", artifacts.display());
        }
    }
    Ok(())
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// The host's target triple: the flags must not reach build scripts, so the build names it.
fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("-vV").output().context("running rustc -vV")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().find_map(|line| line.strip_prefix("host: ")).map(str::to_owned).context("rustc -vV names no host")
}
