//! The `pyroscope-cluster` binary run on the examples and on bad input: exit codes, stdout and
//! stderr. Outputs that a reviewer should read are insta snapshots.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the binary in the workspace root with `args`, `stdin` on standard input.
fn run(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pyroscope-cluster"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A verb that fails before reading closes its end: a broken pipe here is fine.
    let _ = child.stdin.take().expect("piped").write_all(stdin);
    let output = child.wait_with_output().expect("the binary exits");
    Run {
        code: output.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

#[track_caller]
fn check(args: &[&str], stdin: &str, code: i32, stderr_contains: &str) -> Run {
    let out = run(args, stdin.as_bytes());
    assert_eq!(out.code, code, "{args:?}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stderr.contains(stderr_contains), "{args:?}: stderr {:?} lacks {stderr_contains:?}", out.stderr);
    out
}

#[test]
fn every_verb_has_help() {
    for verb in [&[][..], &["decode"], &["encode"], &["reconcile"], &["worker"], &["validate"], &["schema"]] {
        let mut args = verb.to_vec();
        args.push("--help");
        let out = check(&args, "", 0, "");
        assert!(out.stdout.contains("Usage: pyroscope-cluster"), "{args:?}: {}", out.stdout);
    }
}

#[test]
fn decode_and_encode_round_trip_what_python_wrote() {
    let vectors: Value =
        serde_json::from_str(include_str!("../../model/tests/fixtures/python-vectors.json")).expect("fixture");
    for vector in vectors["encode"].as_array().expect("encode vectors") {
        let kind = vector["databag_kind"].as_str().expect("kind");
        let databag = serde_json::to_string(&vector["databag"]).expect("JSON");
        let decoded = check(&["decode", kind, "--show-secrets"], &databag, 0, "");
        let encoded = check(&["encode", kind, "-"], &decoded.stdout, 0, "");
        let back: Value = serde_json::from_str(&encoded.stdout).expect("encode prints JSON");
        assert_eq!(back, vector["databag"], "decode | encode must give back what Python wrote");
    }
}

#[test]
fn decode_keeps_values_as_sent_and_drops_unknown_keys() {
    let databag = r#"{"role": "\"querier,all\"", "ingress-address": "10.0.0.1"}"#;
    insta::assert_snapshot!(check(&["decode", "requirer-app"], databag, 0, "").stdout, @r#"
    {
      "role": "querier,all"
    }
    "#);
    let databag = r#"{"worker_config": "\"a: 1\"", "worker_ports": "[7946, 4040]", "loki_endpoints": "{\"z\": \"1\", \"a\": \"2\"}", "ca_cert": "null"}"#;
    insta::assert_snapshot!(check(&["decode", "provider-app"], databag, 0, "").stdout, @r#"
    {
      "worker_config": "a: 1",
      "loki_endpoints": {"z": "1", "a": "2"},
      "worker_ports": [7946, 4040]
    }
    "#);
}

#[test]
fn reconcile_the_recommended_cluster() {
    let out = check(&["reconcile", "examples/reconcile-recommended.yaml", "--format", "text"], "", 0, "");
    insta::assert_snapshot!("reconcile_recommended_text", out.stdout);

    let out = check(&["reconcile", "examples/reconcile-recommended.yaml"], "", 0, "");
    let mut json: Value = serde_json::from_str(&out.stdout).expect("JSON output");
    let publish = json["publish"].as_object().expect("publish").clone();
    assert_eq!(publish.len(), 9);
    let first = publish.values().next().expect("one");
    assert!(publish.values().all(|databag| databag == first), "every relation gets the same bytes");
    // The databag itself is the provider crate's business (and snapshot); here, its keys.
    json["publish"] = publish
        .iter()
        .map(|(id, databag)| (id.clone(), databag.as_object().unwrap().keys().cloned().collect::<Vec<_>>().into()))
        .collect::<serde_json::Map<_, _>>()
        .into();
    insta::assert_json_snapshot!("reconcile_recommended_json", json);
}

/// The v2 example (`settings: {architecture: v2, pyroscope: 2.2.1}`): a recommended v2 cluster,
/// published to every relation; the databags differ in `worker_ports` only.
#[test]
fn reconcile_the_v2_cluster() {
    let out = check(&["reconcile", "examples/reconcile-v2.yaml"], "", 0, "");
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON output");
    assert_eq!(json["pyroscope"], "2.2.1");
    assert_eq!(json["architecture"], "v2");
    assert_eq!(json["coherent"], true);
    assert_eq!(json["below_recommended"], serde_json::json!([]));
    assert_eq!(json["not_ready"], serde_json::json!({}));
    let publish = json["publish"].as_object().expect("publish");
    assert_eq!(publish.len(), 8, "every relation");
    let config = |databag: &Value| databag["worker_config"].clone();
    let first = publish.values().next().expect("one");
    assert!(publish.values().all(|databag| config(databag) == config(first)), "one worker_config");
    let ports: Vec<&str> = publish.values().map(|databag| databag["worker_ports"].as_str().unwrap()).collect();
    let raft = ports.iter().filter(|ports| **ports == "[7946, 4040, 9095, 9099]").count();
    assert_eq!((raft, ports.len() - raft), (1, 7), "{ports:?}");
    assert!(ports.iter().all(|ports| ports.starts_with("[7946, 4040, 9095")));
    let text = check(&["reconcile", "examples/reconcile-v2.yaml", "--format", "text"], "", 0, "").stdout;
    assert!(text.contains("configuration for Pyroscope 2.2.1, storage architecture v2"), "{text}");
    assert!(text.contains("metastore              3        1            3\n"), "{text}");
}

/// `settings.pyroscope` and `--pyroscope`, which wins: the release in the output, and the keys
/// it gets.
#[test]
fn reconcile_for_a_release() {
    let read = |args: &[&str], stdin: &str| -> Value {
        serde_json::from_str(&check(args, stdin, 0, "").stdout).expect("JSON output")
    };
    let config = |json: &Value| -> String {
        let databag = json["publish"].as_object().unwrap().values().next().unwrap();
        serde_json::from_str(databag["worker_config"].as_str().unwrap()).unwrap()
    };
    let example = ["reconcile", "examples/reconcile-recommended.yaml"];
    let json = read(&example, "");
    assert_eq!(json["pyroscope"], "1.18.2");
    assert!(!config(&json).contains("architecture_storage"));
    let json = read(&[&example[..], &["--pyroscope", "2.2"]].concat(), "");
    assert_eq!(json["pyroscope"], "2.2.1");
    assert!(config(&json).contains("architecture_storage: v1\n"));
    let input = std::fs::read_to_string(root().join(example[1])).unwrap();
    let two = input.replace("pyroscope: '1.18'", "pyroscope: '2.0'");
    assert_ne!(two, input);
    assert_eq!(read(&["reconcile"], &two)["pyroscope"], "2.0.6");
    assert_eq!(read(&["reconcile", "--pyroscope", "1.19"], &two)["pyroscope"], "1.19.3", "the flag wins");
    check(&["reconcile", "--pyroscope", "3.0"], &two, 2, "there is no key reference for Pyroscope 3.0");
    check(
        &["reconcile"],
        &input.replace("pyroscope: '1.18'", "pyroscope: '1.7'"),
        1,
        "there is no key reference for Pyroscope 1.7",
    );
    // A duration the key's decoder does not take: no configuration, and the status says why.
    let json = read(&["reconcile"], &input.replace("retention_period: 30d", "retention_period: 1.5h"));
    assert_eq!(json["publish"], serde_json::json!({}));
    assert_eq!(
        json["config_error"],
        "retention_period \"1.5h\" is not a duration Pyroscope 1.18.2 reads for `limits.compactor_blocks_retention_period`: \
         it has a fraction; write whole numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), or `0`"
    );
}

#[test]
fn reconcile_a_broken_cluster_from_stdin() {
    let input = r#"
relations:
  - id: pyroscope-cluster:3
    app: pyroscope-worker
    app_data: {role: '"all"'}
    units:
      pyroscope-worker/0: {address: '"w0"', juju_topology: '{"application": "pyroscope-worker", "unit": "pyroscope-worker/0", "charm_name": "c"}'}
      pyroscope-worker/1: {address: '"http://w1"', juju_topology: '{"application": "pyroscope-worker", "unit": "pyroscope-worker/1", "charm_name": "c"}'}
  - id: 4
    app: impostor
    app_data: {role: '"imposter"'}
"#;
    let out = check(&["reconcile", "--format", "text"], input, 0, "");
    insta::assert_snapshot!("reconcile_broken_text", out.stdout);
}

#[test]
fn validate_the_examples() {
    let out = check(&["validate", "examples/seed-relation-state.yaml"], "", 0, "");
    assert_eq!(out.stdout, "ok: no problem in relation state (decoded values)\n");
    let out = check(&["validate", "examples/show-unit-coordinator-healthy.yaml"], "", 0, "");
    assert_eq!(out.stdout, "ok: no problem in 7 databags of 2 relations\n");
    let out = check(&["validate", "examples/show-unit-coordinator-broken.yaml"], "", 1, "6 problem(s)");
    insta::assert_snapshot!("validate_broken_show_unit", out.stdout);
    // The seed's values are decoded: read as wire values, they are not JSON text.
    let out = check(&["validate", "--wire", "examples/seed-relation-state.yaml"], "", 1, "problem(s)");
    assert!(out.stdout.contains("requirer.app.role: "), "{}", out.stdout);
    // A worker's capture: the coordinator's data is `application-data`, its own is `local-unit`.
    let out = check(&["validate", "examples/show-unit-worker-healthy.yaml"], "", 0, "");
    assert_eq!(out.stdout, "ok: no problem in 3 databags of 1 relation\n");
    let worker = std::fs::read_to_string(root().join("examples/show-unit-worker-healthy.yaml")).unwrap();
    let broken = worker
        .replace("worker_ports: '[7946, 4040]'", "worker_ports: '[0, 7946]'")
        .replace("charm: ch:amd64/pyroscope-worker-k8s-7", "charm: local:my-charm");
    assert_ne!(broken, worker);
    let out = check(&["validate", "-"], &broken, 1, "1 problem(s)");
    assert_eq!(
        out.stdout,
        "pyroscope-worker/0 relation 7 application-data: provider.app.worker_ports[0]: \"[0, 7946]\": is not valid: invalid value: integer `0`, expected a nonzero u16 at line 1 column 2\n1 problem in 3 databags of 1 relation\n"
    );
    let out = check(&["validate", "--side", "provider", "-"], &broken, 1, "problem(s)");
    assert!(
        out.stdout.contains("requirer.app.role: is missing"),
        "told the wrong side, it reads the wrong databags: {}",
        out.stdout
    );
    // The coordinator's configuration, as the worker checks it against its Pyroscope release.
    let out = check(&["validate", "examples/show-unit-worker-refused.yaml"], "", 1, "3 problem(s)");
    insta::assert_snapshot!("validate_refused_worker_config", out.stdout);
    let out =
        check(&["validate", "--pyroscope", "2.2", "examples/show-unit-worker-refused.yaml"], "", 1, "2 problem(s)");
    assert!(!out.stdout.contains("architecture_storage"), "2.2 has the key: {}", out.stdout);
    check(
        &["validate", "--pyroscope", "1.17", "examples/show-unit-worker-healthy.yaml"],
        "",
        2,
        "known releases: 1.18.1, 1.18.2",
    );
    let unlisted =
        worker.replace("pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946", "w-9:7946");
    let out = check(&["validate", "-"], &unlisted, 1, "1 problem(s)");
    assert!(
        out.stdout.contains(
            "provider.app.worker_config.memberlist.join_members: does not list this worker \
             (pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946)"
        ),
        "{}",
        out.stdout
    );
    // A relation state: the worker's address is its unit databag's.
    let state = r#"{"provider": {"app": {"worker_config": "architecture_storage: v1\nmemberlist: {join_members: ['w-0:7946']}\n"}, "unit": {}},
        "requirer": {"app": {"role": "all"}, "unit": {"address": "w-1", "juju_topology": {"application": "w", "unit": "w/1", "charm_name": "c"}}}}"#;
    let out = check(&["validate", "-"], state, 1, "1 problem(s)");
    assert_eq!(
        out.stdout,
        "provider.app.worker_config.architecture_storage: Pyroscope 1.18.2 has no such key (2.0.6, 2.2.1 have it)\n\
         1 problem in relation state (decoded values)\n"
    );
    let out = check(&["validate", "--pyroscope", "2.0", "-"], state, 1, "1 problem(s)");
    assert!(
        out.stdout
            .starts_with("provider.app.worker_config.memberlist.join_members: does not list this worker (w-1:7946)"),
        "{}",
        out.stdout
    );
    // A show-unit capture of another charm's relations only.
    check(
        &["validate", "--endpoint", "nope", "examples/show-unit-coordinator-healthy.yaml"],
        "",
        1,
        "no relation on the endpoint `nope`",
    );
}

#[test]
fn schema_prints_the_generated_files() {
    for side in ["provider", "requirer"] {
        let out = check(&["schema", side], "", 0, "");
        let file = std::fs::read_to_string(root().join(format!("docs/schema/v0/{side}.json"))).expect("generated");
        assert_eq!(out.stdout, file);
    }
}

#[test]
fn bad_input_exits_1_or_2_with_a_message_never_a_panic() {
    let missing = "/nonexistent/pyroscope/input.json";
    check(&["decode", "requirer-app", missing], "", 2, &format!("{missing}: cannot read"));
    check(&["decode", "nope"], "", 2, "invalid value 'nope'");
    check(&["frobnicate"], "", 2, "unrecognized subcommand");
    check(&["schema"], "", 2, "required");
    check(&["decode", "requirer-app"], "", 1, "<stdin>: not a raw databag");
    check(&["decode", "requirer-app"], "[1, 2]", 1, "not a raw databag");
    check(&["decode", "requirer-app"], r#"{"role": 3}"#, 1, "not a raw databag");
    check(&["decode", "requirer-app"], r#"{"role": "\"imposter\""}"#, 1, "key `role`");
    check(&["decode", "requirer-unit"], r#"{"address": "\"w 0\"", "juju_topology": "{}"}"#, 1, "key `address`");
    check(&["encode", "provider-app"], r#"{"worker_ports": [0]}"#, 1, "key `worker_config` is missing");
    check(&["encode", "provider-app"], "not json", 1, "not a JSON object");
    check(&["reconcile"], "relations: [{id: x}]", 1, "not a valid reconcile input");
    check(&["reconcile"], "settings: {s3: {endpoint: 3}}\nbogus: 1", 1, "not a valid reconcile input");
    check(&["validate"], "- a list", 1, "expected a mapping");
    check(&["validate"], "a: b", 1, "neither a relation state");
    check(&["validate"], ": : :", 1, "not YAML");
    let out = run(&["decode", "requirer-app"], &[0xff, 0xfe, b'{']);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("not UTF-8"), "{}", out.stderr);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for verb in
        [&["decode", "provider-app"][..], &["encode", "provider-app"], &["reconcile"], &["validate"], &["worker"]]
    {
        let out = run(verb, deep.as_bytes());
        assert_eq!(out.code, 1, "{verb:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{verb:?}: {}", out.stderr);
    }
}

/// Every `pyroscope-cluster` command the README shows runs as it says: exit 0, or the status its
/// comment names (`# exits 1`); a pipe feeds one command's output to the next.
#[test]
fn the_readme_commands_work() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let commands: Vec<&str> = readme.lines().filter(|line| line.starts_with("pyroscope-cluster ")).collect();
    assert!(commands.len() >= 6, "{commands:?}");
    for line in commands {
        let (pipeline, comment) = line.split_once(" #").unwrap_or((line, ""));
        let expect = comment
            .split_once("exits ")
            .map_or(0, |(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap());
        let mut input = String::new();
        let mut code = 0;
        for command in pipeline.split(" | ") {
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let out = run(&args, input.as_bytes());
            (input, code) = (out.stdout, out.code);
        }
        assert_eq!(code, expect, "README: {line}");
        // `lists 6 problems`, `lists 2`: the count the output ends with.
        if let Some((_, count)) = comment.split_once("lists ") {
            let count: String = count.chars().take_while(char::is_ascii_digit).collect();
            let said = input.lines().last().unwrap_or_default();
            assert!(said.starts_with(&format!("{count} problem")), "README: {line}: {said}");
        }
    }
}

/// Scripting: `--check`, write errors, empty input and YAML tags, `--side` in both spellings,
/// and the hint that databag values are JSON text.
#[test]
fn scripting_gets_exit_codes_and_hints() {
    let example = "examples/reconcile-recommended.yaml";
    check(&["reconcile", "--check", example], "", 0, "");
    let out = check(&["reconcile", "--check"], "relations: []", 3, "<stdin>: the status is not active");
    assert!(out.stdout.contains("\"level\": \"blocked\""), "the output is printed all the same: {}", out.stdout);
    check(&["reconcile"], "", 1, "the input is empty");
    check(&["reconcile"], "\n# nothing\n", 1, "the document is empty");
    check(&["reconcile"], "relations: !!python/object:os.system []", 1, "YAML tags are not taken");
    check(&["reconcile"], "settings: {s3: {endpoint: !Custom x}}", 1, "YAML tags are not taken");
    check(&["validate"], "", 1, "the input is empty");
    for side in ["coordinator", "provider", "worker", "requirer"] {
        let reads_as = if matches!(side, "coordinator" | "provider") { "requirer.app.role" } else { "ok: no problem" };
        let out = run(&["validate", "--side", side, "examples/show-unit-worker-healthy.yaml"], b"");
        assert!(out.stdout.contains(reads_as), "--side {side}: {}", out.stdout);
    }
    let hint = check(&["decode", "requirer-app"], r#"{"role": "all"}"#, 1, "");
    assert!(hint.stderr.contains(r#"values are JSON text: did you mean '"all"'?"#), "{}", hint.stderr);
    let no_hint = check(&["decode", "requirer-app"], r#"{"role": "imposter"}"#, 1, "");
    assert!(!no_hint.stderr.contains("did you mean"), "quoted, it is still no role: {}", no_hint.stderr);
}

#[test]
fn a_failed_write_exits_1() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    for args in [&["schema", "provider"][..], &["reconcile", "examples/reconcile-recommended.yaml"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full opens");
        let out = Command::new(env!("CARGO_BIN_EXE_pyroscope-cluster"))
            .args(args)
            .current_dir(root())
            .stdout(full)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the output"), "{args:?}");
    }
}

#[test]
fn decode_shows_worker_config_as_yaml_in_text() {
    let databag =
        r#"{"worker_config": "\"memberlist:\\n  join_members:\\n  - w-0:7946\\n\"", "worker_ports": "[7946, 4040]"}"#;
    insta::assert_snapshot!(check(&["decode", "provider-app", "--format", "text"], databag, 0, "").stdout, @r"
    worker_config: |  # secret values not shown
      memberlist:
        join_members:
        - w-0:7946
    worker_ports: [7946, 4040]
    ");
}

/// `juju show-unit` captures of the coordinator's leader: the same output as a reconcile input,
/// S3 from the capture's `s3` relation, settings from a file.
#[test]
fn reconcile_a_capture_of_a_stuck_cluster() {
    let broken = "examples/show-unit-coordinator-broken.yaml";
    let out = check(&["reconcile", broken, "--format", "text"], "", 0, "");
    insta::assert_snapshot!("reconcile_capture_broken_text", out.stdout);
    let json =
        |args: &[&str], stdin: &str| -> Value { serde_json::from_str(&check(args, stdin, 0, "").stdout).unwrap() };
    let healthy = json(&["reconcile", "examples/show-unit-coordinator-healthy.yaml"], "");
    assert_eq!(healthy["status"]["level"], "active", "{healthy}");
    assert_eq!(healthy["warnings"], serde_json::json!([]));
    let config = |json: &Value| -> String {
        let databag = json["publish"].as_object().unwrap().values().next().unwrap();
        serde_json::from_str(databag["worker_config"].as_str().unwrap()).unwrap()
    };
    assert!(config(&healthy).contains("endpoint: minio:9000\n"), "S3 from the capture: {}", config(&healthy));
    assert!(config(&healthy).contains("insecure: true\n"), "http:// is insecure, as the coordinator reads it");
    // Settings from a file; several captures, the leader read.
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "settings: {external_url: 'https://cos.example/p', pyroscope: '2.2'}\n").unwrap();
    let healthy_text = std::fs::read_to_string(root().join("examples/show-unit-coordinator-healthy.yaml")).unwrap();
    let follower = dir.path().join("follower.yaml");
    std::fs::write(&follower, "pyroscope/1:\n  leader: false\n  relation-info: []\n").unwrap();
    let settings = settings.to_str().unwrap();
    let both = json(
        &[
            "reconcile",
            "examples/show-unit-coordinator-healthy.yaml",
            follower.to_str().unwrap(),
            "--settings",
            settings,
        ],
        "",
    );
    assert_eq!(both["pyroscope"], "2.2.1");
    assert!(config(&both).contains("base-url: /p\n"), "{}", config(&both));
    let databag = both["publish"].as_object().unwrap().values().next().unwrap();
    assert_eq!(databag["worker_labels"], r#"{"app.kubernetes.io/part-of": "pyroscope"}"#, "the captured unit's app");
    // Two units, neither the leader; no s3 relation; --settings beside a reconcile input.
    check(&["reconcile", follower.to_str().unwrap(), follower.to_str().unwrap()], "", 1, "");
    let no_s3 = healthy_text.replace("endpoint: s3\n", "endpoint: s4\n");
    let out = json(&["reconcile"], &no_s3);
    assert_eq!(
        out["warnings"][0],
        "pyroscope/0 has no s3 relation in the capture, and no S3 is given (--settings) or published"
    );
    check(&["reconcile", "examples/reconcile-recommended.yaml", "--settings", settings], "", 2, "--settings is for");
}

#[test]
fn contradicting_ports_are_a_warning() {
    let input = std::fs::read_to_string(root().join("examples/reconcile-recommended.yaml")).unwrap();
    let contradicting = input
        .replace("  pyroscope: '1.18'\n", "  pyroscope: '1.18'\n  ports: {http: 8080, memberlist: 9999}\n")
        .replace("extras:\n", "extras:\n  worker_ports: [4040, 7946]\n");
    assert_ne!(contradicting, input);
    let out: Value = serde_json::from_str(&check(&["reconcile"], &contradicting, 0, "").stdout).unwrap();
    assert_eq!(
        out["warnings"],
        serde_json::json!([
            "extras.worker_ports [4040, 7946] does not open 9999, 8080 of settings.ports (memberlist 9999, http 8080): \
             the workers would listen on ports they do not open"
        ])
    );
}

/// No verb panics on any input: each verb on the examples cut and flipped at pseudo-random
/// places (a fixed seed), and on plain noise. Every run exits 0, 1 or 3 with no panic.
#[test]
fn no_verb_panics_on_mangled_input() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let examples = [
        "examples/show-unit-coordinator-broken.yaml",
        "examples/databag-provider-app.json",
        "examples/show-unit-worker-refused.yaml",
    ];
    let verbs: [&[&str]; 8] = [
        &["decode", "provider-app"],
        &["decode", "requirer-unit", "--format", "text"],
        &["encode", "requirer-app"],
        &["reconcile", "--check"],
        &["reconcile", "--format", "text"],
        &["validate"],
        &["worker", "--check", "--address", "w-0"],
        &["worker", "--format", "text"],
    ];
    for example in examples {
        let original = std::fs::read(root().join(example)).unwrap();
        for _ in 0..4 {
            let mut bytes = original.clone();
            let cut = (next() as usize) % bytes.len();
            bytes.truncate(cut.max(1));
            let flip = (next() as usize) % bytes.len();
            bytes[flip] = (next() % 128) as u8;
            for verb in verbs {
                let out = run(verb, &bytes);
                assert!(!out.stderr.contains("panicked"), "{verb:?} on {example} cut at {cut}: {}", out.stderr);
                assert!(matches!(out.code, 0 | 1 | 3), "{verb:?}: exit {}: {}", out.code, out.stderr);
            }
        }
    }
    let noise: Vec<u8> = (0..256).map(|_| (next() % 256) as u8).collect();
    for verb in verbs {
        let out = run(verb, &noise);
        assert_eq!(out.code, 1, "{verb:?}: {}", out.stderr);
    }
}

/// `worker`: the coordinator's data as one worker sees it, from a worker's capture, a raw databag
/// or a decoded one; the checks, the command, the config file, and the change decision.
#[test]
fn worker_sees_the_coordinators_data() {
    let healthy = "examples/show-unit-worker-healthy.yaml";
    let refused = "examples/show-unit-worker-refused.yaml";
    let raw = "examples/databag-provider-app.json";
    insta::assert_snapshot!("worker_healthy_text", check(&["worker", healthy, "--format", "text"], "", 0, "").stdout);
    let out = check(&["worker", refused, "--format", "text", "--check"], "", 3, "the worker would not run");
    insta::assert_snapshot!("worker_refused_text", out.stdout);
    // The raw databag's configuration has S3 keys: the text shows their size only, JSON all.
    let text = check(
        &[
            "worker",
            raw,
            "--address",
            "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local",
            "--format",
            "text",
        ],
        "",
        0,
        "",
    )
    .stdout;
    insta::assert_snapshot!("worker_raw_databag_text", text);
    assert!(!text.contains("not-a-real-secret") && text.contains("secret_access_key: <17 bytes, not shown>"), "{text}");
    let json =
        |args: &[&str], stdin: &str| -> Value { serde_json::from_str(&check(args, stdin, 0, "").stdout).unwrap() };
    let from_raw = json(&["worker", raw, "--roles", "querier,ingester"], "");
    let content = from_raw["config_file"]["content"].as_str().unwrap();
    assert!(content.contains("secret_access_key: <17 bytes, not shown>"), "JSON is redacted too: {content}");
    let shown = json(&["worker", raw, "--roles", "querier,ingester", "--show-secrets"], "");
    assert!(shown["config_file"]["content"].as_str().unwrap().contains("not-a-real-secret"), "unless asked");
    assert_eq!(from_raw["membership_checked"], false, "no address");
    // A decoded databag (what `decode` prints) is read as the raw one.
    let decoded = check(&["decode", "provider-app", raw], "", 0, "").stdout;
    assert_eq!(json(&["worker", "--roles", "querier,ingester"], &decoded), from_raw);

    // (input, flags, state, problems' paths, argv after `pyroscope`)
    let v2 = r#"{"worker_config": "architecture_storage: v2\nmemberlist: {join_members: ['w-0:7946']}\n"}"#;
    #[track_caller]
    fn state(args: &[&str], stdin: &str, state: &str, paths: &[&str], argv: &[&str]) {
        let out: Value = serde_json::from_str(&check(args, stdin, 0, "").stdout).unwrap();
        assert_eq!(out["state"], state, "{args:?}: {out}");
        let got: Vec<&str> = out["problems"].as_array().unwrap().iter().map(|p| p["path"].as_str().unwrap()).collect();
        assert_eq!(got, paths, "{args:?}");
        let command: Vec<&str> = out["command"]
            .as_array()
            .map(|a| a.iter().skip(1).map(|w| w.as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(command, argv, "{args:?}");
    }
    state(&["worker", healthy], "", "ready", &[], &["-config.file=/etc/worker/config.yaml", "-target=all"]);
    state(
        &["worker", healthy, "--roles", "querier", "--config-file", "/c.yaml"],
        "",
        "ready",
        &[],
        &["-config.file=/c.yaml", "-target=querier"],
    );
    state(&["worker", healthy, "--address", "w-9"], "", "invalid", &["memberlist.join_members"], &[]);
    state(
        &["worker", refused, "--pyroscope", "2.2"],
        "",
        "invalid",
        &["compactor.deletion_delay", "memberlist.join_members[0]"],
        &[],
    );
    state(&["worker", "--address", "w-0"], v2, "invalid", &["architecture_storage"], &[]);
    state(
        &["worker", "--address", "w-0", "--pyroscope", "2.2", "--roles", "metastore"],
        v2,
        "ready",
        &[],
        &[
            "-config.file=/etc/worker/config.yaml",
            "-target=metastore",
            "-architecture.storage=v2",
            "-metastore.raft.server-id=w-0:9099",
            "-metastore.raft.advertise-address=w-0:9099",
            "-metastore.raft.bind-address=:9099",
        ],
    );
    state(&["worker"], "{}", "not_published", &[], &[]);
    state(&["worker"], r#"{"worker_config": "3"}"#, "invalid", &[""], &[]);
    state(&["worker"], r#"{"worker_ports": "[7946]"}"#, "invalid", &[""], &[]);

    // The change decision against the file on disk, by the requirer's restart rule.
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("config.yaml");
    let content =
        json(&["worker", healthy, "--show-secrets"], "")["config_file"]["content"].as_str().unwrap().to_owned();
    let member_1 = "  - pyroscope-worker-1.pyroscope-worker-endpoints.cos.svc.cluster.local:7946\n";
    for (on_disk, write, restart, reason) in [
        (content.clone(), false, false, "configuration unchanged"),
        (content.replace(member_1, ""), true, false, "no restart: only `memberlist.join_members` changed"),
        (content.replace("15m", "10m"), true, true, "changed: `compactor.cleanup_interval`"),
        ("- not a mapping".to_owned(), true, true, "the config file on disk cannot be read"),
    ] {
        std::fs::write(&current, &on_disk).unwrap();
        let out = json(&["worker", healthy, "--current", current.to_str().unwrap()], "");
        assert_eq!(
            (out["change"]["write"].as_bool(), out["change"]["restart"].as_bool()),
            (Some(write), Some(restart))
        );
        assert!(out["change"]["reason"].as_str().unwrap().contains(reason), "{}", out["change"]);
    }
    std::fs::write(&current, content.replace(member_1, "")).unwrap();
    let out = check(&["worker", healthy, "--current", current.to_str().unwrap(), "--format", "text"], "", 0, "");
    assert!(
        out.stdout.contains(&format!("change (against {}): rewrite the config file, no restart", current.display())),
        "{}",
        out.stdout
    );
    // The coordinator withdrew its data, and this worker had a config file: removed.
    let out = json(&["worker", "--current", current.to_str().unwrap()], "{}");
    assert_eq!(out["state"], "removed");

    // Bad input: exit 1 naming the place; a bad flag: exit 2.
    check(&["worker"], "[1]", 1, "expected the coordinator's app databag");
    check(&["worker"], "", 1, "the input is empty");
    check(&["worker", "--roles", "imposter"], "{}", 2, "unknown role");
    check(&["worker", "--address", "w 0"], "{}", 2, "--address \"w 0\"");
    check(&["worker", "--current", "/nonexistent/config.yaml"], "{}", 2, "cannot read");
    check(&["worker", "--endpoint", "nope", healthy], "", 1, "no relation on the endpoint `nope`");
    check(&["worker", "examples/show-unit-coordinator-healthy.yaml"], "", 1, "");
}

/// What-if: against what the coordinator published (`published`, or workers' captures), which
/// keys each relation gets changed and whether its workers restart, by the requirer's rule.
#[test]
fn reconcile_previews_what_would_change() {
    let example = "examples/reconcile-scale-up.yaml";
    let out = check(&["reconcile", example, "--format", "text"], "", 0, "");
    insta::assert_snapshot!("reconcile_scale_up_text", out.stdout);
    let input = std::fs::read_to_string(root().join(example)).unwrap();
    // (the input edited, relation 7's {write, added, removed, changed, restart}, a part of the reason)
    #[track_caller]
    fn what_if(input: &str, want: Value, reason: &str) {
        let out: Value = serde_json::from_str(&check(&["reconcile"], input, 0, "").stdout).unwrap();
        let mut got = out["what_if"]["7"].clone();
        let said = got.as_object_mut().unwrap().remove("reason").unwrap();
        assert_eq!(got, want, "{}", out["what_if"]);
        assert!(said.as_str().unwrap().contains(reason), "{said}");
        assert!(!out["what_if"].to_string().contains("not-a-real-secret"), "key names only");
    }
    let keys = |write: bool, added: &[&str], removed: &[&str], changed: &[&str], restart: bool| {
        serde_json::json!({"app": "pyroscope-worker", "write": write, "added": added, "removed": removed,
            "changed": changed, "restart": restart, "from_defaults": []})
    };
    what_if(&input, keys(true, &[], &[], &["worker_config"], false), "no restart: only `memberlist.join_members`");
    let retention = input.replace("\n  retention_period: 30d\n", "\n  retention_period: 7d\n");
    assert_ne!(retention, input);
    what_if(&retention, keys(true, &[], &[], &["worker_config"], true), "`limits.compactor_blocks_retention_period`");
    let edited = input.replace("    worker_ports: '[7946, 4040]'\n", "    ca_cert: '\"PEM\"'\n");
    assert_ne!(edited, input);
    what_if(&edited, keys(true, &["worker_ports"], &["ca_cert"], &["worker_config"], false), "no restart");
    // Before the fourth unit joined: the databag holds what the coordinator would write.
    let gone =
        |line: &&str| ["pyroscope-worker/3", "pyroscope-worker-3.", "10.1.0.23"].iter().any(|s| line.contains(s));
    let three: String = input.lines().filter(|line| !gone(line)).map(|line| format!("{line}\n")).collect();
    what_if(&three, keys(false, &[], &[], &[], false), "configuration unchanged");
    let broken = input.replace("\"pyroscope-worker-3.pyroscope", "\"http://pyroscope-worker-3.pyroscope");
    assert_ne!(broken, input);
    what_if(&broken, keys(false, &[], &[], &[], false), "not ready: nothing is written");
    // Nothing published known: no what-if.
    let out: Value =
        serde_json::from_str(&check(&["reconcile", "examples/reconcile-recommended.yaml"], "", 0, "").stdout).unwrap();
    assert_eq!(out["what_if"], serde_json::json!({}));
    // From captures: a worker unit's capture shows what the coordinator published on its relation.
    let captures =
        ["reconcile", "examples/show-unit-coordinator-healthy.yaml", "examples/show-unit-worker-healthy.yaml"];
    let out: Value = serde_json::from_str(&check(&captures, "", 0, "").stdout).unwrap();
    let what_if = out["what_if"].as_object().unwrap();
    assert_eq!(what_if.keys().collect::<Vec<_>>(), ["7"], "the worker's relation only");
    assert_eq!(what_if["7"]["app"], "pyroscope-worker");
}

/// Captures without `--settings`: the settings are read back from the configuration the
/// coordinator published (a worker's capture shows it), each named with where it comes from;
/// a change that only a default makes is marked. The two example captures are of one cluster:
/// nothing would change. (Before, the 14 keys that the CLI's defaults changed were announced as
/// a restart: `api.base-url`, `storage.s3.*`, the retention, ...)
#[test]
fn captures_without_settings_predict_from_what_was_published() {
    let coordinator = "examples/show-unit-coordinator-healthy.yaml";
    let worker = "examples/show-unit-worker-healthy.yaml";
    let json =
        |args: &[&str], stdin: &str| -> Value { serde_json::from_str(&check(args, stdin, 0, "").stdout).unwrap() };
    let out = json(&["reconcile", coordinator, worker, "--show-secrets"], "");
    let unchanged = serde_json::json!({"app": "pyroscope-worker", "write": false, "added": [], "removed": [],
        "changed": [], "restart": false, "reason": "configuration unchanged", "from_defaults": []});
    assert_eq!(out["what_if"]["7"], unchanged, "{}", out["what_if"]);
    let from = &out["settings_from"];
    assert_eq!(from["settings.retention_period"], "published on relation 7", "{from}");
    assert_eq!(from["settings.external_url"], "published on relation 7", "{from}");
    assert_eq!(from["extras.loki_endpoints"], "published on relation 7", "{from}");
    assert_eq!(from["settings.s3"], "the capture's s3 relation", "{from}");
    assert_eq!(out["warnings"], serde_json::json!([]));
    // The captures agree: the worker shows, byte for byte, what the coordinator publishes there.
    let capture = yaml(&std::fs::read_to_string(root().join(worker)).unwrap());
    let published = &capture["pyroscope-worker/0"]["relation-info"][0]["application-data"];
    assert_eq!(&out["publish"]["7"], published);
    let text = check(&["reconcile", coordinator, worker, "--format", "text"], "", 0, "").stdout;
    assert!(text.contains("\n- published on relation 7: extras.charm_tracing_receivers, "), "{text}");
    assert!(text.contains("- 7 (pyroscope-worker): configuration unchanged\n"), "{text}");
    // A key the published configuration does not show is left to its default, and its change is
    // marked as coming from it.
    let dir = tempfile::tempdir().unwrap();
    let edited = dir.path().join("worker.yaml");
    let worker_text = std::fs::read_to_string(root().join(worker)).unwrap();
    let without = worker_text.replace("pyroscopedb:\\n  data_path: /pyroscope-data\\n", "");
    assert_ne!(without, worker_text);
    let without = without.replace("deletion_delay: 12h", "deletion_delay: 6h");
    std::fs::write(&edited, without).unwrap();
    let out = json(&["reconcile", coordinator, edited.to_str().unwrap()], "");
    assert_eq!(out["settings_from"]["settings.data_path"], "default");
    assert_eq!(out["what_if"]["7"]["restart"], true);
    assert_eq!(
        out["what_if"]["7"]["from_defaults"],
        serde_json::json!(["pyroscopedb.data_path"]),
        "{}",
        out["what_if"]
    );
    let text = check(&["reconcile", coordinator, edited.to_str().unwrap(), "--format", "text"], "", 0, "").stdout;
    assert!(
        text.contains("(from defaults only, not from the capture: `pyroscopedb.data_path`; give --settings)"),
        "{text}"
    );
    assert!(
        text.contains("- defaults (the capture does not show them; give --settings): settings.data_path"),
        "{text}"
    );
}

/// A capture's YAML, as JSON.
fn yaml(text: &str) -> Value {
    pyroscope_cluster_model::yaml::from_str(text).expect("YAML")
}

/// Runs the binary with `args` under a 1 GiB address-space limit (`ulimit -v`), through `sh -c
/// script`: `script` runs it as `"$0" "$@"`.
fn run_bounded(script: &str, args: &[&str]) -> Run {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 1048576; {script}"))
        .arg(env!("CARGO_BIN_EXE_pyroscope-cluster"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("sh starts");
    Run {
        code: output.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Endless input, binary or text, from a file or standard input, is refused (exit 1) in bounded
/// memory: binary data by its first bytes, text once it passes 64 MiB. (Before, every verb read
/// until memory ran out: here, until the 1 GiB limit, `cannot read: out of memory`, exit 2.)
#[test]
fn endless_input_is_refused_in_bounded_memory() {
    let binary = "binary data, not YAML or JSON text";
    for (args, refused) in [
        (&["reconcile", "/dev/zero"][..], "/dev/zero: binary data, not YAML or JSON text (a NUL byte at byte 0"),
        (&["worker", "/dev/urandom"], binary),
        (&["validate", "/dev/zero"], binary),
        (&["decode", "provider-app", "/dev/zero"], binary),
        (&["encode", "requirer-app", "/dev/urandom"], binary),
        (&["worker", "--current", "/dev/zero", "examples/show-unit-worker-healthy.yaml"], binary),
        (&["reconcile", "examples/show-unit-coordinator-healthy.yaml", "--settings", "/dev/zero"], binary),
    ] {
        let out = run_bounded(r#"exec "$0" "$@""#, args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(refused), "{args:?}: {}", out.stderr);
    }
    let out = run_bounded(r#"exec "$0" "$@" < /dev/zero"#, &["reconcile"]);
    assert_eq!((out.code, out.stderr.contains("<stdin>: binary data")), (1, true), "{}", out.stderr);
    let out = run_bounded(r#"yes 'a: b' | "$0" "$@""#, &["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("<stdin>: larger than 64 MiB, the most read from one input"), "{}", out.stderr);
    let help = check(&["reconcile", "--help"], "", 0, "");
    assert!(help.stdout.contains("at most 64 MiB"), "{}", help.stdout);
}

/// The status is printed whole, not cut at the charm's 120 characters: in text, and in JSON as
/// `whole_message` beside the charm's `message`. (Before, both were cut: `unit pyroscope-…`.)
#[test]
fn the_status_is_printed_whole() {
    let broken = "examples/show-unit-coordinator-broken.yaml";
    let text = check(&["reconcile", broken, "--format", "text"], "", 0, "").stdout;
    let first = text.lines().next().unwrap();
    assert!(!first.contains('…'), "{first}");
    assert!(first.ends_with("give the bare host name or IP; below recommended: querier 1/3, query-frontend 1/2, query-scheduler 1/2, +4 more"), "{first}");
    let out: Value = serde_json::from_str(&check(&["reconcile", broken], "", 0, "").stdout).unwrap();
    let (message, whole) =
        (out["status"]["message"].as_str().unwrap(), out["status"]["whole_message"].as_str().unwrap());
    assert_eq!(message.chars().count(), 120, "the charm's, as it was: {message}");
    assert!(whole.starts_with(message.trim_end_matches('…')), "{whole}");
    assert_eq!(first, format!("status: blocked: {whole}"));
}

/// Words that say what they mean: relations by their ID (`relation 7`, not `7` beside a count);
/// no "ready" while nothing is published, but what is missing; S3 from `--settings` without a
/// warning that there is no s3 relation; and, when both give S3, which one is used.
#[test]
fn the_text_says_what_is_published_and_which_s3_is_used() {
    let text = check(&["reconcile", "examples/reconcile-recommended.yaml", "--format", "text"], "", 0, "").stdout;
    assert!(!text.contains("ready relations"), "{text}");
    assert!(text.contains("\npublished to: relation 10 (pyroscope-querier), relation 11 ("), "{text}");
    let input = std::fs::read_to_string(root().join("examples/reconcile-recommended.yaml")).unwrap();
    let input: Value = pyroscope_cluster_model::yaml::from_str(&input).unwrap();
    let mut no_s3 = input.clone();
    no_s3["settings"].as_object_mut().unwrap().remove("s3");
    let text = check(&["reconcile", "--format", "text"], &no_s3.to_string(), 0, "").stdout;
    assert!(
        text.contains("\npublished to: none: no configuration (S3 endpoint is not set: relate the coordinator"),
        "{text}"
    );
    assert!(text.contains("; relations whose data is ready: relation 10 (pyroscope-querier), "), "{text}");
    // A capture without an s3 relation, S3 from --settings: no warning, and where it comes from.
    let dir = tempfile::tempdir().unwrap();
    let capture = std::fs::read_to_string(root().join("examples/show-unit-coordinator-healthy.yaml")).unwrap();
    let without_s3 = dir.path().join("without-s3.yaml");
    std::fs::write(&without_s3, capture.replace("endpoint: s3\n", "endpoint: s4\n")).unwrap();
    let settings = dir.path().join("settings.yaml");
    std::fs::write(&settings, "settings: {s3: {endpoint: 'https://s3.example', bucket_name: b}}\n").unwrap();
    let json = |args: &[&str]| -> Value { serde_json::from_str(&check(args, "", 0, "").stdout).unwrap() };
    let (without_s3, settings) = (without_s3.to_str().unwrap(), settings.to_str().unwrap());
    let out = json(&["reconcile", without_s3, "--settings", settings]);
    assert_eq!(out["warnings"], serde_json::json!([]));
    assert_eq!(out["settings_from"]["settings.s3"], "--settings");
    // Both give S3: the capture's relation is used, as the coordinator reads it, and said.
    let out = json(&["reconcile", "examples/show-unit-coordinator-healthy.yaml", "--settings", settings]);
    assert_eq!(
        out["warnings"],
        serde_json::json!([
            "settings.s3 of --settings is not used: pyroscope/0's s3 relation is, as the coordinator reads it"
        ])
    );
    assert_eq!(out["settings_from"]["settings.s3"], "the capture's s3 relation");
}

/// Errors say which format the input was read as and what it looks like, name letters that only
/// look like ASCII, and suggest the nearest known key. (Before: a JSON parser's "expected value at
/// line 1 column 2" for TOML, "invalid type: integer ... as u128" for a 40-digit relation ID,
/// `unknown role "quеry-frontend"` alone, and no "did you mean" for `replication_facter`.)
#[test]
fn errors_name_the_format_look_alikes_and_the_nearest_key() {
    let toml = check(&["reconcile"], "[settings]\nretention_period = \"7d\"\n", 1, "");
    assert!(
        toml.stderr.contains(
            "read as JSON (it starts with `[`): expected value at line 1 column 2; it looks like TOML or INI \
             (`[section]`, `key = value`), which is not read: give YAML or JSON"
        ),
        "{}",
        toml.stderr
    );
    let id = "1234567890123456789012345678901234567890";
    let huge = check(&["reconcile"], &format!("relations: [{{id: {id}, app: a, app_data: {{}}, units: {{}}}}]"), 1, "");
    assert!(!huge.stderr.contains("u128"), "{}", huge.stderr);
    assert!(huge.stderr.contains("read as YAML: relations[0]"), "{}", huge.stderr);
    let capture = std::fs::read_to_string(root().join("examples/show-unit-worker-healthy.yaml")).unwrap();
    let huge = check(&["worker"], &capture.replace("relation-id: 7", &format!("relation-id: {id}")), 1, "");
    assert!(huge.stderr.contains("is not a relation ID (a whole number from 0 to 4294967295, or"), "{}", huge.stderr);
    // 23 digits: more than 64 bits, fewer than 128.
    let id = "12345678901234567890123";
    let huge = check(&["worker"], &capture.replace("relation-id: 7", &format!("relation-id: {id}")), 1, "");
    assert!(!huge.stderr.contains("u128"), "{}", huge.stderr);
    assert!(
        huge.stderr.contains(&format!("the integer {id} is too large: no value here is more than 64 bits")),
        "{}",
        huge.stderr
    );
    let role = check(&["decode", "requirer-app"], "{\"role\": \"\\\"qu\u{435}ry-frontend\\\"\"}", 1, "unknown role");
    assert!(
        role.stderr.contains(
            "(note: not ASCII: Cyrillic \"\u{435}\" U+0435 at character 3 of \"qu\u{435}ry-frontend\", which looks \
             like \"e\")"
        ),
        "{}",
        role.stderr
    );
    let typo = capture.replace("replication_factor: 1", "replication_facter: 1");
    assert_ne!(typo, capture);
    let near = "did you mean `ingester.lifecycler.ring.replication_factor`?";
    let out = check(&["validate"], &typo, 1, "");
    assert!(out.stdout.contains(near), "{}", out.stdout);
    let out: Value = serde_json::from_str(&check(&["worker"], &typo, 0, "").stdout).unwrap();
    assert!(out["problems"][0]["reason"].as_str().unwrap().ends_with(near), "{}", out["problems"]);
}

/// Secrets are out of every output by default, in JSON and in text: by the secret-key table, in
/// a list, under a misspelt key, by shape (an AWS key ID, a URL with credentials); all of them
/// with `--show-secrets`. (Before, `decode` and `worker` JSON and `reconcile`'s `publish` had
/// them, and text missed the list and the misspelt key.)
#[test]
fn secrets_are_redacted_in_every_format_unless_asked() {
    let secrets = ["hunter2", "listed-secret", "typo-secret", "AKIAIOSFODNN7EXAMPLE", "user:pw@"];
    let config = "memberlist:\n  bind_port: 7946\n  join_members:\n  - a:7946\nserver:\n  http_listen_port: 4040\n\
                  storage:\n  backend: s3\n  s3:\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n    bucket_name: b\n    \
                  endpoint: minio:9000\n    secret_access_key: [hunter2, listed-secret]\n    \
                  secret_acess_key: typo-secret\n    region: https://user:pw@proxy\n";
    let databag = serde_json::json!({ "worker_config": serde_json::to_string(config).unwrap() }).to_string();
    // What a worker takes (a list and a misspelt key it refuses, and then shows nothing of).
    let valid = config
        .replace("secret_access_key: [hunter2, listed-secret]", "secret_access_key: hunter2")
        .replace("    secret_acess_key: typo-secret\n", "");
    let valid = serde_json::json!({ "worker_config": serde_json::to_string(&valid).unwrap() }).to_string();
    let valid_secrets = ["hunter2", "AKIAIOSFODNN7EXAMPLE", "user:pw@"];
    let s3 = serde_json::json!({"endpoint": "minio:9000", "bucket_name": "b", "access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "secret_access_key": "hunter2"});
    let input = std::fs::read_to_string(root().join("examples/reconcile-recommended.yaml")).unwrap();
    let mut input: Value = pyroscope_cluster_model::yaml::from_str(&input).unwrap();
    input["settings"]["s3"] = s3;
    let input = input.to_string();
    let runs: [(&[&str], &str, &[&str]); 6] = [
        (&["decode", "provider-app"], &databag, &secrets),
        (&["decode", "provider-app", "--format", "text"], &databag, &secrets),
        (&["worker", "--address", "a"], &valid, &valid_secrets),
        (&["worker", "--address", "a", "--format", "text"], &valid, &valid_secrets),
        (&["reconcile"], &input, &secrets[..1]),
        (&["reconcile", "--format", "text"], &input, &secrets[..1]),
    ];
    for (args, stdin, secrets) in runs {
        let out = run(args, stdin.as_bytes());
        assert!(matches!(out.code, 0 | 3), "{args:?}: {}", out.stderr);
        for secret in secrets.iter().chain(["AKIAIOSFODNN7EXAMPLE"].iter()) {
            assert!(!out.stdout.contains(secret), "{args:?} shows {secret}: {}", out.stdout);
        }
        assert!(out.stdout.contains("bytes, not shown>"), "{args:?}: {}", out.stdout);
        let shown = run(&[args, &["--show-secrets"]].concat(), stdin.as_bytes());
        for secret in secrets {
            let secret = if args.contains(&"text") || args[0] == "worker" {
                secret.to_string()
            } else {
                secret.replace('"', "\\\"")
            };
            assert!(shown.stdout.contains(&secret), "{args:?} --show-secrets lacks {secret}: {}", shown.stdout);
        }
    }
}

/// A key from the coordinator with ESC or a newline in it reaches the text output escaped, and a
/// long one cut: `worker` and `validate` print no control character from the input.
#[test]
fn text_output_escapes_keys_from_the_input() {
    let worker_config =
        format!("\"a\\e[31m\\nb\": 1\n? {}\n: 2\nmemberlist: {{join_members: ['w-0:7946']}}\n", "k".repeat(5_000));
    let databag = serde_json::json!({ "worker_config": serde_json::to_string(&worker_config).unwrap() }).to_string();
    let worker = run(&["worker", "--format", "text"], databag.as_bytes());
    assert_eq!(worker.code, 0, "{}", worker.stderr);
    let state = serde_json::json!({ "provider": { "app": { "worker_config": worker_config } } }).to_string();
    let validate = run(&["validate", "-"], state.as_bytes());
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    for out in [&worker.stdout, &validate.stdout] {
        assert!(!out.contains('\u{1b}'), "{out}");
        assert!(out.contains(r"a\u{1b}[31m\nb"), "{out}");
        assert!(!out.contains(&"k".repeat(200)), "{} bytes", out.len());
    }
}
