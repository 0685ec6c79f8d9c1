//! `check`: what each release's decoder refuses, key by key, and the messages that say so.

use pyroscope_cluster_release::{CheckError, ConfigRefusal, PyroscopeRelease, check_yaml};

const V1_18: PyroscopeRelease = PyroscopeRelease::V1_18_2;
const V1_19: PyroscopeRelease = PyroscopeRelease::V1_19_3;
const V2_0: PyroscopeRelease = PyroscopeRelease::V2_0_6;
const V2_2: PyroscopeRelease = PyroscopeRelease::V2_2_1;

/// The problems `release` finds in `yaml`, each as `path = value: kind`, in document order.
fn problems(release: PyroscopeRelease, yaml: &str) -> Vec<String> {
    match check_yaml(release, yaml) {
        Ok(()) => vec![],
        Err(CheckError::Refused(ConfigRefusal { release: refused, problems })) => {
            assert_eq!(refused, release);
            assert!(!problems.is_empty());
            problems
                .iter()
                .map(|p| match &p.value {
                    Some(value) => format!("{} = {value}: {:?}", p.path, p.problem),
                    None => format!("{}: {:?}", p.path, p.problem),
                })
                .collect()
        }
        Err(err) => panic!("{yaml:?}: {err}"),
    }
}

#[track_caller]
fn check(releases: &[PyroscopeRelease], yaml: &str, expect: &[&str]) {
    for release in releases {
        assert_eq!(problems(*release, yaml), expect, "{release}: {yaml:?}");
    }
}

const ALL: &[PyroscopeRelease] = &PyroscopeRelease::ALL;

/// What the Canonical coordinator renders (canonical/pyroscope-operators 4cf22942b940), which every
/// release takes.
const CANONICAL: &str = "\
api: {}
compactor:
  cleanup_interval: 15m
  deletion_delay: 90m
  sharding_ring:
    kvstore:
      store: memberlist
distributor:
  ring:
    kvstore:
      store: memberlist
ingester:
  lifecycler:
    ring:
      kvstore:
        store: memberlist
      replication_factor: 3
limits:
  compactor_blocks_retention_period: 30d
memberlist:
  bind_port: 7946
  join_members:
  - pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946
  - 10.1.2.3:7946
pyroscopedb:
  data_path: /pyroscope-data
server:
  http_listen_port: 4040
storage:
  backend: s3
  s3:
    access_key_id: '.inf'
    bucket_name: pyroscope
    endpoint: minio:9000
    insecure: true
    secret_access_key: 1e3
store_gateway:
  sharding_ring:
    replication_factor: 3
";

#[test]
fn the_canonical_coordinators_config_is_valid_everywhere() {
    check(ALL, CANONICAL, &[]);
    check(ALL, &CANONICAL.replace("30d", "0"), &[]);
    check(ALL, &CANONICAL.replace("30d", "2y"), &[]);
    check(ALL, &CANONICAL.replace("15m", "'0'"), &[]);
}

#[test]
fn architecture_storage_exists_from_2_0() {
    let yaml = "architecture_storage: v1\n";
    check(
        &[V1_18, V1_19],
        yaml,
        &["architecture_storage: UnknownKey { known_in: [PyroscopeRelease(2.0.6), PyroscopeRelease(2.2.1)] }"],
    );
    check(&[V2_0, V2_2], yaml, &[]);
    check(&[V2_2], "segment_writer: {lifecycler: {ring: {replication_factor: 3}}}\n", &[]);
    check(&[V2_0], "segment_writer: {}\n", &["segment_writer: UnknownKey { known_in: [PyroscopeRelease(2.2.1)] }"]);
}

#[test]
fn unknown_and_repeated_keys() {
    check(ALL, "sever: {http_listen_port: 4040}\n", &["sever: UnknownKey { known_in: [] }"]);
    check(ALL, "server: {http_listen_prot: 4040}\n", &["server.http_listen_prot: UnknownKey { known_in: [] }"]);
    check(ALL, "server: {http_listen_port: 1, http_listen_port: 2}\n", &["server.http_listen_port: RepeatedKey"]);
    check(ALL, "1: x\n", &["1: UnknownKey { known_in: [] }"]);
    // A mistyped secret's key shows no value.
    check(
        ALL,
        "storage: {s3: {secret_acess_key: hunter2}}\n",
        &["storage.s3.secret_acess_key: UnknownKey { known_in: [] }"],
    );
}

#[test]
fn the_document_is_a_mapping() {
    for (yaml, found) in [("", "null"), ("~", "null"), ("[a]", "a list"), ("foo", "a string"), ("3", "an integer")] {
        check(ALL, yaml, &[&format!(": NotAMapping {{ found: {found:?} }}")]);
    }
}

#[test]
fn go_durations() {
    let at = |value: &str| format!("compactor:\n  deletion_delay: {value}\n");
    for good in ["90m", "1h30m", "12h", "30s", "0s", "'0'", "1.5h", "-1h", "300ms", "2h45m", "~"] {
        check(ALL, &at(good), &[]);
    }
    check(ALL, &at("1d"), &[r#"compactor.deletion_delay = 1d: GoDuration(UnknownUnit("d"))"#]);
    check(ALL, &at("1w"), &[r#"compactor.deletion_delay = 1w: GoDuration(UnknownUnit("w"))"#]);
    check(ALL, &at("2y"), &[r#"compactor.deletion_delay = 2y: GoDuration(UnknownUnit("y"))"#]);
    check(ALL, &at("'15'"), &["compactor.deletion_delay = 15: GoDuration(MissingUnit)"]);
    check(ALL, &at("''"), &["compactor.deletion_delay = : GoDuration(Empty)"]);
    // The YAML integer 0: the yaml.v3 fork of 1.18 to 2.0 takes it, go.yaml.in/yaml/v3 of 2.2 does not.
    check(&[V1_18, V1_19, V2_0], &at("0"), &[]);
    check(&[V2_2], &at("0"), &["compactor.deletion_delay = 0: IntegerForGoDuration { zero: true }"]);
    check(ALL, &at("15"), &["compactor.deletion_delay = 15: IntegerForGoDuration { zero: false }"]);
    check(
        ALL,
        &at("1.5"),
        &[
            r#"compactor.deletion_delay = 1.5: WrongType { expected: "a Go duration", found: "a floating-point number" }"#,
        ],
    );
    check(
        ALL,
        &at("true"),
        &[r#"compactor.deletion_delay = true: WrongType { expected: "a Go duration", found: "a boolean" }"#],
    );
    check(ALL, &at("[1h]"), &[r#"compactor.deletion_delay: WrongType { expected: "a Go duration", found: "a list" }"#]);
    check(&[V1_18, V1_19, V2_0], "compactor: {block_ranges: [1h, 2h, 0]}\n", &[]);
    check(
        &[V2_2],
        "compactor: {block_ranges: [1h, 0]}\n",
        &["compactor.block_ranges[1] = 0: IntegerForGoDuration { zero: true }"],
    );
    check(
        ALL,
        "compactor: {block_ranges: [1h, 1d]}\n",
        &[r#"compactor.block_ranges[1] = 1d: GoDuration(UnknownUnit("d"))"#],
    );
}

#[test]
fn prometheus_durations() {
    let at = |value: &str| format!("limits:\n  compactor_blocks_retention_period: {value}\n");
    for good in ["0", "'0'", "30d", "2y", "1w", "1h30m", "720h", "0s", "1y2w3d", "01d", "~"] {
        check(ALL, &at(good), &[]);
    }
    check(ALL, &at("1.5d"), &["limits.compactor_blocks_retention_period = 1.5d: PrometheusDuration(Fraction)"]);
    check(ALL, &at("30m1h"), &["limits.compactor_blocks_retention_period = 30m1h: PrometheusDuration(UnitOrder)"]);
    check(ALL, &at("-1d"), &["limits.compactor_blocks_retention_period = -1d: PrometheusDuration(Negative)"]);
    check(ALL, &at("15"), &["limits.compactor_blocks_retention_period = 15: PrometheusDuration(MissingUnit)"]);
    check(ALL, &at("1.5"), &["limits.compactor_blocks_retention_period = 1.5: PrometheusDuration(Fraction)"]);
    check(ALL, &at("300y"), &["limits.compactor_blocks_retention_period = 300y: PrometheusDuration(OutOfRange)"]);
    // A float's value may read as a duration (0), its text never does (`cargo xtask live`).
    check(ALL, &at("0.0"), &["limits.compactor_blocks_retention_period = 0: PrometheusDuration(Fraction)"]);
    check(ALL, &at("1e3"), &["limits.compactor_blocks_retention_period = 1000: PrometheusDuration(MissingUnit)"]);
    check(
        ALL,
        &at("{}"),
        &[
            r#"limits.compactor_blocks_retention_period: WrongType { expected: "a Prometheus duration", found: "a mapping" }"#,
        ],
    );
    check(ALL, "limits: {retention_period: 1d}\n", &[]);
    check(ALL, "limits: {ingestion_artificial_delay: 1d}\n", &[]);
}

#[test]
fn members() {
    let at = |member: &str| format!("memberlist:\n  join_members:\n  - a.b:7946\n  - {member}\n");
    for good in ["'[fd00::1]:7946'", "10.0.0.1:7946", "dns+pyroscope-memberlist:7946", "worker-0", "~"] {
        check(ALL, &at(good), &[]);
    }
    check(ALL, &at("2001:db8::1:7946"), &["memberlist.join_members[1] = 2001:db8::1:7946: Member(UnbracketedIpv6)"]);
    check(ALL, &at("'h:70000'"), &[r#"memberlist.join_members[1] = h:70000: Member(Port("70000"))"#]);
    check(
        ALL,
        &at("{a: b}"),
        &[r#"memberlist.join_members[1]: WrongType { expected: "a string", found: "a mapping" }"#],
    );
    check(
        ALL,
        "memberlist: {join_members: a:7946}\n",
        &[r#"memberlist.join_members = a:7946: WrongType { expected: "a list of strings", found: "a string" }"#],
    );
}

#[test]
fn scalars_and_blocks() {
    check(ALL, "server: {http_listen_port: 4040.0}\nstorage: {s3: {insecure: yes}}\n", &[]);
    check(ALL, "storage: {s3: {insecure: 'on', bucket_name: 2001, endpoint: true}}\n", &[]);
    check(
        ALL,
        "server: {http_listen_port: '4040'}\n",
        &[r#"server.http_listen_port = 4040: WrongType { expected: "an integer", found: "a string" }"#],
    );
    check(
        ALL,
        "storage: {s3: {insecure: 1}}\n",
        &[r#"storage.s3.insecure = 1: WrongType { expected: "a boolean", found: "an integer" }"#],
    );
    check(
        ALL,
        "storage: {s3: {insecure: maybe}}\n",
        &[r#"storage.s3.insecure = maybe: WrongType { expected: "a boolean", found: "a string" }"#],
    );
    // go-yaml v3 puts a number in a Go `int` when it fits 64 bits, truncating a float; not NaN
    // (`cargo xtask live`, against the decoders of 1.18 and 2.2).
    check(ALL, "server: {http_listen_port: -9223372036854775808}\n", &[]);
    check(ALL, "server: {http_listen_port: 1.5}\n", &[]);
    for (big, shown) in [
        ("9223372036854775808", "9223372036854775808"),
        ("99999999999999999999", "99999999999999999999"),
        (".nan", "NaN"),
        (".inf", "inf"),
    ] {
        check(
            ALL,
            &format!("server: {{http_listen_port: {big}}}\n"),
            &[&format!("server.http_listen_port = {shown}: IntegerOutOfRange")],
        );
    }
    check(ALL, "server: 4040\n", &[r#"server = 4040: WrongType { expected: "a mapping", found: "an integer" }"#]);
    check(ALL, "api: {base-url: [a]}\n", &[r#"api.base-url: WrongType { expected: "a string", found: "a list" }"#]);
    check(ALL, "limits: {distributor_usage_groups: {anything: {goes: here}}}\n", &[]);
    check(ALL, "limits: {ingestion_relabeling_rules: [{action: drop}]}\n", &[]);
    check(
        ALL,
        "limits: {ingestion_relabeling_rules: {action: drop}}\n",
        &[r#"limits.ingestion_relabeling_rules: WrongType { expected: "a list", found: "a mapping" }"#],
    );
    check(ALL, "compactor: ~\nserver: {}\n", &[]);
}

#[test]
fn secrets_are_not_shown() {
    let yaml = "storage: {s3: {secret_access_key: [hunter2], access_key_id: {a: b}}}\nmemberlist: {password: [x]}\n";
    let err = check_yaml(V1_18, yaml).unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    let Err(CheckError::Refused(refusal)) = check_yaml(V1_18, "storage: {s3: {secret_access_key: 1e3x, insecure: x}}")
    else {
        panic!()
    };
    // No problem with the secret (a string key takes any scalar); the other one shows its value.
    assert_eq!(refusal.problems.len(), 1);
    assert_eq!(refusal.problems[0].value.as_deref(), Some("x"));
}

#[test]
fn yaml_that_does_not_parse() {
    let err = check_yaml(V1_18, "a: [1, 2\nb: 3\n").unwrap_err();
    assert!(matches!(err, CheckError::Yaml(_)));
    assert_eq!(err.to_string(), "the configuration is not valid YAML");
    assert!(std::error::Error::source(&err).is_some());
}

/// Every message, as a person reads it.
#[test]
fn messages() {
    let yaml = "\
architecture_storage: v1
sever: {}
compactor:
  deletion_delay: 1d
  cleanup_interval: 0
limits:
  compactor_blocks_retention_period: 1.5d
memberlist:
  bind_port: '7946'
  join_members: [2001:db8::1:7946, 'h:x']
server: {http_listen_port: 1, http_listen_port: 2}
storage: {s3: {insecure: 1}}
";
    let mut out = String::new();
    for release in [V1_18, V2_2] {
        out.push_str(&check_yaml(release, yaml).unwrap_err().to_string());
        out.push_str("\n\n");
    }
    out.push_str(&check_yaml(V1_18, "- a\n").unwrap_err().to_string());
    out.push('\n');
    let many: String = (0..12).map(|i| format!("k{i}: x\n")).collect();
    out.push_str(&check_yaml(V1_18, &many).unwrap_err().to_string());
    insta::assert_snapshot!(out);
}

/// Many keys, some repeated: every repeat is found, in document order, and the check is linear in
/// the number of keys (a list of seen keys scanned for each key made 80,000 keys take 7 s; here
/// 100,000 would take minutes).
#[test]
fn many_keys_and_their_repeats() {
    let mut yaml = String::from("server:\n  http_listen_port: 4040\n");
    for i in 0..100_000 {
        yaml.push_str(&format!("k{i}: 1\n"));
    }
    yaml.push_str("k7: 2\nserver: {}\nk99999: 3\n");
    let problems = problems(V1_18, &yaml);
    assert_eq!(problems.len(), 100_003, "{:?}", &problems[..5]);
    assert_eq!(problems[0], "k0: UnknownKey { known_in: [] }");
    assert_eq!(problems[100_000..], ["k7: RepeatedKey", "server: RepeatedKey", "k99999: RepeatedKey"]);
}

/// A key path or value with control characters, or a very long one, reads as one short line:
/// escaped, and cut after 80 characters with its length.
#[test]
fn paths_and_values_are_escaped_and_cut() {
    let message = |yaml: &str| check_yaml(V1_18, yaml).unwrap_err().to_string();
    let escaped = message("\"a\\e[31m\\nb\": 1\nserver: {http_listen_port: \"x\\ty\\u202e\"}\n");
    assert_eq!(
        escaped,
        "Pyroscope 1.18.2 would refuse this configuration: `a\\u{1b}[31m\\nb`: Pyroscope 1.18.2 has no such key \
         (nor has any release known here); `server.http_listen_port` = `x\\ty\\u{202e}`: Pyroscope 1.18.2 reads \
         an integer here, not a string"
    );
    let long = "k".repeat(200_000);
    let message = message(&format!("? {long}\n: 1\n"));
    assert!(message.len() < 300, "{} bytes", message.len());
    assert!(
        message.contains(&format!("`{}…` (200000 bytes in all): Pyroscope 1.18.2 has no such key", "k".repeat(80))),
        "{message}"
    );
    let refusal = match check_yaml(V1_18, "\"a\\nb\": 1\n") {
        Err(CheckError::Refused(refusal)) => refusal,
        other => panic!("{other:?}"),
    };
    assert_eq!(refusal.problems[0].path, "a\nb", "the value keeps the path as it is");
    assert_eq!(refusal.problems[0].shown_path(), "`a\\nb`");
}
