//! The worker's check of the coordinator's `worker_config` before any write: each failure class,
//! and a valid configuration of each release.

use pyroscope_cluster_model::{Address, DatabagModel, ErrorChain, ProviderAppData};
use pyroscope_cluster_requirer::{CoordinatorState, InvalidData, PyroscopeRelease, Seen, ThisWorker};

const ME: &str = "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local";

/// What the Canonical coordinator renders (for `release`: with `architecture_storage: v1` from
/// 2.0 on, and `deletion_delay: 0s` where the decoder refuses the integer 0), listing this
/// worker and one other.
fn canonical(release: PyroscopeRelease) -> String {
    let architecture = if release.has_architecture_storage() { "architecture_storage: v1\n" } else { "" };
    let zero = if release.takes_int_zero_for_go_duration() { "0" } else { "0s" };
    format!(
        "api: {{}}\n{architecture}compactor:\n  cleanup_interval: 15m\n  deletion_delay: {zero}\n  sharding_ring:\n    \
         kvstore:\n      store: memberlist\ndistributor:\n  ring:\n    kvstore:\n      store: memberlist\ningester:\n  \
         lifecycler:\n    ring:\n      kvstore:\n        store: memberlist\n      replication_factor: 1\nlimits:\n  \
         compactor_blocks_retention_period: 30d\nmemberlist:\n  bind_port: 7946\n  join_members:\n  - {ME}:7946\n  - \
         10.1.2.3:7946\npyroscopedb:\n  data_path: /pyroscope-data\nserver:\n  http_listen_port: 4040\nstorage:\n  \
         backend: s3\n  s3:\n    access_key_id: '.inf'\n    bucket_name: pyroscope\n    endpoint: minio:9000\n    \
         insecure: true\n    secret_access_key: 1e3\nstore_gateway:\n  sharding_ring:\n    replication_factor: 1\n"
    )
}

/// The state a worker at `address` on `release` reads for `worker_config`, as a line:
/// `ready`, or the message of the invalid data.
fn read(release: PyroscopeRelease, address: &str, worker_config: &str) -> (String, CoordinatorState) {
    let address: Address = address.parse().expect("a valid address");
    let databag = ProviderAppData::new(worker_config).encode();
    let state =
        CoordinatorState::read_for(&databag, Seen::ValidData, &ThisWorker { pyroscope: release, address: &address });
    let line = match &state {
        CoordinatorState::Ready(_) => "ready".to_owned(),
        CoordinatorState::Invalid(why) => ErrorChain(&why).to_string(),
        other => format!("{other:?}"),
    };
    (line, state)
}

#[track_caller]
fn check(release: PyroscopeRelease, address: &str, worker_config: &str, expect: &str) {
    let (line, state) = read(release, address, worker_config);
    assert!(line.starts_with(expect), "{release} {address}:\n got  {line}\n want {expect}...\n{worker_config}");
    // Invalid data is never written, and takes nothing back: the worker keeps what it runs.
    assert_eq!(state.data().is_some(), expect == "ready");
    assert_eq!(Seen::ValidData.after(&state), Seen::ValidData);
}

#[test]
fn a_valid_configuration_of_each_release_is_ready() {
    for release in PyroscopeRelease::ALL {
        check(release, ME, &canonical(release), "ready");
    }
}

#[test]
fn yaml_that_does_not_parse() {
    for release in PyroscopeRelease::ALL {
        check(
            release,
            ME,
            "memberlist: {join_members: [a:7946\n",
            "invalid provider app databag: key `worker_config`: worker configuration is not valid YAML",
        );
    }
}

#[test]
fn keys_the_release_does_not_know() {
    // A 2.x configuration on a 1.18 worker: what the coordinator rendered before this check existed.
    let two = canonical(PyroscopeRelease::V2_0_6);
    for release in [PyroscopeRelease::V1_18_2, PyroscopeRelease::V1_19_3] {
        check(
            release,
            ME,
            &two,
            &format!(
                "Pyroscope {release} would refuse this configuration: `architecture_storage`: Pyroscope {release} has no \
                 such key (2.0.6, 2.2.1 have it)"
            ),
        );
    }
    let typo = canonical(PyroscopeRelease::V1_18_2).replace("http_listen_port", "http_listen_prot");
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &typo,
        "Pyroscope 1.18.2 would refuse this configuration: `server.http_listen_prot`: Pyroscope 1.18.2 has no such key",
    );
}

#[test]
fn values_the_decoder_refuses() {
    let one = canonical(PyroscopeRelease::V1_18_2);
    // `deletion_delay: 0`, as the Canonical coordinator writes it: 1.18 to 2.0 take it, 2.2 does not.
    check(PyroscopeRelease::V1_19_3, ME, &one, "ready");
    let two_with_zero = canonical(PyroscopeRelease::V2_2_1).replace("deletion_delay: 0s", "deletion_delay: 0");
    check(
        PyroscopeRelease::V2_2_1,
        ME,
        &two_with_zero,
        "Pyroscope 2.2.1 would refuse this configuration: `compactor.deletion_delay` = `0`: Pyroscope 2.2.1 \
         (go.yaml.in/yaml/v3 v3.0.4) refuses a YAML integer for a Go duration, even 0; write `0s`",
    );
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &one.replace("deletion_delay: 0", "deletion_delay: 1d"),
        "Pyroscope 1.18.2 would refuse this configuration: `compactor.deletion_delay` = `1d`: Pyroscope 1.18.2 reads a \
         Go duration here (time.ParseDuration), and this has the unit \"d\"",
    );
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &one.replace("bind_port: 7946", "bind_port: '7946'"),
        "Pyroscope 1.18.2 would refuse this configuration: `memberlist.bind_port` = `7946`: Pyroscope 1.18.2 reads an \
         integer here, not a string",
    );
    // What the Canonical coordinator writes for an IPv6 worker.
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &one.replace("- 10.1.2.3:7946", "- fd00::17:7946"),
        "Pyroscope 1.18.2 would refuse this configuration: `memberlist.join_members[1]` = `fd00::17:7946`: memberlist \
         cannot join this member: it has more than one colon without brackets",
    );
    // Secrets never show.
    let (line, _) =
        read(PyroscopeRelease::V1_18_2, ME, &one.replace("secret_access_key: 1e3", "secret_access_key: [1e3]"));
    assert!(
        line.contains("`storage.s3.secret_access_key`: Pyroscope 1.18.2 reads a string here, not a list"),
        "{line}"
    );
    assert!(!line.contains("1e3"), "{line}");
}

#[test]
fn join_members_without_this_worker() {
    let one = canonical(PyroscopeRelease::V1_18_2);
    check(
        PyroscopeRelease::V1_18_2,
        "pyroscope-worker-9.pyroscope-worker-endpoints.cos.svc.cluster.local",
        &one,
        "the coordinator's `memberlist.join_members` does not list this worker \
         (pyroscope-worker-9.pyroscope-worker-endpoints.cos.svc.cluster.local:7946): it has not counted this unit yet",
    );
    check(PyroscopeRelease::V1_18_2, "10.1.2.3", &one, "ready");
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &one.replace(&format!("  - {ME}:7946\n"), ""),
        "the coordinator's `memberlist.join_members` does not list this worker",
    );
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        "server: {http_listen_port: 4040}\n",
        "the coordinator's `memberlist.join_members` does not list this worker",
    );
    // The member is on the bind port the configuration gives.
    check(
        PyroscopeRelease::V1_18_2,
        ME,
        &one.replace("bind_port: 7946", "bind_port: 17946"),
        "the coordinator's `memberlist.join_members` does not list this worker (pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:17946)",
    );
    let moved =
        one.replace("bind_port: 7946", "bind_port: 17946").replace(&format!("{ME}:7946"), &format!("{ME}:17946"));
    check(PyroscopeRelease::V1_18_2, ME, &moved, "ready");
    // An IPv6 worker, in brackets; a host name in another case.
    let v6 = one.replace("- 10.1.2.3:7946", "- '[fd00:0::17]:7946'");
    check(PyroscopeRelease::V1_18_2, "fd00::17", &v6, "ready");
    check(PyroscopeRelease::V1_18_2, &ME.to_uppercase(), &one, "ready");
    // DNS service discovery may find this worker: not refused.
    let discovery = one.replace(&format!("{ME}:7946"), "dns+pyroscope-memberlist.cos.svc.cluster.local:7946");
    check(PyroscopeRelease::V1_18_2, ME, &discovery, "ready");
}

/// Every message, as a `blocked` status shows it.
#[test]
fn messages() {
    let one = canonical(PyroscopeRelease::V1_18_2);
    let cases = [
        (PyroscopeRelease::V1_18_2, ME, canonical(PyroscopeRelease::V2_2_1)),
        (PyroscopeRelease::V2_2_1, ME, one.clone()),
        (PyroscopeRelease::V1_18_2, "10.9.9.9", one.clone()),
        (PyroscopeRelease::V1_18_2, ME, "a: [".to_owned()),
    ];
    let lines: Vec<String> = cases
        .iter()
        .map(|(release, address, text)| format!("{release} {address}: {}", read(*release, address, text).0))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn invalid_data_is_typed() {
    let text = canonical(PyroscopeRelease::V2_2_1).replace("deletion_delay: 0s", "deletion_delay: 1d");
    let (_, state) = read(PyroscopeRelease::V1_18_2, ME, &text);
    let CoordinatorState::Invalid(InvalidData::Refused(refusal)) = state else { panic!("{state:?}") };
    assert_eq!(refusal.release, PyroscopeRelease::V1_18_2);
    let problems: Vec<(&str, Option<&str>)> =
        refusal.problems.iter().map(|problem| (problem.path.as_str(), problem.value.as_deref())).collect();
    assert_eq!(problems, [("architecture_storage", None), ("compactor.deletion_delay", Some("1d"))]);
}

/// A `worker_config` past a bound is refused before it is parsed, and the message names the
/// bound: a hostile or broken coordinator cannot stall the worker's hooks.
#[test]
fn past_a_bound_it_is_refused_before_parsing() {
    #[track_caller]
    fn refused(worker_config: &str, expect: &str) {
        let (line, state) = read(PyroscopeRelease::V1_18_2, ME, worker_config);
        let expect = format!("invalid provider app databag: key `worker_config` {expect}");
        assert!(line.starts_with(&expect), "\n got  {}\n want {expect}...", line.chars().take(300).collect::<String>());
        assert!(state.data().is_none());
    }
    // A million keys (10.9 MB): the size.
    let million: String = (0..1_000_000).map(|i| format!("k{i}: 1\n")).collect();
    refused(&million, "is 10888890 bytes long, more than the 4194304 a worker takes (bound: size)");
    // 100,001 keys in 1 MB, one a line or all on one: the entries.
    let many: String = (0..100_001).map(|i| format!("k{i}: 1\n")).collect();
    refused(&many, "has more than the 100000 entries a worker takes (bound: entries");
    let flow = format!("{{{}}}", (0..100_001).map(|i| format!("k{i}: 1")).collect::<Vec<_>>().join(", "));
    refused(&flow, "has more than the 100000 entries a worker takes (bound: entries");
    // 33 levels: the nesting.
    let deep: String = (0..33).map(|level| format!("{}k{level}:\n", " ".repeat(level * 2))).collect();
    refused(&deep, "nests deeper than the 32 levels a worker takes at line 33 (bound: nesting)");
}

/// The TLS values are checked before the worker uses them: the secret ID goes to `secret-get`,
/// the certificates to files Pyroscope reads.
#[test]
fn tls_values_of_the_wrong_form() {
    let v1 = PyroscopeRelease::V1_18_2;
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB+zCCAaGgAwIBAgIU\n-----END CERTIFICATE-----\n";
    let read = |ca: &str, server: &str, id: &str| {
        let address: Address = ME.parse().unwrap();
        let data = ProviderAppData {
            ca_cert: Some(ca.to_owned()),
            server_cert: Some(server.to_owned()),
            privkey_secret_id: Some(id.to_owned()),
            ..ProviderAppData::new(canonical(v1))
        };
        let state =
            CoordinatorState::read_for(&data.encode(), Seen::Nothing, &ThisWorker { pyroscope: v1, address: &address });
        match state {
            CoordinatorState::Ready(_) => "ready".to_owned(),
            CoordinatorState::Invalid(why) => ErrorChain(&why).to_string(),
            other => format!("{other:?}"),
        }
    };
    assert_eq!(read(cert, cert, "secret:cmn0vhv7n3es7ag2k7ug"), "ready");
    let not_uri = "invalid provider app databag: key `privkey_secret_id` is not a Juju secret URI";
    for id in ["--peek", "--label=x", "secret:abc"] {
        assert!(read(cert, cert, id).starts_with(not_uri), "{id}: {}", read(cert, cert, id));
    }
    let not_pem = "invalid provider app databag: key `ca_cert` is not PEM";
    assert!(read("CA", cert, "secret:cmn0vhv7n3es7ag2k7ug").starts_with(not_pem));
    let long = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "A".repeat(70_000));
    assert!(
        read(cert, &long, "secret:cmn0vhv7n3es7ag2k7ug")
            .starts_with("invalid provider app databag: key `server_cert` is longer than the 65536 bytes")
    );
}
