//! `cargo xtask interop`: the real Python peers, live, against this workspace.
//!
//! Every step runs against each peer of [`PEERS`], in turn: coordinated-workers 4.1.4 (the newest)
//! and 4.0.1 with the versions Canonical's charms lock (canonical/pyroscope-operators 4cf2294,
//! `coordinator/uv.lock` and `worker/uv.lock`: cosl 1.9.1, ops 3.7.1, pydantic 2.13.4, PyYAML 6.0.3).
//!
//! 1. A virtual environment per peer under `target/` ([`Peer::venv`]), made with
//!    `python3 -m venv` and filled from the peer's pinned requirements (every version pinned); it
//!    is reused while the file's hash ([`requirements_hash`]) matches the one it was made from.
//! 2. The Python vectors: `crates/model/tests/python/gen_vectors.py` runs in the venv, and its
//!    output must equal `crates/model/tests/fixtures/python-vectors.json` ([`diff_vectors`] names
//!    the first vector that differs), written by [`VECTORS_PEER`]; another peer's output must
//!    equal it but for the line naming the library ([`other_peer_vectors`]).
//! 3. The YAML emitter against the peer's PyYAML: [`emitter_cases`] writes configurations with
//!    hostile strings in every position through `yaml::to_string_pyyaml`;
//!    `tests/interop/pyyaml_check.py` loads each text with `yaml.safe_load` and dumps the result
//!    with `yaml.dump`; [`compare_emitter`] wants the same values and the same bytes.
//! 4. The speed harness, `tests/interop/speed.py`, runs once on 200 units against a debug build of
//!    the CLI: a smoke run that keeps it working (its timings are for a release build, by hand).
//! 5. Where the peers write otherwise: `tests/interop/peer_cases.py` writes, with the library's own
//!    classes, an unsorted role list, a private key's secret ID without certificates, and Loki
//!    endpoints in two key orders; the output must be the committed `tests/interop/peers/<version>.json`
//!    (so the difference between the peers is recorded there), and this workspace's CLI must read
//!    each as the same cluster ([`check_peer_cases`]).
//! 6. Mixed clusters: the `interop-clusters` binary of `pyroscope-cluster-tests` runs the Rust
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

/// The pinned requirements of the newest peer (4.1.4), relative to the workspace root.
pub const REQUIREMENTS: &str = "tests/interop/requirements.txt";
/// The committed vectors.
pub const VECTORS: &str = "crates/model/tests/fixtures/python-vectors.json";
/// Their generator.
pub const VECTORS_GENERATOR: &str = "crates/model/tests/python/gen_vectors.py";
/// The generator of the cases where the peers differ.
pub const PEER_CASES: &str = "tests/interop/peer_cases.py";
/// How many generated configurations the emitter check writes (besides one per odd string and
/// position).
pub const CONFIGS: usize = 2_000;

/// A Python peer: a coordinated-workers release and everything it pulls in, pinned, in a venv of
/// its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// coordinated-workers' version.
    pub version: &'static str,
    /// Its pinned requirements, relative to the workspace root.
    pub requirements: &'static str,
    /// Its venv, relative to the workspace root.
    pub venv: &'static str,
    /// Why it is checked.
    pub why: &'static str,
}

impl Peer {
    /// The committed output of [`PEER_CASES`] for this peer.
    pub fn cases_file(&self) -> String {
        format!("tests/interop/peers/{}.json", self.version)
    }
}

/// Every peer `cargo xtask interop` checks against, the one that wrote the committed vectors
/// first.
pub const PEERS: [Peer; 2] = [
    Peer { version: "4.1.4", requirements: REQUIREMENTS, venv: "target/interop-venv", why: "the newest release" },
    Peer {
        version: "4.0.1",
        requirements: "tests/interop/requirements-4.0.1.txt",
        venv: "target/interop-venv-4.0.1",
        why: "what the Canonical charms lock (canonical/pyroscope-operators 4cf2294, coordinator/uv.lock and \
              worker/uv.lock)",
    },
];

/// The peer whose output the committed vectors are (their `library` line names it).
pub const VECTORS_PEER: &str = "4.1.4";

const NEEDS: &str = "cargo xtask interop needs `python3` (3.8 or newer, with its `venv` module) on PATH, and \
                     network access to PyPI to install each peer's pinned requirements \
                     (tests/interop/requirements*.txt) into a venv under target/; `cargo test` needs neither";

/// Runs every step against every peer (without the mixed clusters unless `clusters`); prints what
/// it checked, and what the peers write otherwise.
pub fn run(root: &Path, clusters: bool) -> Result<()> {
    let start = Instant::now();
    let cli = cli_executable(root)?;
    if clusters {
        let status = Command::new(cargo())
            .current_dir(root)
            .args(["build", "-q", "-p", "pyroscope-cluster-tests", "--bins"])
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("building the charms and the fake Juju failed ({status})");
        }
    }
    for peer in &PEERS {
        run_peer(root, peer, &cli, clusters)
            .with_context(|| format!("against coordinated-workers {}", peer.version))?;
    }
    let [newest, locked] = &PEERS;
    let differences = peer_differences(
        (locked.version, &read(&root.join(locked.cases_file()))?),
        (newest.version, &read(&root.join(newest.cases_file()))?),
    )
    .map_err(|why| anyhow::anyhow!("{why}"))?;
    println!(
        "== where coordinated-workers {} and {} write otherwise (tests/interop/peers/): {}",
        locked.version,
        newest.version,
        if differences.is_empty() { "nowhere".to_owned() } else { differences.join("; ") }
    );
    println!(
        "== interop passed against coordinated-workers {} in {:.0} s",
        PEERS.iter().map(|peer| peer.version).collect::<Vec<_>>().join(" and "),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run_peer(root: &Path, peer: &Peer, cli: &Path, clusters: bool) -> Result<()> {
    let python = ensure_venv(root, peer)?;
    let versions = output(Command::new(&python).args([
        "-c",
        "from importlib.metadata import version as v; import sys; \
             print(f\"Python {sys.version.split()[0]}, coordinated-workers {v('coordinated-workers')}, \
             ops {v('ops')}, cosl {v('cosl')}, pydantic {v('pydantic')}, PyYAML {v('PyYAML')}\")",
    ]))?;
    println!("== interop against {} ({})", versions.trim(), peer.why);

    let scratch = root.join("target/interop").join(peer.version);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let fresh = scratch.join("python-vectors.json");
    output(Command::new(&python).arg(root.join(VECTORS_GENERATOR)).arg(&fresh))?;
    let committed = read(&root.join(VECTORS))?;
    let fresh_text = read(&fresh)?;
    let (compared, note) = if peer.version == VECTORS_PEER {
        (fresh_text, String::new())
    } else {
        let (text, library) = other_peer_vectors(&committed, &fresh_text).map_err(|why| anyhow::anyhow!("{why}"))?;
        (text, format!(" but for the library it names ({library})"))
    };
    let count = diff_vectors(&committed, &compared).map_err(|why| anyhow::anyhow!("{why}")).with_context(|| {
        format!(
            "{VECTORS} is not what coordinated-workers {} writes (regenerated into {})",
            peer.version,
            fresh.display()
        )
    })?;
    println!(
        "== vectors: {VECTORS_GENERATOR} regenerated {count} vectors with the real library; \
         identical to {VECTORS}{note}"
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

    let figures = output(
        Command::new(&python)
            .arg(root.join("tests/interop/speed.py"))
            .arg(cli)
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

    let fresh = scratch.join("peer-cases.json");
    output(Command::new(&python).arg(root.join(PEER_CASES)).arg(&fresh))?;
    let fresh_text = read(&fresh)?;
    let committed_file = peer.cases_file();
    let committed = read(&root.join(&committed_file)).with_context(|| {
        format!("no committed cases for this peer: review {} and copy it to {committed_file}", fresh.display())
    })?;
    if committed != fresh_text {
        bail!(
            "{PEER_CASES} writes otherwise than {committed_file} with coordinated-workers {} (regenerated into {}): \
             review the difference, and commit it if the peer changed",
            peer.version,
            fresh.display()
        );
    }
    let cases: Value = serde_json::from_str(&fresh_text).context("reading the peer cases")?;
    for line in check_peer_cases(&|args, input| run_cli(cli, &scratch, args, input), &cases)
        .map_err(|why| anyhow::anyhow!("{why}"))?
    {
        println!("== {line}");
    }

    if !clusters {
        println!("== mixed clusters skipped (--no-clusters)");
        return Ok(());
    }
    println!("== mixed clusters through the fake Juju");
    let status = Command::new(cargo())
        .current_dir(root)
        .args(["run", "-q", "-p", "pyroscope-cluster-tests", "--bin", "interop-clusters", "--", "--python"])
        .arg(&python)
        .status()
        .context("running interop-clusters")?;
    if !status.success() {
        bail!("the mixed clusters failed ({status})");
    }
    Ok(())
}

/// Runs the CLI with `args` and `input` (a file of the scratch directory) as its last argument;
/// its standard output parsed as JSON, or why not.
fn run_cli(cli: &Path, scratch: &Path, args: &[&str], input: &Value) -> Result<Value, String> {
    let file = scratch.join("cli-input.json");
    std::fs::write(&file, input.to_string()).map_err(|err| format!("writing {}: {err}", file.display()))?;
    let mut command = Command::new(cli);
    command.args(args).arg(&file);
    let text = output(&mut command).map_err(|err| format!("{err:#}"))?;
    serde_json::from_str(&text).map_err(|err| format!("pyroscope-cluster {} printed no JSON: {err}", args.join(" ")))
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

/// The peer's venv python, made (or remade) from its requirements unless the one there was made
/// from the same file.
pub fn ensure_venv(root: &Path, peer: &Peer) -> Result<PathBuf> {
    let venv = root.join(peer.venv);
    let python = venv.join("bin/python");
    let stamp = venv.join("requirements.hash");
    let requirements = peer.requirements;
    let hash = requirements_hash(&read(&root.join(requirements))?);
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(hash.as_str()) {
        println!("== venv {} (reused: made from this {requirements})", venv.display());
        return Ok(python);
    }
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => bail!("{NEEDS}: no working python3 found"),
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("removing the stale {}", venv.display()))?;
    }
    println!("== venv {}: python3 -m venv, then pip install -r {requirements}", venv.display());
    output(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(NEEDS)?;
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r"])
        .arg(root.join(requirements))
        .status()
        .context("running pip")?;
    if !status.success() {
        bail!("pip install -r {requirements} failed ({status}); {NEEDS}");
    }
    std::fs::write(&stamp, &hash).context("writing the venv's stamp")?;
    Ok(python)
}

/// Another peer's vectors made comparable with the committed ones: its text with its `"library"`
/// line replaced by the committed one, and the library it names. Any other difference is left for
/// [`diff_vectors`] to name.
pub fn other_peer_vectors(committed: &str, fresh: &str) -> Result<(String, String), String> {
    fn library_line(text: &str, which: &str) -> Result<String, String> {
        let mut lines = text.lines().filter(|line| line.trim_start().starts_with("\"library\":"));
        match (lines.next(), lines.next()) {
            (Some(line), None) => Ok(line.to_owned()),
            _ => Err(format!("the {which} vectors have no single `\"library\"` line")),
        }
    }
    let (ours, theirs) = (library_line(committed, "committed")?, library_line(fresh, "regenerated")?);
    let library: Value = serde_json::from_str(&format!("{{{}}}", theirs.trim().trim_end_matches(',')))
        .map_err(|err| format!("the regenerated vectors' library line is not JSON: {err}"))?;
    let library = library["library"].as_str().unwrap_or_default().to_owned();
    Ok((fresh.replacen(&theirs, &ours, 1), library))
}

/// What two peers' committed cases ([`PEER_CASES`]) differ in, by JSON path, each peer's value
/// named (`roles.requirer_app.role: "\"querier,ingester,all\"" (4.0.1), "\"all,ingester,querier\""
/// (4.1.4)`); the `library` line aside.
pub fn peer_differences(one: (&str, &str), other: (&str, &str)) -> Result<Vec<String>, String> {
    fn walk(path: &str, a: &Value, b: &Value, names: (&str, &str), out: &mut Vec<String>) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for key in a.keys().chain(b.keys().filter(|key| !a.contains_key(*key))) {
                    let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    walk(&path, a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null), names, out);
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (a, b)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), a, b, names, out);
                }
            }
            _ if a != b && path != "library" => out.push(format!("{path}: {a} ({}), {b} ({})", names.0, names.1)),
            _ => {}
        }
    }
    let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(|err| format!("peer cases: {err}"));
    let mut out = Vec::new();
    walk("", &parse(one.1)?, &parse(other.1)?, (one.0, other.0), &mut out);
    Ok(out)
}

/// Runs the CLI: `(args, input)` to its JSON output.
pub type Cli<'a> = dyn Fn(&[&str], &Value) -> Result<Value, String> + 'a;

/// Checks that this workspace reads what a peer wrote in [`PEER_CASES`] as it reads the other
/// peer's: the coordinator (`reconcile`) sees the unsorted role list as the sorted one; the worker
/// (`worker`) runs with a private key's ID and no certificates as without it, and does not rewrite
/// or restart; it reads Loki endpoints in either key order alike. Returns what it checked.
pub fn check_peer_cases(cli: &Cli<'_>, cases: &Value) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let library = cases["library"].as_str().unwrap_or("?");

    // The role list, as the peer wrote it and sorted.
    let given = cases["roles"]["requirer_app"]["role"].as_str().ok_or("peer cases: no roles.requirer_app.role")?;
    let roles: Vec<String> = serde_json::from_str::<String>(given)
        .map_err(|err| format!("peer cases: the role value {given:?} is not a JSON string: {err}"))?
        .split(',')
        .map(str::to_owned)
        .collect();
    let mut sorted = roles.clone();
    sorted.sort();
    let sorted_value = Value::String(sorted.join(",")).to_string();
    let as_given = cli(&["reconcile"], &reconcile_input(given))?;
    let as_sorted = cli(&["reconcile"], &reconcile_input(&sorted_value))?;
    if as_given["publish"].get("7").is_none() || as_given["not_ready"] != json!({}) {
        return Err(format!(
            "reconcile does not publish to a worker app with the role {given} as {library} writes it: {}",
            as_given["not_ready"]
        ));
    }
    if as_given != as_sorted {
        return Err(format!("reconcile reads the role {given} ({library}) otherwise than {sorted_value}"));
    }
    done.push(format!(
        "roles: {library} writes `role: {given}` for {}; reconcile reads it as {sorted_value}, the same output",
        cases["roles"]["given"]
    ));

    // A private key's secret ID without certificates.
    let address = "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local";
    let worker = |data: &Value, current: Option<&str>| -> Result<Value, String> {
        let mut args = vec!["worker", "--address", address];
        let path;
        if let Some(text) = current {
            path = std::env::temp_dir().join(format!("pyroscope-interop-current-{}.yaml", std::process::id()));
            std::fs::write(&path, text).map_err(|err| format!("writing {}: {err}", path.display()))?;
            args.extend(["--current", path.to_str().unwrap_or_default()]);
            let out = cli(&args, data);
            let _ = std::fs::remove_file(&path);
            return out;
        }
        cli(&args, data)
    };
    let with_key = &cases["privkey_without_certificates"];
    let without = &cases["without_privkey"];
    if with_key.get("privkey_secret_id").is_none() || with_key.get("ca_cert").is_some() {
        return Err("peer cases: privkey_without_certificates is not a key without certificates".into());
    }
    let (keyed, plain) = (worker(with_key, None)?, worker(without, None)?);
    if keyed["state"] != "ready" {
        return Err(format!(
            "the worker does not run with a private key's ID and no certificates ({library}): {} {}",
            keyed["state"], keyed["problems"]
        ));
    }
    for field in ["command", "config_file", "ports"] {
        if keyed[field] != plain[field] {
            return Err(format!("with a private key's ID and no certificates, the worker's {field} changes"));
        }
    }
    let content = plain["config_file"]["content"].as_str().ok_or("worker printed no config_file.content")?;
    let change = &worker(with_key, Some(content))?["change"];
    if change["write"] != false || change["restart"] != false {
        return Err(format!("a private key's ID without certificates makes the worker rewrite or restart: {change}"));
    }
    done.push(format!(
        "privkey_secret_id without certificates ({library}): the worker runs as without it, and neither rewrites nor \
         restarts ({})",
        change["reason"]
    ));

    // Loki endpoints in two key orders.
    let [first, second] = cases["loki_endpoints"].as_array().map(Vec::as_slice).unwrap_or_default() else {
        return Err("peer cases: loki_endpoints is not two databags".into());
    };
    if first["loki_endpoints"] == second["loki_endpoints"] {
        return Err("peer cases: the two loki_endpoints databags are the same bytes".into());
    }
    let (one, two) = (worker(first, None)?, worker(second, None)?);
    if one["state"] != "ready" || one != two {
        return Err(format!("the worker reads loki_endpoints in another key order otherwise ({library})"));
    }
    let content = one["config_file"]["content"].as_str().ok_or("worker printed no config_file.content")?;
    let change = &worker(second, Some(content))?["change"];
    if change["write"] != false || change["restart"] != false {
        return Err(format!("loki_endpoints in another key order makes the worker rewrite or restart: {change}"));
    }
    let decoded: Vec<Value> =
        [first, second].into_iter().map(|data| cli(&["decode", "provider-app"], data)).collect::<Result<_, _>>()?;
    if decoded[0] != decoded[1] {
        return Err(format!("decode reads loki_endpoints in another key order as another value ({library})"));
    }
    done.push(format!(
        "loki_endpoints in two key orders ({library}): decoded alike, the worker runs alike and does not restart"
    ));
    Ok(done)
}

/// A reconcile input: S3 settings, and one worker app (relation 7) of one unit whose app
/// databag's `role` is `role`, raw.
fn reconcile_input(role: &str) -> Value {
    json!({
        "settings": {"s3": {"endpoint": "minio.cos.svc.cluster.local:9000", "bucket_name": "pyroscope",
                            "access_key_id": "pyroscope", "secret_access_key": "not-a-secret", "insecure": true}},
        "relations": [{
            "id": "pyroscope-cluster:7",
            "app": "pyroscope-worker",
            "app_data": {"role": role},
            "units": {"pyroscope-worker/0": {
                "juju_topology": "{\"application\": \"pyroscope-worker\", \"unit\": \"pyroscope-worker/0\", \
                                  \"charm_name\": \"pyroscope-worker-k8s\"}",
                "address": "\"pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local\"",
            }},
        }],
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    const NEWEST: &str = include_str!("../../tests/interop/peers/4.1.4.json");
    const LOCKED: &str = include_str!("../../tests/interop/peers/4.0.1.json");

    #[test]
    fn the_recorded_difference_between_the_peers_is_the_role_order() {
        let differences = peer_differences(("4.0.1", LOCKED), ("4.1.4", NEWEST)).unwrap();
        assert_eq!(
            differences,
            [r#"roles.requirer_app.role: "\"querier,ingester,all\"" (4.0.1), "\"all,ingester,querier\"" (4.1.4)"#]
        );
        assert_eq!(peer_differences(("a", NEWEST), ("b", NEWEST)).unwrap(), Vec::<String>::new());
        let changed = NEWEST.replace(r#""worker_ports": "[7946, 4040]""#, r#""worker_ports": "[4040, 7946]""#);
        assert_eq!(peer_differences(("a", NEWEST), ("b", &changed)).unwrap().len(), 4, "every databag that has it");
        assert!(peer_differences(("a", "{"), ("b", NEWEST)).is_err());
    }

    #[test]
    fn another_peers_vectors_differ_only_in_their_library_line() {
        let committed =
            "{\n \"generated_by\": \"x\",\n \"library\": \"coordinated-workers 4.1.4\",\n \"encode\": []\n}\n";
        let fresh = committed.replace("4.1.4", "4.0.1");
        let (text, library) = other_peer_vectors(committed, &fresh).unwrap();
        assert_eq!((text.as_str(), library.as_str()), (committed, "coordinated-workers 4.0.1"));
        // Anything else is still a difference for diff_vectors to name.
        let (text, _) = other_peer_vectors(committed, &fresh.replace("[]", "[1]")).unwrap();
        assert!(diff_vectors(committed, &text).is_err());
        assert!(other_peer_vectors(committed, "{}").unwrap_err().contains("regenerated"));
    }

    /// A stand-in for the CLI: the coordinator reads roles as a set unless `ordered_roles`; the
    /// worker restarts on a private key's ID when `restart_on_key`.
    fn fake_cli(ordered_roles: bool, restart_on_key: bool) -> impl Fn(&[&str], &Value) -> Result<Value, String> {
        move |args, input| match args[0] {
            "reconcile" => {
                let raw = input["relations"][0]["app_data"]["role"].as_str().unwrap();
                let text: String = serde_json::from_str(raw).unwrap();
                let mut roles: Vec<&str> = text.split(',').collect();
                if !ordered_roles {
                    roles.sort_unstable();
                }
                Ok(json!({"publish": {"7": {"roles": roles}}, "not_ready": {}}))
            }
            "worker" => {
                let mut out = json!({"state": "ready", "command": ["pyroscope"], "config_file": {"content": "a: 1\n"},
                                     "ports": null});
                if args.contains(&"--current") {
                    let restart = restart_on_key && input.get("privkey_secret_id").is_some();
                    out["change"] = json!({"write": false, "restart": restart, "reason": "configuration unchanged"});
                }
                Ok(out)
            }
            "decode" => {
                let loki: Value = serde_json::from_str(input["loki_endpoints"].as_str().unwrap()).unwrap();
                Ok(json!({ "loki_endpoints": loki }))
            }
            other => Err(format!("no verb {other}")),
        }
    }

    #[test]
    fn peer_cases_are_checked_through_the_cli() {
        for committed in [LOCKED, NEWEST] {
            let cases: Value = serde_json::from_str(committed).unwrap();
            let done = check_peer_cases(&fake_cli(false, false), &cases).unwrap();
            assert_eq!(done.len(), 3, "{done:?}");
            assert!(done[0].contains("reconcile reads it as \"all,ingester,querier\""), "{}", done[0]);
        }
        let locked: Value = serde_json::from_str(LOCKED).unwrap();
        let why = check_peer_cases(&fake_cli(true, false), &locked).unwrap_err();
        assert!(why.starts_with("reconcile reads the role \"querier,ingester,all\""), "{why}");
        // 4.1.4 writes them sorted: a reader that keeps the order sees no difference there.
        assert!(check_peer_cases(&fake_cli(true, false), &serde_json::from_str(NEWEST).unwrap()).is_ok());
        let why = check_peer_cases(&fake_cli(false, true), &locked).unwrap_err();
        assert!(
            why.starts_with("a private key's ID without certificates makes the worker rewrite or restart"),
            "{why}"
        );
        let mut same_order = locked.clone();
        same_order["loki_endpoints"][1] = same_order["loki_endpoints"][0].clone();
        let why = check_peer_cases(&fake_cli(false, false), &same_order).unwrap_err();
        assert!(why.contains("the same bytes"), "{why}");
    }
}
