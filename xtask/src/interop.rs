//! `cargo xtask interop`: the real Python peer, live, against this workspace.
//!
//! 1. A virtual environment under `target/interop-venv`, made with `python3 -m venv` and filled
//!    from `tests/interop/requirements.txt` (coordinated-workers 4.1.4, ops 3.9.0 and what they
//!    pull in, every version pinned); it is reused while the file's hash ([`requirements_hash`])
//!    matches the one it was made from.
//! 2. The Python vectors: `crates/model/tests/python/gen_vectors.py` runs in the venv, and its
//!    output must equal `crates/model/tests/fixtures/python-vectors.json` ([`diff_vectors`] names
//!    the first vector that differs).
//! 3. The YAML emitter against PyYAML: [`emitter_cases`] writes configurations with hostile
//!    strings in every position through `yaml::to_string_pyyaml`; `tests/interop/pyyaml_check.py`
//!    loads each text with `yaml.safe_load` and dumps the result with `yaml.dump`;
//!    [`compare_emitter`] wants the same values and the same bytes.
//! 4. The speed harness, `tests/interop/speed.py`, runs once on 200 units against a debug build of
//!    the CLI: a smoke run that keeps it working (its timings are for a release build, by hand).
//! 5. Mixed clusters: the `interop-clusters` binary of `pyroscope-cluster-tests` runs the Rust
//!    example charms and the Python test charms of `tests/interop/` together under the fake Juju,
//!    both ways.
//!
//! The comparisons are plain functions, tested without Python (`xtask/tests/interop.rs`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The pinned requirements, relative to the workspace root.
pub const REQUIREMENTS: &str = "tests/interop/requirements.txt";
/// The committed vectors.
pub const VECTORS: &str = "crates/model/tests/fixtures/python-vectors.json";
/// Their generator.
pub const VECTORS_GENERATOR: &str = "crates/model/tests/python/gen_vectors.py";
/// How many generated configurations the emitter check writes (besides one per odd string and
/// position).
pub const CONFIGS: usize = 2_000;

const NEEDS: &str = "cargo xtask interop needs `python3` (3.8 or newer, with its `venv` module) on PATH, and \
                     network access to PyPI to install tests/interop/requirements.txt into target/interop-venv; \
                     `cargo test` needs neither";

/// Runs every step (without the mixed clusters unless `clusters`); prints what it checked.
pub fn run(root: &Path, clusters: bool) -> Result<()> {
    let start = Instant::now();
    let python = ensure_venv(root)?;
    let versions = output(Command::new(&python).args([
        "-c",
        "from importlib.metadata import version as v; import sys; \
             print(f\"Python {sys.version.split()[0]}, coordinated-workers {v('coordinated-workers')}, \
             ops {v('ops')}, cosl {v('cosl')}, pydantic {v('pydantic')}, PyYAML {v('PyYAML')}\")",
    ]))?;
    println!("== interop against {}", versions.trim());

    let scratch = root.join("target/interop");
    std::fs::create_dir_all(&scratch).context("creating target/interop")?;
    let fresh = scratch.join("python-vectors.json");
    output(Command::new(&python).arg(root.join(VECTORS_GENERATOR)).arg(&fresh))?;
    let committed = read(&root.join(VECTORS))?;
    let count =
        diff_vectors(&committed, &read(&fresh)?).map_err(|why| anyhow::anyhow!("{why}")).with_context(|| {
            format!(
                "{VECTORS} is not what the pinned coordinated-workers writes (regenerated into {})",
                fresh.display()
            )
        })?;
    println!(
        "== vectors: {VECTORS_GENERATOR} regenerated {count} vectors with the real library; identical to {VECTORS}"
    );

    let cases = emitter_cases(CONFIGS, 0x5eed);
    let cases_file = scratch.join("emitter-cases.json");
    let results_file = scratch.join("emitter-pyyaml.json");
    std::fs::write(&cases_file, serde_json::to_vec(&cases)?).context("writing the emitter cases")?;
    output(Command::new(&python).arg(root.join("tests/interop/pyyaml_check.py")).arg(&cases_file).arg(&results_file))?;
    let results: Vec<PyYamlResult> = serde_json::from_str(&read(&results_file)?).context("reading PyYAML's results")?;
    let checked = compare_emitter(&cases, &results).map_err(|why| anyhow::anyhow!("{why}"))?;
    println!(
        "== emitter: {checked} documents from yaml::to_string_pyyaml ({CONFIGS} generated configurations, and every \
         odd string as a document, key, value and list item): PyYAML loads each to the same value and \
         yaml.dump writes the same bytes"
    );

    let cli = cli_executable(root)?;
    let figures = output(
        Command::new(&python)
            .arg(root.join("tests/interop/speed.py"))
            .arg(&cli)
            .args(["--units", "200", "--rounds", "1", "--json"]),
    )?;
    let figures: Value = serde_json::from_str(&figures).context("reading speed.py's figures")?;
    if figures["units"] != 200 || !figures["ratio"].is_number() {
        bail!("speed.py printed no figures: {figures}");
    }
    println!(
        "== speed harness: tests/interop/speed.py ran both sides on 200 units (debug build, not a measurement: \
         Python {:.2} s, Rust {:.3} s)",
        figures["python_median_s"].as_f64().unwrap_or_default(),
        figures["rust_median_s"].as_f64().unwrap_or_default()
    );

    if !clusters {
        println!("== mixed clusters skipped (--no-clusters)");
        return Ok(());
    }
    println!("== mixed clusters through the fake Juju");
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["build", "-q", "-p", "pyroscope-cluster-tests", "--bins"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the charms and the fake Juju failed ({status})");
    }
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["run", "-q", "-p", "pyroscope-cluster-tests", "--bin", "interop-clusters", "--", "--python"])
        .arg(&python)
        .status()
        .context("running interop-clusters")?;
    if !status.success() {
        bail!("the mixed clusters failed ({status})");
    }
    println!("== interop passed in {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Builds the CLI (debug) and gives the path of its executable as cargo reports it, wherever the
/// target directory is (`CARGO_TARGET_DIR`, `build.target-dir`).
pub(crate) fn cli_executable(root: &Path) -> Result<PathBuf> {
    let messages = output(Command::new(cargo()).current_dir(root).args([
        "build",
        "-q",
        "-p",
        "pyroscope-cluster",
        "--bin",
        "pyroscope-cluster",
        "--message-format=json-render-diagnostics",
    ]))?;
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "pyroscope-cluster")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .context("cargo build named no pyroscope-cluster executable")
}

/// Runs `command`; its standard output, or an error with its standard error.
fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command.output().with_context(|| format!("running {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed ({}):\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// FNV-1a (64 bits) of the requirements, in hex: the venv's key.
pub fn requirements_hash(text: &str) -> String {
    let hash = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3));
    format!("{hash:016x}")
}

/// The venv's python, made (or remade) from [`REQUIREMENTS`] unless the one there was made from
/// the same file.
pub fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/interop-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.hash");
    let hash = requirements_hash(&read(&root.join(REQUIREMENTS))?);
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(hash.as_str()) {
        println!("== venv {} (reused: made from this {REQUIREMENTS})", venv.display());
        return Ok(python);
    }
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => bail!("{NEEDS}: no working python3 found"),
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("removing the stale {}", venv.display()))?;
    }
    println!("== venv {}: python3 -m venv, then pip install -r {REQUIREMENTS}", venv.display());
    output(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(NEEDS)?;
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r"])
        .arg(root.join(REQUIREMENTS))
        .status()
        .context("running pip")?;
    if !status.success() {
        bail!("pip install -r {REQUIREMENTS} failed ({status}); {NEEDS}");
    }
    std::fs::write(&stamp, &hash).context("writing the venv's stamp")?;
    Ok(python)
}

/// Compares the committed vectors with freshly generated ones: how many vectors there are, or the
/// first difference, named (`encode[3]`, its kind and value or databag).
pub fn diff_vectors(committed: &str, fresh: &str) -> Result<usize, String> {
    let parse = |text: &str, which: &str| -> Result<Map<String, Value>, String> {
        serde_json::from_str(text).map_err(|err| format!("the {which} vectors are not a JSON object: {err}"))
    };
    let (old, new) = (parse(committed, "committed")?, parse(fresh, "regenerated")?);
    let mut count = 0;
    for key in old.keys().chain(new.keys().filter(|key| !old.contains_key(*key))) {
        match (old.get(key), new.get(key)) {
            (Some(Value::Array(old)), Some(Value::Array(new))) => {
                for i in 0..old.len().max(new.len()) {
                    if old.get(i) != new.get(i) {
                        let vector = old.get(i).or(new.get(i)).unwrap_or(&Value::Null);
                        return Err(format!(
                            "vector {key}[{i}] ({}) differs:\n  committed:   {}\n  regenerated: {}",
                            name(vector),
                            show(old.get(i)),
                            show(new.get(i))
                        ));
                    }
                }
                count += old.len();
            }
            (old, new) if old != new => {
                return Err(format!("`{key}` differs:\n  committed:   {}\n  regenerated: {}", show(old), show(new)));
            }
            _ => {}
        }
    }
    if committed != fresh {
        return Err("the vectors are the same but the file's bytes differ (layout): regenerate it".into());
    }
    Ok(count)
}

fn name(vector: &Value) -> String {
    let kind = vector["databag_kind"].as_str().unwrap_or("?");
    match vector.get("value") {
        Some(value) => format!("{kind}, value {value}"),
        None => format!("{kind}, databag {}", vector["databag"]),
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(none)".into(), Value::to_string)
}

/// One emitter case: a value and what `yaml::to_string_pyyaml` wrote for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmitterCase {
    /// The value.
    pub value: Value,
    /// Our text.
    pub yaml: String,
}

/// What PyYAML made of one case: `yaml.safe_load(case.yaml)` (what JSON cannot carry is
/// `{"$python": ...}`) and `yaml.dump` of that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PyYamlResult {
    /// The value PyYAML read.
    pub loaded: Value,
    /// `yaml.dump(loaded)`.
    pub dumped: String,
}

/// The strings YAML 1.1 readers and writers trip on.
pub const ODD: &[&str] = &[
    "",
    " ",
    "a",
    " a",
    "a ",
    "  a  ",
    "-",
    "---",
    "...",
    "- a",
    "-a",
    "?",
    "? a",
    ":",
    "a:",
    "a: b",
    "a:b",
    "#",
    "a #b",
    "a#b",
    ",",
    "[x]",
    "{y}",
    "&a",
    "*a",
    "!a",
    "|",
    ">",
    "'",
    "it's",
    "\"",
    "%pct",
    "@at",
    "`tick",
    "=",
    "<<",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "True",
    "FALSE",
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "0",
    "00",
    "07",
    "08",
    "0123",
    "0o17",
    "0x1F",
    "0b101",
    "+1",
    "-1",
    "1_000",
    "1__0",
    "1e3",
    "1.0e+3",
    "1.5",
    ".5",
    "5.",
    ".",
    ".inf",
    "-.inf",
    "+.Inf",
    ".NaN",
    ".nan",
    "1:30",
    "190:20:30",
    "2001-12-14",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2002-1-1",
    "12:30:45",
    "30d",
    "1h30m",
    "0s",
    "a\\b",
    "a\tb",
    "a\nb",
    "a\n",
    "\n",
    "a\rb",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{fc}mlaut",
    "\u{e9}",
    "\u{65e5}\u{672c}",
    "\u{2028}",
    "\u{feff}",
    "\u{1F600}",
    "\u{fffd}",
    "fd00::1",
    "[fd00::1]:7946",
    "10.0.0.1:7946",
    "http://minio:9000",
    "/cos-pyroscope",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "trail ",
    " lead",
    "a - b",
    "x: ",
    "x:  y",
];

const ALPHABET: &[&str] = &[
    "a",
    "b",
    "x",
    "0",
    "1",
    "9",
    " ",
    "-",
    "_",
    ":",
    "#",
    ",",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    "&",
    "*",
    "!",
    "|",
    ">",
    "%",
    "@",
    "`",
    "?",
    "=",
    "~",
    ".",
    "+",
    "\\",
    "/",
    "\t",
    "\n",
    "\u{e9}",
    "\u{85}",
    "\u{2028}",
    "\u{65e5}",
    "\u{1}",
    "yes",
    "on",
    "NO",
    "0o17",
    "1_000",
    ".inf",
    "2001-12-14",
    "12:30",
    "<<",
];

/// A small deterministic generator (SplitMix64): the same cases on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn string(&mut self) -> String {
        match self.below(10) {
            0..=3 => ODD[self.below(ODD.len())].to_owned(),
            4 => {
                // A long line, folded by PyYAML past the 80th column.
                let words = 10 + self.below(30);
                (0..words)
                    .map(|_| ["a", "bb", "it's", "\u{e9}", "x\"y", "longword", "  ", "12"][self.below(8)])
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => (0..self.below(12)).map(|_| ALPHABET[self.below(ALPHABET.len())]).collect(),
        }
    }

    /// A string for a mapping key, drawn as for values, and now and then long enough (123
    /// characters and more) that PyYAML writes it as an explicit `? key` (`yaml/emitter.py`,
    /// `check_simple_key`: the key's length plus its tag's, `!!str`, under 128).
    fn key(&mut self) -> String {
        match self.below(16) {
            0 => {
                let length = 118 + self.below(12);
                (0..length).map(|i| if i % 9 == 8 { " " } else { ALPHABET[self.below(ALPHABET.len())] }).collect()
            }
            _ => self.string(),
        }
    }

    fn scalar(&mut self) -> Value {
        match self.below(12) {
            0 => json!(self.below(70_000)),
            1 => json!(-i64::try_from(self.below(1_000)).unwrap_or(0)),
            2 => json!(self.below(2) == 0),
            3 => Value::Null,
            _ => Value::String(self.string()),
        }
    }
}

/// A Pyroscope-shaped configuration with hostile strings in every position: keys, values at
/// several depths, list items.
fn config(rng: &mut Rng) -> Value {
    let members: Vec<Value> = (0..rng.below(4)).map(|_| Value::String(rng.string())).collect();
    let mut extra = Map::new();
    for _ in 0..rng.below(4) {
        extra.insert(rng.key(), rng.scalar());
    }
    let mut deep = Map::new();
    deep.insert(rng.key(), json!({ rng.key(): { rng.key(): rng.scalar() } }));
    json!({
        "memberlist": { "bind_port": 7946, "join_members": members },
        "server": { "http_listen_port": 4040, "http_path_prefix": rng.string() },
        "storage": { "backend": "s3", "s3": {
            "bucket_name": rng.string(), "endpoint": rng.string(), "secret_access_key": rng.string(),
            "insecure": rng.below(2) == 0 } },
        "compactor": { "blocks_retention_period": rng.string() },
        "extra": Value::Object(extra),
        "deep": Value::Object(deep),
        "list": (0..rng.below(5)).map(|_| rng.scalar()).collect::<Vec<_>>(),
    })
}

/// The cases: every [`ODD`] string as a document, a key, a value and a list item, then `configs`
/// generated configurations.
pub fn emitter_cases(configs: usize, seed: u64) -> Vec<EmitterCase> {
    let mut values = Vec::new();
    for s in ODD {
        values.push(json!(s));
        values.push(json!({ *s: 1 }));
        values.push(json!({ "k": { "secret_access_key": s } }));
        values.push(json!({ "join_members": [s, "x"] }));
    }
    let mut rng = Rng(seed);
    values.extend((0..configs).map(|_| config(&mut rng)));
    values
        .into_iter()
        .map(|value| {
            let yaml = pyroscope_cluster_model::yaml::to_string_pyyaml(&value)
                .unwrap_or_else(|err| format!("(to_string_pyyaml failed: {err})"));
            EmitterCase { value, yaml }
        })
        .collect()
}

/// How many cases PyYAML read back to their value and dumped to our bytes; or the first that it
/// did not, with its text, PyYAML's, and where they part.
pub fn compare_emitter(cases: &[EmitterCase], results: &[PyYamlResult]) -> Result<usize, String> {
    if cases.len() != results.len() {
        return Err(format!("{} cases but {} results from PyYAML", cases.len(), results.len()));
    }
    for (i, (case, result)) in cases.iter().zip(results).enumerate() {
        if result.loaded != case.value {
            return Err(format!(
                "emitter case {i}: PyYAML reads our text as another value\n  value:  {}\n  ours:   {:?}\n  PyYAML read: {}",
                case.value, case.yaml, result.loaded
            ));
        }
        if result.dumped != case.yaml {
            let at = case.yaml.bytes().zip(result.dumped.bytes()).take_while(|(a, b)| a == b).count();
            let mut message = format!("emitter case {i}: yaml.dump writes other bytes (from byte {at})\n");
            let _ =
                write!(message, "  value:  {}\n  ours:   {:?}\n  PyYAML: {:?}", case.value, case.yaml, result.dumped);
            return Err(message);
        }
    }
    Ok(cases.len())
}
