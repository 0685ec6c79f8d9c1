//! Byte parity with the Canonical coordinator: for every input whose Python output is valid for
//! Pyroscope, `worker_config` is the text the Python coordinator renders.
//!
//! - The 24 cases of `fixtures/coordinator-parity/` (see its README): inputs, and the exact text
//!   the real coordinator (canonical/pyroscope-operators 4cf22942b940) rendered for each.
//! - A proptest over the space of inputs the Python coordinator renders validly (its charm options'
//!   pattern `^(0|[0-9]+(y|w|d|h|m|s|ms))$` less d/w/y on the Go keys, host names and IPv4
//!   addresses, S3 strings whose PyYAML form `fixtures/pyyaml-scalars.json` gives). Its expected text
//!   is built by hand from the Python code (`coordinator/src/pyroscope.py`), not by this crate.
//! - Where the Python output is invalid, what this crate writes instead ([`deviations`]).

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag};
use pyroscope_cluster_provider::{
    Extras, Period, PyroscopeRelease, S3Settings, Settings, Snapshot, WorkerRelation, reconcile,
};
use serde::Deserialize;

/// A case's input: a `pyroscope-cluster reconcile` document.
#[derive(Deserialize)]
struct Input {
    settings: Settings,
    relations: Vec<WorkerRelation>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    input: Input,
    python_worker_config: String,
}

/// The `worker_config` this crate publishes for `settings` and `relations`.
fn worker_config(settings: &Settings, relations: Vec<WorkerRelation>) -> String {
    let outcome = reconcile(&Snapshot::from_iter(relations), settings, &Extras::default());
    if let Err(err) = &outcome.config {
        panic!("no configuration: {err}");
    }
    let plan = outcome.plan.expect("a plan");
    ProviderAppData::decode(plan.databag()).expect("the model decodes what it encoded").worker_config
}

fn cases() -> Vec<Case> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/coordinator-parity");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        })
        .collect()
}

#[test]
fn the_24_cases_are_byte_identical() {
    let cases = cases();
    assert_eq!(cases.len(), 24);
    let mut differ = Vec::new();
    for case in cases {
        assert_eq!(case.input.settings.pyroscope, PyroscopeRelease::V1_18_2, "{}: the default release", case.name);
        let ours = worker_config(&case.input.settings, case.input.relations);
        if ours != case.python_worker_config {
            differ.push(format!("{}:\n--- python\n{}\n--- ours\n{ours}", case.name, case.python_worker_config));
        }
    }
    assert!(differ.is_empty(), "{} cases differ:\n{}", differ.len(), differ.join("\n"));
}

// The independent model of the Python coordinator's output.

/// A unit's address in the parity space: a host name or an IPv4 literal.
fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,12}[a-z0-9](\\.[a-z][a-z0-9-]{0,8}[a-z0-9]){0,3}",
        (0u8..=255, 0u8..=255, 0u8..=255, 1u8..=254).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
    ]
}

/// A charm option value in the Python-valid space: `0` or a whole number with one unit.
fn option(units: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("0".to_owned()),
        // Up to 290: 293y is longer than Pyroscope holds, which the Python output then is not valid for.
        6 => (0u32..=290, proptest::sample::select(units)).prop_map(|(n, unit)| format!("{n}{unit}")),
    ]
}

/// Strings whose `yaml.dump` form, as a value at the S3 section's depth, PyYAML gave.
fn s3_scalars() -> &'static BTreeMap<String, String> {
    static SCALARS: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    SCALARS.get_or_init(|| {
        let text = include_str!("fixtures/pyyaml-scalars.json");
        serde_json::from_str(text).expect("the fixture is JSON")
    })
}

fn s3_string() -> impl Strategy<Value = String> {
    let keys: Vec<String> = s3_scalars().keys().cloned().collect();
    proptest::sample::select(keys)
}

/// An S3 endpoint as coordinated-workers derives it: `host[:port]`, which PyYAML writes plain
/// (a host name starts with a letter; an IPv4 literal with dots is no YAML 1.1 number).
fn endpoint() -> impl Strategy<Value = String> {
    (address(), proptest::option::of(1u16..=u16::MAX)).prop_map(|(host, port)| match port {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The role sets the worker apps of the proptest run: `all`, each role alone (in the order of
/// `Role::KNOWN`), and two pairs.
const ROLES: &[&str] = &[
    "all",
    "querier",
    "query-frontend",
    "query-scheduler",
    "ingester",
    "distributor",
    "compactor",
    "store-gateway",
    "tenant-settings",
    "ad-hoc-profiles",
    "ingester,querier",
    "compactor,store-gateway",
];

/// One worker app: roles, and unit addresses.
#[derive(Debug, Clone)]
struct App {
    roles: &'static str,
    addresses: Vec<String>,
}

fn app() -> impl Strategy<Value = App> {
    let roles = proptest::sample::select(ROLES);
    (roles, proptest::collection::vec(address(), 1..=4)).prop_map(|(roles, addresses)| App { roles, addresses })
}

#[derive(Debug, Clone)]
struct PythonInput {
    apps: Vec<App>,
    retention_period: String,
    deletion_delay: String,
    cleanup_interval: String,
    external_path: Option<String>,
    endpoint: String,
    bucket: String,
    access_key: String,
    secret_key: String,
    region: Option<String>,
    insecure: bool,
}

fn python_input() -> impl Strategy<Value = PythonInput> {
    let go_units: &'static [&'static str] = &["h", "m", "s", "ms"];
    let all_units: &'static [&'static str] = &["y", "w", "d", "h", "m", "s", "ms"];
    (
        proptest::collection::vec(app(), 1..=5),
        (option(all_units), option(go_units), option(go_units)),
        proptest::option::of("(/[a-z0-9-]{1,10}){1,2}/?"),
        (endpoint(), s3_string().prop_filter("a bucket name", |s| !s.is_empty()), s3_string(), s3_string()),
        proptest::option::of(s3_string()),
        any::<bool>(),
    )
        .prop_map(
            |(apps, (retention_period, deletion_delay, cleanup_interval), external_path, s3, region, insecure)| {
                let (endpoint, bucket, access_key, secret_key) = s3;
                PythonInput {
                    apps,
                    retention_period,
                    deletion_delay,
                    cleanup_interval,
                    external_path,
                    endpoint,
                    bucket,
                    access_key,
                    secret_key,
                    region,
                    insecure,
                }
            },
        )
}

/// What the Python coordinator renders for `input`: `Pyroscope.config()` and `yaml.dump`, by hand.
fn python_render(input: &PythonInput) -> String {
    let scalar = |s: &str| s3_scalars()[s].clone();
    fn roles_of(roles: &'static str) -> Vec<&'static str> {
        // `all` counts as each of the other roles.
        let every: Vec<&'static str> = ROLES[1..10].to_vec();
        roles.split(',').flat_map(|role| if role == "all" { every.clone() } else { vec![role] }).collect()
    }
    let mut addresses: Vec<&str> = input.apps.iter().flat_map(|app| app.addresses.iter().map(String::as_str)).collect();
    addresses.sort();
    addresses.dedup();
    let distinct_with = |role: &str| {
        let mut with: Vec<&str> = input
            .apps
            .iter()
            .filter(|app| roles_of(app.roles).contains(&role))
            .flat_map(|app| app.addresses.iter().map(String::as_str))
            .collect();
        with.sort();
        with.dedup();
        if with.len() >= 3 { 3 } else { 1 }
    };
    // `0` is the int 0 for the retention and the deletion delay (`_build_limits_config`,
    // `_build_compactor_config`), which PyYAML writes `0`; the cleanup interval stays the string
    // "0", which PyYAML quotes. Every other value is a string PyYAML writes plain.
    let cleanup = if input.cleanup_interval == "0" { "'0'".to_owned() } else { input.cleanup_interval.clone() };
    let api = match &input.external_path {
        Some(path) if path != "/" => format!("api:\n  base-url: {path}\n"),
        _ => "api: {}\n".to_owned(),
    };
    let mut out = api;
    out += &format!(
        "compactor:\n  cleanup_interval: {cleanup}\n  deletion_delay: {}\n  sharding_ring:\n    kvstore:\n      store: memberlist\n",
        input.deletion_delay
    );
    out += "distributor:\n  ring:\n    kvstore:\n      store: memberlist\n";
    out += &format!(
        "ingester:\n  lifecycler:\n    ring:\n      kvstore:\n        store: memberlist\n      replication_factor: {}\n",
        distinct_with("ingester")
    );
    out += &format!("limits:\n  compactor_blocks_retention_period: {}\n", input.retention_period);
    out += "memberlist:\n  bind_port: 7946\n  join_members:\n";
    for address in addresses {
        out += &format!("  - {address}:7946\n");
    }
    out += "pyroscopedb:\n  data_path: /pyroscope-data\nserver:\n  http_listen_port: 4040\n";
    out += "storage:\n  backend: s3\n  s3:\n";
    out += &format!("    access_key_id: {}\n", scalar(&input.access_key));
    out += &format!("    bucket_name: {}\n", scalar(&input.bucket));
    out += &format!("    endpoint: {}\n", input.endpoint);
    out += &format!("    insecure: {}\n", input.insecure);
    if let Some(region) = &input.region {
        out += &format!("    region: {}\n", scalar(region));
    }
    out += &format!("    secret_access_key: {}\n", scalar(&input.secret_key));
    out += &format!("store_gateway:\n  sharding_ring:\n    replication_factor: {}\n", distinct_with("store-gateway"));
    out
}

/// The same input for this crate.
fn rust_input(input: &PythonInput) -> (Settings, Vec<WorkerRelation>) {
    let settings = Settings {
        external_url: input.external_path.as_ref().map(|path| format!("https://pyro.example{path}")),
        s3: S3Settings {
            endpoint: input.endpoint.clone(),
            bucket_name: input.bucket.clone(),
            access_key_id: input.access_key.clone(),
            secret_access_key: input.secret_key.clone(),
            region: input.region.clone(),
            insecure: Some(input.insecure),
            tls_ca_chain: None,
        },
        retention_period: input.retention_period.parse::<Period>().expect("a charm option"),
        compactor_cleanup_interval: input.cleanup_interval.parse().expect("a charm option"),
        compactor_deletion_delay: input.deletion_delay.parse().expect("a charm option"),
        ..Settings::default()
    };
    let relations = input
        .apps
        .iter()
        .enumerate()
        .map(|(i, app)| {
            let name = format!("worker-{i}");
            let mut relation = common::worker(i as u32 + 1, &name, app.roles, 0);
            relation.units = app
                .addresses
                .iter()
                .enumerate()
                .map(|(n, address)| {
                    let unit = format!("{name}/{n}");
                    let databag: RawDatabag = common::unit_data(&name, &unit, address);
                    (unit, databag)
                })
                .collect();
            relation
        })
        .collect();
    (settings, relations)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        // Relative to the crate (where `cargo test` runs); commit what lands there.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/parity.txt"))),
        ..ProptestConfig::default()
    })]

    /// Any input in the space where the Python coordinator's output is valid for Pyroscope 1.18
    /// gives its bytes.
    #[test]
    fn any_python_valid_input_gives_the_python_bytes(input in python_input()) {
        let want = python_render(&input);
        let (settings, relations) = rust_input(&input);
        prop_assert_eq!(worker_config(&settings, relations), want);
    }
}

/// Where the Python output is refused by a release (`pyroscope_cluster_release::PYTHON_DEVIATIONS`,
/// which the generated docs list), it is, and this crate writes what the table says instead.
#[test]
fn deviations() {
    use pyroscope_cluster_release::PYTHON_DEVIATIONS;
    use pyroscope_cluster_release::check_yaml;

    /// One Python input per deviation: settings, whether the worker is on IPv6, what Python
    /// writes, the line we write instead per release.
    type Deviation = (Settings, bool, &'static str, Vec<(PyroscopeRelease, &'static str)>);
    let base = || Settings { s3: common::settings().s3, ..Settings::default() };
    let cases: Vec<Deviation> = vec![
        (
            Settings { compactor_deletion_delay: "0".parse().unwrap(), ..base() },
            false,
            "  deletion_delay: 0\n",
            vec![
                (PyroscopeRelease::V1_18_2, "  deletion_delay: 0\n"),
                (PyroscopeRelease::V2_0_6, "  deletion_delay: 0\n"),
                (PyroscopeRelease::V2_2_1, "  deletion_delay: 0s\n"),
            ],
        ),
        (
            Settings { compactor_deletion_delay: "1d".parse().unwrap(), ..base() },
            false,
            "  deletion_delay: 1d\n",
            PyroscopeRelease::ALL.iter().map(|r| (*r, "  deletion_delay: 24h\n")).collect(),
        ),
        (
            base(),
            true,
            "  - fd00::1:7946\n",
            PyroscopeRelease::ALL.iter().map(|r| (*r, "  - '[fd00::1]:7946'\n")).collect(),
        ),
        (
            base(),
            false,
            "api: {}\ncompactor:\n",
            vec![
                (PyroscopeRelease::V1_18_2, "api: {}\ncompactor:\n"),
                (PyroscopeRelease::V2_0_6, "api: {}\narchitecture_storage: v1\ncompactor:\n"),
                (PyroscopeRelease::V2_2_1, "api: {}\narchitecture_storage: v1\ncompactor:\n"),
            ],
        ),
    ];
    assert_eq!(cases.len(), PYTHON_DEVIATIONS.len());
    for ((settings, ipv6, python_line, ours), deviation) in cases.into_iter().zip(PYTHON_DEVIATIONS) {
        let mut relation = common::worker(1, "w", "all", 1);
        if ipv6 {
            relation.units = [("w/0".to_owned(), common::unit_data("w", "w/0", "fd00::1"))].into();
        }
        // What Python writes: our 1.18 rendering with the Python line put back.
        let ours_18 = worker_config(&settings, vec![relation.clone()]);
        let (_, our_line_18) = ours[0];
        assert!(ours_18.contains(our_line_18), "{}: {ours_18}", deviation.input);
        let python = ours_18.replacen(our_line_18, python_line, 1);
        for release in PyroscopeRelease::ALL {
            let refused = check_yaml(release, &python).is_err();
            // The architecture deviation is a misreading (the file is taken), the others refusals.
            let architecture = deviation.instead == "`architecture_storage: v1`";
            assert_eq!(
                refused && !architecture,
                deviation.refused_by.contains(&release) && !architecture,
                "{}: {release}: {python}",
                deviation.input
            );
        }
        for (release, line) in ours {
            let text = worker_config(&Settings { pyroscope: release, ..settings.clone() }, vec![relation.clone()]);
            assert!(text.contains(line), "{}: {release}: {text}", deviation.input);
            assert!(check_yaml(release, &text).is_ok());
            // The table says what is written: the value of the line (`24h`, `0s`, `'[fd00::1]:7946'`).
            let value = line.trim().trim_start_matches("- ").rsplit(": ").next().unwrap_or_default();
            assert!(deviation.instead.contains(value) || line.starts_with("api"), "{}: {value}", deviation.instead);
        }
    }
}
