//! `cargo xtask live`: real programs, built from their Go modules, against what this project
//! renders. See `docs/live.md` for what each part proves, what it needs, and the figures.
//!
//! The binaries are built from our own small Go modules under `tests/live/` (each pins its
//! dependencies in a committed `go.sum`) into `target/live/bin/`, with Go's module and build
//! caches: the first build downloads and compiles, a later one only links or does nothing.
//! [`binary`] builds one and gives its path; other tasks (the Pebble client's tests) use it.
//!
//! Grafana Pyroscope itself is not among them: the Go module proxy this project reaches refuses
//! `github.com/grafana/pyroscope` at v1.18.1 and v2.2.1 ("403 Forbidden: This module version is
//! not available"); the module is under the AGPL, which this workplace's package lists mark as
//! not to use. The parts that need a running Pyroscope (its loader on whole configs, a live v1
//! cluster, a live v2 cluster, the smallest deployment) are left out, not imitated; see
//! `docs/live.md`.
//!
//! The parts:
//! 1. **binaries**: each built (or found up to date) and timed.
//! 2. **decoders**: the leaf of Pyroscope's config loading, with the YAML module and
//!    prometheus/common each release builds with (`tests/live/decoders/`): hundreds of generated
//!    values for each kind of key, the `release` crate's verdict against the real decoder's; then
//!    every value of every config the coordinator renders (the default, the coordinator-parity
//!    cases, a recommended v1 cluster, a v2 cluster on 2.2.1, the duration variants) decoded into
//!    the Go type of its key; and the known-bad values refused with the decoder's own error.
//! 3. **s3**: a real S3 server (SeaweedFS) on a host of its own (as root, a network namespace;
//!    see [`Hosts`]); the example coordinator and a worker of role `all` under the fake Juju, the
//!    worker at its own host's address, the `s3` relation pointing at the server; the worker's
//!    config file, as the charm wrote it, opened from the worker's host with the S3 client
//!    Pyroscope stores blocks with (thanos-io objstore over minio-go): write, list, read back,
//!    delete.
//! 4. **pebble**: `pebble run` with a layer; a service started, seen active, stopped.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pyroscope_cluster_release::{KeyKind, PyroscopeRelease, check_yaml};
use serde_json::{Value, json};

/// A program `cargo xtask live` builds from a Go module of `tests/live/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `pebble` v1.32.1 (`github.com/canonical/pebble/cmd/pebble`), at `target/live/bin/pebble`.
    Pebble,
    /// SeaweedFS's `weed` (`github.com/seaweedfs/seaweedfs/weed`): the S3 server.
    SeaweedFs,
    /// Our S3 check over thanos-io/objstore, the client Pyroscope stores blocks with.
    S3Check,
    /// Our decoder of Pyroscope 1.18 to 2.0: the colega fork of yaml.v3, prometheus/common v0.66.1.
    Decoders1_18,
    /// Our decoder of Pyroscope 2.2: go.yaml.in/yaml/v3 v3.0.4, prometheus/common v0.67.5.
    Decoders2_2,
}

impl Binary {
    /// Every binary, in build order (the smallest first).
    pub const ALL: [Binary; 5] =
        [Binary::Decoders1_18, Binary::Decoders2_2, Binary::S3Check, Binary::Pebble, Binary::SeaweedFs];

    /// The file name under `target/live/bin/`.
    pub fn name(self) -> &'static str {
        match self {
            Binary::Pebble => "pebble",
            Binary::SeaweedFs => "weed",
            Binary::S3Check => "s3check",
            Binary::Decoders1_18 => "decoders-1.18",
            Binary::Decoders2_2 => "decoders-2.2",
        }
    }

    /// The module directory under `tests/live/` and the package built in it.
    fn module(self) -> (&'static str, &'static str) {
        match self {
            Binary::Pebble => ("pebble", "github.com/canonical/pebble/cmd/pebble"),
            Binary::SeaweedFs => ("seaweedfs", "github.com/seaweedfs/seaweedfs/weed"),
            Binary::S3Check => ("s3check", "."),
            Binary::Decoders1_18 => ("decoders/pyroscope-1.18", "."),
            Binary::Decoders2_2 => ("decoders/pyroscope-2.2", "."),
        }
    }
}

/// Where the binaries go: `target/live/bin/` of the workspace (not `CARGO_TARGET_DIR`: the
/// Pebble client's tests look for `target/live/bin/pebble`).
pub fn bin_dir(root: &Path) -> PathBuf {
    root.join("target/live/bin")
}

/// Builds `which` (or finds it up to date, through Go's build cache) into `target/live/bin/` and
/// gives its path. Needs `go` on PATH and the Go module proxy (or a warm module cache).
pub fn binary(root: &Path, which: Binary) -> Result<PathBuf> {
    build(root, which).map(|(path, _)| path)
}

/// [`binary`], with the time the build took.
fn build(root: &Path, which: Binary) -> Result<(PathBuf, Duration)> {
    let (dir, package) = which.module();
    let out = bin_dir(root).join(which.name());
    std::fs::create_dir_all(bin_dir(root)).context("creating target/live/bin")?;
    let start = Instant::now();
    let output = Command::new("go")
        .current_dir(root.join("tests/live").join(dir))
        // The go.mod and go.sum as committed, the Go on this machine, no VCS stamp: the same
        // inputs give the same binary.
        .env("GOFLAGS", "-mod=readonly -buildvcs=false")
        .env("GOTOOLCHAIN", "local")
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg(package)
        .output()
        .with_context(|| format!("running go build for {} (cargo xtask live needs Go 1.26 on PATH)", which.name()))?;
    if !output.status.success() {
        bail!(
            "go build of {} (tests/live/{dir}, {package}) failed ({}):\n{}",
            which.name(),
            output.status,
            tail(&String::from_utf8_lossy(&output.stderr), 30)
        );
    }
    Ok((out, start.elapsed()))
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What `cargo xtask live` runs: every part, or the ones named.
pub fn run(root: &Path, parts: &[&str]) -> Result<()> {
    const PARTS: [&str; 4] = ["binaries", "decoders", "s3", "pebble"];
    for part in parts {
        if !PARTS.contains(part) {
            bail!("unknown part {part:?}; the parts are {}", PARTS.join(", "));
        }
    }
    let wanted = |part: &str| parts.is_empty() || parts.contains(&part);
    let start = Instant::now();
    let mut figures = Vec::new();
    if wanted("binaries") {
        let part = Instant::now();
        println!("== binaries (go build into target/live/bin/; up to date: Go only checks its cache)");
        for which in Binary::ALL {
            let (path, took) = build(root, which)?;
            println!("{:>15}: {:6.1} s  {}", which.name(), took.as_secs_f64(), path.display());
            figures.push((format!("build {}", which.name()), took));
        }
        figures.push(("binaries".into(), part.elapsed()));
    }
    if wanted("decoders") {
        let part = Instant::now();
        decoders(root)?;
        figures.push(("decoders".into(), part.elapsed()));
    }
    if wanted("s3") {
        let part = Instant::now();
        s3(root)?;
        figures.push(("s3".into(), part.elapsed()));
    }
    if wanted("pebble") {
        let part = Instant::now();
        pebble(root)?;
        figures.push(("pebble".into(), part.elapsed()));
    }
    println!("== live passed in {:.1} s", start.elapsed().as_secs_f64());
    for (what, took) in figures {
        println!("{what:>22}: {:6.1} s", took.as_secs_f64());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// decoders

/// The releases whose decoders are built, with the binary that decodes as each does. 1.19 and 2.0
/// decode as 1.18 does (the same fork and prometheus/common line: `crates/release/src/release.rs`).
const DECODERS: [(PyroscopeRelease, Binary); 2] =
    [(PyroscopeRelease::V1_18_2, Binary::Decoders1_18), (PyroscopeRelease::V2_2_1, Binary::Decoders2_2)];

/// The kinds of key a decoder binary has a Go type for (`tests/live/decoders/core/core.go`).
const KINDS: [KeyKind; 8] = [
    KeyKind::Bool,
    KeyKind::Int,
    KeyKind::Float,
    KeyKind::String,
    KeyKind::GoDuration,
    KeyKind::PrometheusDuration,
    KeyKind::StringList,
    KeyKind::GoDurationList,
];

fn kind_name(kind: KeyKind) -> &'static str {
    // The decoders name a kind as the release crate does, but for members (a list of strings to
    // them) and the kinds whose value is a whole document.
    match kind {
        KeyKind::Members => KeyKind::StringList.name(),
        KeyKind::Block | KeyKind::OpenBlock | KeyKind::List => "Document",
        _ => kind.name(),
    }
}

/// Plain YAML values as a config file may hold them: every duration form the settings take and
/// their neighbours, YAML 1.1 words, numbers at the edges, quoted forms, lists and mappings.
pub const VALUES: &[&str] = &[
    "0",
    "0s",
    "-0",
    "+0",
    "0.0",
    "0d",
    "0y",
    "0h0m0s",
    "15",
    "5",
    "-1",
    "+5",
    "1.5",
    "1.0",
    "3.0",
    "1e3",
    "1e10",
    "010",
    "0x10",
    "0o17",
    "1_000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999999999",
    ".inf",
    "-.inf",
    ".nan",
    "30d",
    "1y",
    "2y",
    "1d",
    "1w",
    "1h30m",
    "1.5h",
    ".5h",
    "1.h",
    "90s",
    "1h",
    "12h",
    "15m",
    "5m",
    "1ms",
    "100ms",
    "1us",
    "1µs",
    "1μs",
    "1ns",
    "1m1s",
    "1s1m",
    "1d1h",
    "1h1d",
    "1m1m",
    "1y1w1d1h1m1s1ms",
    "1w1y",
    "-1h",
    "+1h",
    "-30d",
    "292y",
    "293y",
    "2562047h",
    "2562048h",
    "9223372036s",
    "9223372037s",
    "1e3s",
    "h",
    "s",
    "1",
    "1H",
    "1D",
    "1hr",
    "1 h",
    "1h 30m",
    "abc",
    "\"abc\"",
    "''",
    "\"\"",
    "\"0\"",
    "\"1h\"",
    "'30d'",
    "\"15\"",
    "\"1.5h\"",
    "\"true\"",
    "'yes'",
    "~",
    "null",
    "Null",
    "true",
    "false",
    "True",
    "TRUE",
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "On",
    "y",
    "n",
    "Y",
    "[]",
    "[1h]",
    "[1h, 30d]",
    "[0]",
    "[15]",
    "[a, b]",
    "[\"1h\", 2h]",
    "[[a]]",
    "[{a: 1}]",
    "[~]",
    "{}",
    "{a: 1}",
    "!!str 15",
    "!!int 15",
    "!!float 1",
    "!!bool true",
    "!!null ''",
];

/// The disagreements between the release crate and the decoders that are explained, not fixed:
/// the value, the kinds of key, why. Each is a difference of the YAML reader the crate checks with
/// (`pyroscope_cluster_model::yaml`, YAML 1.2's core schema), not of its key tables, and none is a
/// value the coordinator renders. A disagreement not listed fails the run; so does one listed that
/// no longer disagrees.
pub const EXPLAINED: &[(&str, &[KeyKind], &str)] = &[
    (
        "!!null ''",
        &KINDS,
        "the model crate's YAML reader refuses the `!!null` tag on a non-empty form; go-yaml reads null \
         (stricter; the coordinator writes no tags)",
    ),
    (
        "010",
        &[KeyKind::Int, KeyKind::Float],
        "go-yaml v3 resolves a plain `010` as the integer 8 (strconv base 0, `resolve.go`); YAML 1.2's core \
         schema, as the model crate reads it, as the string `010` (stricter)",
    ),
    (
        "1_000",
        &[KeyKind::Int, KeyKind::Float],
        "go-yaml v3 drops `_` from a plain number (`resolve.go`); YAML 1.2's core schema reads a string \
         (stricter)",
    ),
    (
        "-0",
        &[KeyKind::PrometheusDuration],
        "the model crate reads `-0` as the integer 0, whose text is `0`; go-yaml hands model.Duration the \
         text `-0`, which it refuses (looser; the coordinator renders `0`)",
    ),
    (
        "+0",
        &[KeyKind::PrometheusDuration],
        "as `-0`: the integer 0 to the model crate, the text `+0` to model.Duration (looser; never rendered)",
    ),
];

/// One question to the decoders.
struct Case {
    release: PyroscopeRelease,
    kind: KeyKind,
    /// Where it came from: `generated compactor.deletion_delay = 1y`, `case-003 ...`.
    what: String,
    /// The document for the decoder: `v: <value>`.
    go_doc: String,
    /// Our verdict, for the generated cases (none for a rendered value: it must decode).
    ours: Option<Result<(), String>>,
}

/// The first key of each kind in `release`'s table.
fn sample_keys(release: PyroscopeRelease) -> Vec<(&'static str, KeyKind)> {
    KINDS.iter().filter_map(|kind| release.keys().find(|(_, k)| k == kind)).collect()
}

/// `a.b.c` with `value` as a YAML document.
fn nested(path: &str, value: &str) -> String {
    let mut doc = String::new();
    let parts: Vec<&str> = path.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        let indent = "  ".repeat(depth);
        if depth + 1 == parts.len() {
            let _ = writeln!(doc, "{indent}{part}: {value}");
        } else {
            let _ = writeln!(doc, "{indent}{part}:");
        }
    }
    doc
}

/// The generated cases: each value of [`VALUES`] on one key of each kind, in each release.
fn generated_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (release, _) in DECODERS {
        for (path, kind) in sample_keys(release) {
            for value in VALUES {
                let ours = check_yaml(release, &nested(path, value)).map_err(|err| err.to_string());
                cases.push(Case {
                    release,
                    kind,
                    what: format!("{path} = {value}"),
                    go_doc: format!("v: {value}\n"),
                    ours: Some(ours),
                });
            }
        }
    }
    cases
}

/// The decoder's answer to each case of `cases` (all of one release), in order.
fn ask(root: &Path, which: Binary, cases: &[&Case]) -> Result<Vec<Result<(), String>>> {
    let path = bin_dir(root).join(which.name());
    let mut child = Command::new(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", path.display()))?;
    let mut input = String::new();
    for (id, case) in cases.iter().enumerate() {
        let line = json!({"id": id, "kind": kind_name(case.kind), "yaml": case.go_doc});
        input.push_str(&line.to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().context("the decoder's stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut stdout = String::new();
    child.stdout.take().context("the decoder's stdout")?.read_to_string(&mut stdout)?;
    let mut stderr = String::new();
    child.stderr.take().context("the decoder's stderr")?.read_to_string(&mut stderr)?;
    writer.join().map_err(|_| anyhow::anyhow!("the writer thread panicked"))??;
    let status = child.wait()?;
    if !status.success() {
        bail!("{} failed ({status}):\n{}", which.name(), tail(&stderr, 20));
    }
    let answers: Vec<Value> = stdout.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    if answers.len() != cases.len() {
        bail!("{} answered {} of {} cases", which.name(), answers.len(), cases.len());
    }
    Ok(answers
        .iter()
        .map(|answer| {
            if answer["ok"] == true {
                Ok(())
            } else {
                Err(answer["error"].as_str().unwrap_or("(no error text)").replace('\n', " "))
            }
        })
        .collect())
}

/// Every case answered by its release's decoder.
fn answer(root: &Path, cases: &[Case]) -> Result<Vec<Result<(), String>>> {
    let mut answers: Vec<Option<Result<(), String>>> = vec![None; cases.len()];
    for (release, which) in DECODERS {
        let (indices, mine): (Vec<usize>, Vec<&Case>) =
            cases.iter().enumerate().filter(|(_, case)| case.release == release).unzip();
        for (index, got) in indices.into_iter().zip(ask(root, which, &mine)?) {
            answers[index] = Some(got);
        }
    }
    answers.into_iter().map(|answer| answer.context("a case of no release")).collect()
}

/// The decoders part: the agreement table, the rendered configs, the known-bad values.
fn decoders(root: &Path) -> Result<()> {
    for (_, which) in DECODERS {
        binary(root, which)?;
    }
    println!(
        "== decoders: YAML values into the Go type of their key, by the YAML module and prometheus/common of \
         each release"
    );
    // 1. The agreement table.
    let cases = generated_cases();
    let answers = answer(root, &cases)?;
    let mut disagreements = Vec::new();
    let mut explained: Vec<(&str, KeyKind, &str, String)> = Vec::new();
    let mut rows: Vec<(PyroscopeRelease, KeyKind, usize, usize, usize)> = Vec::new();
    for (case, real) in cases.iter().zip(&answers) {
        let ours = case.ours.as_ref().expect("generated");
        let row = match rows.iter_mut().find(|row| row.0 == case.release && row.1 == case.kind) {
            Some(row) => row,
            None => {
                rows.push((case.release, case.kind, 0, 0, 0));
                rows.last_mut().expect("pushed")
            }
        };
        row.2 += 1;
        if real.is_ok() {
            row.3 += 1;
        }
        let value = case.what.split_once(" = ").map_or("", |(_, value)| value);
        let reason = EXPLAINED
            .iter()
            .find(|(known, kinds, _)| *known == value && kinds.contains(&case.kind))
            .map(|(known, _, why)| (*known, *why));
        if let Some((known, why)) = reason {
            let real = real.as_ref().map_or_else(|why| format!("refuses ({why})"), |()| "accepts".into());
            explained.push((known, case.kind, why, format!("{} {}: decoder {real}", case.release, case.what)));
        }
        if ours.is_ok() != real.is_ok() {
            row.4 += 1;
            if reason.is_some() {
                continue;
            }
            disagreements.push(format!(
                "{} {}: release crate {}, decoder {}",
                case.release,
                case.what,
                ours.as_ref().map_or_else(|why| format!("refuses ({why})"), |()| "accepts".into()),
                real.as_ref().map_or_else(|why| format!("refuses ({why})"), |()| "accepts".into()),
            ));
        }
    }
    println!("release  kind                 cases  decoder-accepts  disagreements");
    for (release, kind, n, accepted, differ) in &rows {
        println!("{release:<8} {:<20} {n:>5} {accepted:>16} {differ:>14}", format!("{kind:?}"));
    }
    let explained_count: usize = rows.iter().map(|row| row.4).sum::<usize>() - disagreements.len();
    println!(
        "{} generated cases ({} values on one key of each kind, each release): {} disagreements explained, {} not",
        cases.len(),
        VALUES.len(),
        explained_count,
        disagreements.len()
    );
    for (known, why, ..) in EXPLAINED.iter().map(|(known, _, why)| (known, why)) {
        println!("  explained: `{known}`: {why}");
    }
    for line in &disagreements {
        println!("  DISAGREE {line}");
    }
    // An explanation that no longer explains anything is stale.
    let mut stale = Vec::new();
    for (known, kinds, _) in EXPLAINED {
        let cases_of: Vec<&(&str, KeyKind, &str, String)> =
            explained.iter().filter(|(value, kind, ..)| value == known && kinds.contains(kind)).collect();
        let differ = cases.iter().zip(&answers).any(|(case, real)| {
            case.what.ends_with(&format!(" = {known}"))
                && kinds.contains(&case.kind)
                && case.ours.as_ref().is_some_and(|ours| ours.is_ok() != real.is_ok())
        });
        if cases_of.is_empty() || !differ {
            stale.push(format!("`{known}`"));
        }
    }

    // 2. Every config we render, each value decoded into the Go type of its key.
    let rendered = rendered_configs(root)?;
    let mut cases = Vec::new();
    let mut skipped = 0;
    for (name, release, text) in &rendered {
        let tree: Value = pyroscope_cluster_model::yaml::from_str(text)
            .with_context(|| format!("{name}: the rendered config is not YAML"))?;
        cases.push(Case {
            release: decoder_release(*release),
            kind: KeyKind::Block,
            what: format!("{name} (the whole file)"),
            go_doc: text.clone(),
            ours: None,
        });
        let mut seen = Vec::new();
        leaves(*release, "", &tree, &mut |path, kind, value| {
            seen.push(path.to_owned());
            let Some(kind) = kind.filter(|kind| KINDS.contains(kind) || *kind == KeyKind::Members) else {
                skipped += 1;
                return;
            };
            let go_doc = pyroscope_cluster_model::yaml::to_string(&json!({ "v": value })).unwrap_or_default();
            cases.push(Case {
                release: decoder_release(*release),
                kind,
                what: format!("{name}: {path} = {value}"),
                go_doc,
                ours: None,
            });
        })?;
        // So that the check cannot pass by decoding nothing: every config has its S3 bucket and
        // its members among the values decoded.
        for needed in ["storage.s3.bucket_name", "memberlist.join_members"] {
            if !seen.iter().any(|path| path == needed) {
                bail!("{name}: no `{needed}` among the {} values found in the rendered config", seen.len());
            }
        }
    }
    let answers = answer(root, &cases)?;
    let refused: Vec<String> = cases
        .iter()
        .zip(&answers)
        .filter_map(|(case, real)| real.as_ref().err().map(|why| format!("{} ({}): {why}", case.what, case.release)))
        .collect();
    println!(
        "{} rendered configs: {} values and whole files decoded ({} values of structured lists and open \
         blocks not decoded), {} refused",
        rendered.len(),
        cases.len(),
        skipped,
        refused.len()
    );
    for line in &refused {
        println!("  REFUSED {line}");
    }

    // 3. The known-bad values: refused, with the decoder's own words.
    let bad = [
        (PyroscopeRelease::V1_18_2, "compactor.deletion_delay", KeyKind::GoDuration, "15", false),
        (PyroscopeRelease::V2_2_1, "compactor.deletion_delay", KeyKind::GoDuration, "15", false),
        (PyroscopeRelease::V2_2_1, "compactor.deletion_delay", KeyKind::GoDuration, "0", false),
        (PyroscopeRelease::V1_18_2, "compactor.deletion_delay", KeyKind::GoDuration, "0", true),
        (PyroscopeRelease::V1_18_2, "compactor.deletion_delay", KeyKind::GoDuration, "1w", false),
        (
            PyroscopeRelease::V1_18_2,
            "limits.compactor_blocks_retention_period",
            KeyKind::PrometheusDuration,
            "1.5h",
            false,
        ),
    ];
    let cases: Vec<Case> = bad
        .iter()
        .map(|(release, path, kind, value, _)| Case {
            release: *release,
            kind: *kind,
            what: format!("{path} = {value}"),
            go_doc: format!("v: {value}\n"),
            ours: None,
        })
        .collect();
    let answers = answer(root, &cases)?;
    let mut wrong = Vec::new();
    for ((release, path, _, value, accepted), real) in bad.iter().zip(&answers) {
        match real {
            Ok(()) => println!("  {release} {path}: {value} -> accepted"),
            Err(why) => println!("  {release} {path}: {value} -> {why}"),
        }
        if real.is_ok() != *accepted {
            wrong.push(format!("{release} {path}: {value}"));
        }
    }

    let mut failures = Vec::new();
    if !stale.is_empty() {
        failures.push(format!("explained disagreements that no longer disagree: {}", stale.join(", ")));
    }
    if !disagreements.is_empty() {
        failures.push(format!("{} disagreements between the release crate and the decoders", disagreements.len()));
    }
    if !refused.is_empty() {
        failures.push(format!("{} rendered values refused by their release's decoder", refused.len()));
    }
    if !wrong.is_empty() {
        failures.push(format!("known values decoded otherwise than expected: {}", wrong.join("; ")));
    }
    if !failures.is_empty() {
        bail!("decoders: {}", failures.join("; "));
    }
    Ok(())
}

/// The release whose decoder decodes as `release` does.
fn decoder_release(release: PyroscopeRelease) -> PyroscopeRelease {
    if release.takes_int_zero_for_go_duration() { PyroscopeRelease::V1_18_2 } else { PyroscopeRelease::V2_2_1 }
}

/// Calls `leaf` with each value of `tree` that is not a mapping, its key path and its kind in
/// `release`'s table.
fn leaves(
    release: PyroscopeRelease,
    prefix: &str,
    tree: &Value,
    leaf: &mut dyn FnMut(&str, Option<KeyKind>, &Value),
) -> Result<()> {
    match tree {
        Value::Object(entries) => {
            for (key, value) in entries {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                match release.key(&path) {
                    Some(KeyKind::Block) => leaves(release, &path, value, leaf)?,
                    Some(KeyKind::OpenBlock | KeyKind::List) => leaf(&path, None, value),
                    Some(kind) => leaf(&path, Some(kind), value),
                    None => bail!("{path}: not a key of Pyroscope {release}, yet rendered"),
                }
            }
            Ok(())
        }
        other => bail!("{prefix}: a {other} where Pyroscope {release} has a mapping"),
    }
}

/// Every config the coordinator renders for this part: name, release, the `worker_config` text.
fn rendered_configs(root: &Path) -> Result<Vec<(String, PyroscopeRelease, String)>> {
    let cli = crate::interop::cli_executable(root)?;
    let scratch = root.join("target/live/render");
    std::fs::create_dir_all(&scratch).context("creating target/live/render")?;
    let mut inputs: Vec<(String, Value)> = Vec::new();
    let recommended: Value = read_yaml(&root.join("examples/reconcile-recommended.yaml"))?;
    let v2: Value = read_yaml(&root.join("examples/reconcile-v2.yaml"))?;
    // The default settings: the recommended cluster with no settings but S3.
    let mut default = recommended.clone();
    default["settings"] = json!({ "s3": recommended["settings"]["s3"] });
    inputs.push(("default settings".into(), default));
    inputs.push(("recommended v1 (examples/reconcile-recommended.yaml)".into(), recommended.clone()));
    inputs.push(("v2 on 2.2.1 (examples/reconcile-v2.yaml)".into(), v2.clone()));
    let parity = Path::new(&root).join("../shared/coordinator-parity");
    let parity = if parity.is_dir() { parity } else { PathBuf::from("/work/shared/coordinator-parity") };
    let mut names: Vec<PathBuf> = std::fs::read_dir(&parity)
        .with_context(|| format!("reading {}", parity.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    for path in &names {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path)?)
            .with_context(|| format!("reading {}", path.display()))?;
        let name = case["name"].as_str().unwrap_or("?").to_owned();
        inputs.push((format!("coordinator-parity {name}"), case["input"].clone()));
    }
    for setting in ["retention_period", "compactor_deletion_delay", "compactor_cleanup_interval"] {
        for value in ["0", "30d", "1y", "1d", "1h30m", "1.5h"] {
            for (base, label) in [(&recommended, "v1"), (&v2, "v2")] {
                if label == "v2" && setting != "retention_period" {
                    continue;
                }
                let mut input = base.clone();
                input["settings"][setting] = json!(value);
                inputs.push((format!("{label} {setting}={value}"), input));
            }
        }
    }
    let mut out = Vec::new();
    let mut not_rendered = Vec::new();
    for (i, (name, input)) in inputs.iter().enumerate() {
        let file = scratch.join(format!("input-{i:03}.json"));
        std::fs::write(&file, serde_json::to_vec_pretty(input)?)?;
        let run = Command::new(&cli).arg("reconcile").arg(&file).output()?;
        let stdout: Value = match serde_json::from_slice(&run.stdout) {
            Ok(value) => value,
            Err(_) => {
                not_rendered.push((name, String::from_utf8_lossy(&run.stderr).trim().to_owned()));
                continue;
            }
        };
        let release: PyroscopeRelease = stdout["pyroscope"].as_str().unwrap_or("1.18").parse()?;
        let Some(worker_config) = stdout["publish"]
            .as_object()
            .and_then(|publish| publish.values().find_map(|databag| databag["worker_config"].as_str()))
        else {
            not_rendered.push((name, format!("status {}", stdout["status"])));
            continue;
        };
        let text: String = serde_json::from_str(worker_config).context("worker_config is not JSON text")?;
        out.push((name.clone(), release, text));
    }
    println!(
        "rendered {} of {} inputs with `pyroscope-cluster reconcile`; not rendered (the coordinator refuses the \
         setting, or publishes nothing):",
        out.len(),
        inputs.len()
    );
    for (name, why) in &not_rendered {
        println!("  {name}: {why}");
    }
    // A fractional Prometheus duration is the one setting the coordinator must refuse (its
    // decoder does: the known values below); every other input must render.
    let unexpected: Vec<&str> = not_rendered
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !name.ends_with("retention_period=1.5h"))
        .collect();
    let refused = not_rendered.len() - unexpected.len();
    if !unexpected.is_empty() || refused != 2 {
        bail!(
            "the coordinator should render every input but retention_period=1.5h (v1 and v2); it did not render: \
             {}",
            not_rendered.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(out)
}

fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    pyroscope_cluster_model::yaml::from_str(&text).with_context(|| format!("reading {}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// processes

/// A process this run started; killed (by its own id) and reaped when dropped.
struct Process {
    name: String,
    config: String,
    log: PathBuf,
    child: Child,
}

impl Process {
    /// Starts `command` with its output in `log`; `config` names what it was given.
    fn start(name: &str, config: &str, mut command: Command, log: &Path) -> Result<Process> {
        let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("starting {name} ({command:?})"))?;
        Ok(Process { name: name.into(), config: config.into(), log: log.into(), child })
    }

    /// An error naming the process, its config and the tail of its log.
    fn failure(&self, what: &str) -> anyhow::Error {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        anyhow::anyhow!(
            "{what}: process {} (pid {}), config {}; last lines of {}:\n{}",
            self.name,
            self.child.id(),
            self.config,
            self.log.display(),
            tail(&log, 25)
        )
    }

    /// Fails when the process has exited.
    fn alive(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(self.failure(&format!("exited ({status})"))),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `ready` holds, the process stays up, at most `limit`.
fn wait_ready(process: &mut Process, limit: Duration, mut ready: impl FnMut() -> bool) -> Result<Duration> {
    let start = Instant::now();
    loop {
        process.alive()?;
        if ready() {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            return Err(process.failure(&format!("not ready after {} s", limit.as_secs())));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The status line of `GET /` at `address`, if anything answers.
fn http_status(address: std::net::SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET / HTTP/1.0\r\nHost: {address}\r\n\r\n").ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    line.starts_with("HTTP/").then(|| line.trim().to_owned())
}

/// A fresh directory for a part's files.
fn scratch(root: &Path, part: &str) -> Result<PathBuf> {
    let dir = root.join("target/live/run").join(part);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Runs `command`; its standard output, or an error with its standard error.
fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command.output().with_context(|| format!("running {shown}"))?;
    if !out.status.success() {
        bail!(
            "{shown} failed ({}):\n{}{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stdout), 20),
            tail(&String::from_utf8_lossy(&out.stderr), 25)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

// ---------------------------------------------------------------------------------------------
// network namespaces

/// The bridge's subnet: an unusual private /24, only between this run's namespaces (the root
/// namespace has no address on it and no route to it).
pub const SUBNET: &str = "10.213.87";

/// Hosts as network namespaces joined by a bridge, the closest to pods: each has its own address
/// on [`SUBNET`]. The bridge lives in a namespace of its own, so nothing is added to the root
/// namespace. Every namespace is deleted when this is dropped (a veth goes with its namespace),
/// on failure too. Needs root and `ip` (iproute2).
pub struct Hosts {
    /// `pcl-live-<pid>`: the names of this run's namespaces start with it.
    prefix: String,
    /// The namespaces made, the switch first.
    made: Vec<String>,
}

impl Hosts {
    /// Whether this process can make namespaces: root, with `ip` on PATH.
    pub fn available() -> bool {
        let root = Command::new("id").arg("-u").output().is_ok_and(|out| out.stdout.trim_ascii() == b"0");
        root && Command::new("ip").arg("-V").output().is_ok_and(|out| out.status.success())
    }

    /// The switch: a namespace holding the bridge `br0`.
    pub fn new() -> Result<Hosts> {
        let mut network = Hosts { prefix: format!("pcl-live-{}", std::process::id()), made: Vec::new() };
        let switch = network.switch();
        ip(&["netns", "add", &switch])?;
        network.made.push(switch.clone());
        ip(&["-n", &switch, "link", "add", "br0", "type", "bridge"])?;
        ip(&["-n", &switch, "link", "set", "br0", "up"])?;
        Ok(network)
    }

    fn switch(&self) -> String {
        format!("{}-sw", self.prefix)
    }

    /// A host: a namespace `<prefix>-<name>` with `eth0` at `SUBNET.<octet>/24`, its veth's other
    /// end on the bridge. Gives the namespace's name and the address.
    pub fn host(&mut self, name: &str, octet: u8) -> Result<(String, String)> {
        let ns = format!("{}-{name}", self.prefix);
        let address = format!("{SUBNET}.{octet}");
        let port = format!("h{octet}");
        ip(&["netns", "add", &ns])?;
        self.made.push(ns.clone());
        let switch = self.switch();
        ip(&["link", "add", "eth0", "netns", &ns, "type", "veth", "peer", "name", &port, "netns", &switch])?;
        ip(&["-n", &switch, "link", "set", &port, "master", "br0", "up"])?;
        ip(&["-n", &ns, "link", "set", "lo", "up"])?;
        ip(&["-n", &ns, "addr", "add", &format!("{address}/24"), "dev", "eth0"])?;
        ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        Ok((ns, address))
    }

    /// `command`, run in namespace `ns` (`ip netns exec`, which execs it: its pid is the
    /// command's).
    pub fn exec(ns: &str, command: &Command) -> Command {
        let mut wrapped = Command::new("ip");
        wrapped.args(["netns", "exec", ns]).arg(command.get_program()).args(command.get_args());
        for (key, value) in command.get_envs() {
            if let Some(value) = value {
                wrapped.env(key, value);
            }
        }
        if let Some(dir) = command.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for ns in self.made.iter().rev() {
            if let Err(err) = ip(&["netns", "del", ns]) {
                eprintln!("warning: {err:#}");
            }
        }
    }
}

/// `ip ARGS`, failing with its error.
fn ip(args: &[&str]) -> Result<()> {
    output(Command::new("ip").args(args)).map(drop)
}

// ---------------------------------------------------------------------------------------------
// s3

/// Ports of the S3 part, on 127.0.0.1 (each gRPC port is SeaweedFS's default, the port + 10000).
const S3_PORT: u16 = 18333;
const MASTER_PORT: u16 = 19333;
const VOLUME_PORT: u16 = 18480;
const FILER_PORT: u16 = 18888;
/// The S3 identity the server is given, and the `s3` relation carries.
const ACCESS_KEY: &str = "pyroscope-live";
const SECRET_KEY: &str = "pyroscope-live-secret";
const BUCKET: &str = "pyroscope";

fn s3(root: &Path) -> Result<()> {
    // In network namespaces when this run may make them (root): the S3 server on its own host,
    // the worker's S3 client on the worker's, at the address its charm publishes. Else loopback.
    let mut network = if Hosts::available() { Some(Hosts::new()?) } else { None };
    let (s3_host, worker_host) = match network.as_mut() {
        Some(network) => (Some(network.host("s3", 2)?), Some(network.host("all-0", 11)?)),
        None => (None, None),
    };
    let s3_address = s3_host.as_ref().map_or("127.0.0.1", |(_, address)| address.as_str()).to_owned();
    let in_ns = |host: &Option<(String, String)>, command: Command| match host {
        Some((ns, _)) => Hosts::exec(ns, &command),
        None => command,
    };
    match (&s3_host, &worker_host) {
        (Some((s3_ns, _)), Some((worker_ns, worker_address))) => println!(
            "== s3: SeaweedFS on {s3_address}:{S3_PORT} (namespace {s3_ns}); the example charms under the fake \
             Juju, all/0 at {worker_address} (namespace {worker_ns}); objstore from all/0's host"
        ),
        _ => println!(
            "== s3: SeaweedFS on 127.0.0.1:{S3_PORT} (not root: no network namespaces); the example charms \
             under the fake Juju; objstore"
        ),
    }
    let dir = scratch(root, "s3")?;
    let identities = json!({
        "identities": [{
            "name": "pyroscope",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]
        }]
    });
    let s3_config = dir.join("s3.json");
    std::fs::write(&s3_config, serde_json::to_vec_pretty(&identities)?)?;
    std::fs::create_dir_all(dir.join("data"))?;
    let weed = binary(root, Binary::SeaweedFs)?;
    let check = binary(root, Binary::S3Check)?;
    let mut command = Command::new(&weed);
    command.args([
        "server",
        &format!("-ip={s3_address}"),
        &format!("-ip.bind={s3_address}"),
        &format!("-dir={}", dir.join("data").display()),
        &format!("-master.port={MASTER_PORT}"),
        "-master.volumeSizeLimitMB=64",
        &format!("-volume.port={VOLUME_PORT}"),
        "-volume.max=8",
        // The machine's disk may be nearly full (SeaweedFS's default wants 1% of it free): a few
        // small objects need far less.
        "-volume.minFreeSpace=256MiB",
        "-filer",
        &format!("-filer.port={FILER_PORT}"),
        "-s3",
        &format!("-s3.port={S3_PORT}"),
        &format!("-s3.config={}", s3_config.display()),
    ]);
    let command = in_ns(&s3_host, command);
    let mut server =
        Process::start("weed server -s3", &s3_config.display().to_string(), command, &dir.join("weed.log"))?;
    // Ready when its S3 port answers HTTP from the worker's host: this program, run there.
    let xtask = std::env::current_exe().context("this program's path")?;
    let target = format!("{s3_address}:{S3_PORT}");
    let ready = wait_ready(&mut server, Duration::from_secs(120), || {
        let mut probe = Command::new(&xtask);
        probe.args(["live", "--probe", &target]).stdout(Stdio::null()).stderr(Stdio::null());
        in_ns(&worker_host, probe).status().is_ok_and(|status| status.success())
    })?;
    println!("SeaweedFS S3 answering at {target} after {:.1} s", ready.as_secs_f64());

    // The example charms, as processes under the fake Juju, with the s3 relation's endpoint at it.
    let harness = tests_binary(root, "live-charms")?;
    let mut charms = Command::new(&harness);
    charms
        .arg("--dir")
        .arg(dir.join("juju"))
        .args(["--endpoint", &format!("http://{target}"), "--bucket", BUCKET])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]);
    if let Some((_, address)) = &worker_host {
        charms.args(["--address", address]);
    }
    let report = output(&mut charms).map_err(|err| server.failure(&format!("live-charms failed: {err:#}")))?;
    let report: Value = serde_json::from_str(&report).context("reading live-charms' report")?;
    let config_file = report["config_file"].as_str().context("live-charms named no config file")?;
    println!("worker {} (address {}) runs {} with {config_file}", report["unit"], report["address"], report["argv"]);
    if let Some((ns, address)) = &worker_host {
        if report["address"] != address.as_str() {
            bail!("all/0 published the address {}, not its host's ({address}, namespace {ns})", report["address"]);
        }
    }

    // The worker's config file, opened with Pyroscope's S3 client library, from the worker's host.
    let mut command = Command::new(&check);
    command.args(["-config", config_file, "-make-bucket"]);
    let said = output(&mut in_ns(&worker_host, command))
        .map_err(|err| server.failure(&format!("s3check on {config_file} failed: {err:#}")))?;
    print!("{said}");
    server.alive()?;
    // The server goes before its namespace.
    drop(server);
    drop(network);
    Ok(())
}

/// Whether `host:port` answers HTTP (`cargo xtask live --probe`, run inside a namespace).
pub fn probe(target: &str) -> bool {
    let Ok(address) = target.parse::<std::net::SocketAddr>() else {
        return false;
    };
    http_status(address).is_some()
}

/// Builds one binary of the `pyroscope-cluster-tests` package and gives its path.
fn tests_binary(root: &Path, name: &str) -> Result<PathBuf> {
    let messages = output(Command::new(cargo()).current_dir(root).args([
        "build",
        "-q",
        "-p",
        "pyroscope-cluster-tests",
        "--bins",
        "--message-format=json-render-diagnostics",
    ]))?;
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo build named no {name} executable"))
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

// ---------------------------------------------------------------------------------------------
// pebble

fn pebble(root: &Path) -> Result<()> {
    println!("== pebble: pebble run with a layer; a service started, seen active, stopped");
    let dir = scratch(root, "pebble")?;
    let pebble_dir = dir.join("pebble");
    std::fs::create_dir_all(pebble_dir.join("layers"))?;
    let layer =
        "summary: live\nservices:\n  sleeper:\n    override: replace\n    command: sleep 600\n    startup: enabled\n";
    std::fs::write(pebble_dir.join("layers/001-live.yaml"), layer)?;
    let bin = binary(root, Binary::Pebble)?;
    let version = output(Command::new(&bin).arg("version").arg("--client"))?;
    let mut command = Command::new(&bin);
    command.arg("run").env("PEBBLE", &pebble_dir);
    let mut daemon = Process::start(
        "pebble run",
        &pebble_dir.join("layers/001-live.yaml").display().to_string(),
        command,
        &dir.join("pebble.log"),
    )?;
    let client = |args: &[&str]| output(Command::new(&bin).args(args).env("PEBBLE", &pebble_dir));
    let ready = wait_ready(&mut daemon, Duration::from_secs(30), || {
        client(&["services", "sleeper"]).is_ok_and(|out| out.contains("active") && !out.contains("inactive"))
    })?;
    client(&["stop", "sleeper"]).map_err(|err| daemon.failure(&format!("pebble stop: {err:#}")))?;
    let services = client(&["services", "sleeper"]).map_err(|err| daemon.failure(&format!("{err:#}")))?;
    if !services.contains("inactive") {
        return Err(daemon.failure(&format!("sleeper not inactive after stop:\n{services}")));
    }
    println!("pebble {}: sleeper active after {:.1} s, then stopped", version.trim(), ready.as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_key_to_try_in_each_release() {
        for (release, _) in DECODERS {
            let kinds: Vec<KeyKind> = sample_keys(release).iter().map(|(_, kind)| *kind).collect();
            assert_eq!(kinds, KINDS, "{release}");
        }
    }

    #[test]
    fn a_key_path_becomes_nested_mappings() {
        assert_eq!(nested("compactor.deletion_delay", "0"), "compactor:\n  deletion_delay: 0\n");
        assert_eq!(nested("a.b.c", "[1h]"), "a:\n  b:\n    c: [1h]\n");
        let doc = nested("limits.compactor_blocks_retention_period", "1.5h");
        assert!(check_yaml(PyroscopeRelease::V1_18_2, &doc).is_err(), "the generated document is checked");
    }

    #[test]
    fn every_explained_value_is_generated() {
        for (value, kinds, _) in EXPLAINED {
            assert!(VALUES.contains(value), "{value}");
            assert!(kinds.iter().all(|kind| KINDS.contains(kind)), "{value}");
        }
    }

    #[test]
    fn the_decoders_are_the_releases_yaml_modules() {
        assert!(PyroscopeRelease::V1_18_2.takes_int_zero_for_go_duration());
        assert!(!PyroscopeRelease::V2_2_1.takes_int_zero_for_go_duration());
        assert_eq!(decoder_release(PyroscopeRelease::V2_0_6), PyroscopeRelease::V1_18_2);
        assert_eq!(decoder_release(PyroscopeRelease::V2_2_1), PyroscopeRelease::V2_2_1);
    }
}
