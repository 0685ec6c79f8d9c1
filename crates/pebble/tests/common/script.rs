//! One session with Pebble that makes every call of the client, with its success and its
//! failures, asserting what each answers. The live test runs it against the real daemon and
//! records it; the recorded test replays that recording through it.
//!
//! What it asserts holds on any run: checks are added last, so the services' change IDs do
//! not depend on when checks ran, and their checks run hourly with a threshold of 3, so none
//! can be down yet.

use std::collections::BTreeMap;
use std::time::Duration;

use pyroscope_cluster_pebble::{
    Change, ChangeSelect, Check, CheckInfo, CheckLevel, CheckStatus, Client, ExecCheck, FileType, HttpCheck, Layer,
    LayerMode, ListFilesOptions, MakeDirOptions, Override, PebbleError, PushOptions, Removal, Service, ServiceAction,
    ServiceStatus, Startup, TcpCheck, Transport,
};

const WAIT: Duration = Duration::from_secs(60);

/// The services' layer: a long-running service with an awkward environment, and one that
/// exits at once.
pub fn services_layer() -> Layer {
    let environment: BTreeMap<String, String> = [
        ("PLAIN", "value"),
        ("NUMBER", "1"),
        ("BOOL", "on"),
        ("QUOTES", "it's \"quoted\""),
        ("COLON", "a: b"),
        ("MULTILINE", "first\nsecond\n"),
        ("EMPTY", ""),
        ("UNICODE", "é 日本 😀"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect();
    let mut layer = Layer { summary: "services".into(), ..Layer::default() };
    layer.services.insert(
        "sleeper".into(),
        Service {
            override_: Some(Override::Replace),
            summary: "sleeps".into(),
            command: "sleep 600".into(),
            startup: Some(Startup::Enabled),
            environment,
            kill_delay: Some("2s".parse().unwrap()),
            backoff_factor: Some(1.5),
            ..Service::default()
        },
    );
    layer.services.insert(
        "failer".into(),
        Service {
            override_: Some(Override::Replace),
            command: "/bin/sh -c 'exit 3'".into(),
            startup: Some(Startup::Disabled),
            on_failure: Some(ServiceAction::Ignore),
            after: vec!["sleeper".into()],
            ..Service::default()
        },
    );
    layer
}

/// The checks' layer: one of each kind, none of which can be down within the test.
pub fn checks_layer() -> Layer {
    let hourly = Some("1h".parse().unwrap());
    let mut layer = Layer::default();
    layer.checks.insert(
        "ready".into(),
        Check {
            override_: Some(Override::Replace),
            level: Some(CheckLevel::Ready),
            period: hourly,
            http: Some(HttpCheck { url: "http://127.0.0.1:9/ready".into(), headers: BTreeMap::new() }),
            ..Check::default()
        },
    );
    layer.checks.insert(
        "port".into(),
        Check {
            override_: Some(Override::Replace),
            level: Some(CheckLevel::Alive),
            period: hourly,
            threshold: 3,
            tcp: Some(TcpCheck { port: 9, host: "127.0.0.1".into() }),
            ..Check::default()
        },
    );
    layer.checks.insert(
        "off".into(),
        Check {
            override_: Some(Override::Replace),
            startup: Some(Startup::Disabled),
            exec: Some(ExecCheck { command: "true".into(), ..ExecCheck::default() }),
            ..Check::default()
        },
    );
    layer
}

#[track_caller]
fn file_error<T: std::fmt::Debug>(outcome: Result<T, PebbleError>, kind: &str) {
    match outcome {
        Err(PebbleError::File { kind: Some(found), .. }) if found == kind => {}
        other => panic!("expected a file error of kind {kind}, got {other:?}"),
    }
}

#[track_caller]
fn api_error<T: std::fmt::Debug>(outcome: Result<T, PebbleError>, status: u16, message: &str) -> Option<String> {
    match outcome {
        Err(PebbleError::Api { status: found, kind, message: text, .. })
            if found == status && text.contains(message) =>
        {
            kind
        }
        other => panic!("expected an API error {status} saying {message:?}, got {other:?}"),
    }
}

fn status_of<T: Transport>(client: &Client<T>, service: &str) -> ServiceStatus {
    client.services(&[service]).unwrap().into_iter().next().unwrap().current
}

#[track_caller]
fn done(change: Change) -> Change {
    assert!(change.ready, "{change:?}");
    assert_eq!(change.status, "Done", "{change:?}");
    change
}

/// Every call of the client, against Pebble or its recording, with `root` the directory its
/// files go under.
pub fn run<T: Transport>(client: &Client<T>, root: &str) {
    // System info.
    let info = client.system_info().unwrap();
    assert_eq!(info.version, "v1.32.1");
    assert!(!info.boot_id.is_empty());

    // Directories.
    let etc = format!("{root}/etc/worker");
    client
        .make_dir(&etc, &MakeDirOptions { make_parents: true, permissions: Some(0o750), ..Default::default() })
        .unwrap();
    file_error(client.make_dir(&etc, &MakeDirOptions::default()), "generic-file-error");
    file_error(client.make_dir(&format!("{root}/missing/child"), &MakeDirOptions::default()), "not-found");

    // Push and pull: a small secret file, and one large enough for a chunked answer.
    let config = format!("{etc}/config.yaml");
    let secret = PushOptions { permissions: Some(0o600), ..PushOptions::default() };
    client.push(&config, b"server:\n  http_listen_port: 4040\n", &secret).unwrap();
    assert_eq!(client.pull(&config).unwrap(), b"server:\n  http_listen_port: 4040\n");
    // Past the 4 KiB that Go's server buffers before it answers in chunks.
    let large: Vec<u8> = (0..600).flat_map(|i| format!("line {i:03}\n").into_bytes()).collect();
    let large_path = format!("{root}/var/lib/large.txt");
    file_error(client.push(&large_path, b"no parent", &PushOptions::default()), "not-found");
    client.push(&large_path, &large, &PushOptions { make_dirs: true, ..PushOptions::default() }).unwrap();
    assert_eq!(client.pull(&large_path).unwrap(), large);
    file_error(client.pull(&format!("{root}/absent")), "not-found");
    assert!(matches!(client.push("relative/path", b"", &PushOptions::default()), Err(PebbleError::File { .. })));
    assert!(matches!(
        client.push(&config, b"", &PushOptions { permissions: Some(0o1777), ..PushOptions::default() }),
        Err(PebbleError::Invalid { .. })
    ));

    // Listing.
    let listed = client.list_files(&etc, &ListFilesOptions::default()).unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!((listed[0].name.as_str(), &listed[0].type_), ("config.yaml", &FileType::File));
    assert_eq!((listed[0].permissions, listed[0].size), (0o600, Some(33)));
    assert_eq!(listed[0].path, config);
    let itself = client.list_files(&etc, &ListFilesOptions { itself: true, ..Default::default() }).unwrap();
    assert_eq!((itself.len(), &itself[0].type_, itself[0].permissions), (1, &FileType::Directory, 0o750));
    let matching = ListFilesOptions { pattern: Some("*.json".into()), ..Default::default() };
    assert!(client.list_files(&etc, &matching).unwrap().is_empty());
    let kind =
        api_error(client.list_files(&format!("{root}/absent"), &ListFilesOptions::default()), 404, "no such file");
    assert_eq!(kind.as_deref(), Some("not-found"));

    // Removing.
    client.remove_path(&config, Removal::One).unwrap();
    file_error(client.remove_path(&config, Removal::One), "not-found");
    client.remove_path(&format!("{root}/var"), Removal::Recursive).unwrap();
    assert!(client.list_files(&format!("{root}/var"), &ListFilesOptions::default()).is_err());

    // Layers and the plan.
    assert!(client.plan().unwrap().services.is_empty());
    let services = services_layer();
    client.add_layer("services", &services, LayerMode::Combine).unwrap();
    api_error(client.add_layer("services", &services, LayerMode::Append), 400, "already exists");
    let mut no_override = Layer::default();
    no_override.services.insert("bad".into(), Service { command: "true".into(), ..Service::default() });
    api_error(client.add_layer("bad", &no_override, LayerMode::Combine), 400, "override");
    let plan = client.plan().unwrap();
    assert_eq!(plan.services, services.services);
    assert!(plan.checks.is_empty());
    assert!(plan.includes(&services));
    let mut changed = services.clone();
    changed.services.get_mut("sleeper").unwrap().environment.insert("PLAIN".into(), "other".into());
    assert!(!plan.includes(&changed));

    // Services and changes.
    let listed = client.services(&[]).unwrap();
    let names: Vec<_> = listed.iter().map(|service| (service.name.as_str(), &service.current)).collect();
    assert_eq!(names, [("failer", &ServiceStatus::Inactive), ("sleeper", &ServiceStatus::Inactive)]);
    let replan = done(client.wait_change(&client.replan().unwrap(), WAIT).unwrap());
    assert_eq!(replan.kind, "replan");
    assert_eq!(status_of(client, "sleeper"), ServiceStatus::Active);
    done(client.wait_change(&client.stop(&["sleeper"]).unwrap(), WAIT).unwrap());
    assert_eq!(status_of(client, "sleeper"), ServiceStatus::Inactive);
    done(client.wait_change(&client.start(&["sleeper"]).unwrap(), WAIT).unwrap());
    assert_eq!(status_of(client, "sleeper"), ServiceStatus::Active);
    // A restart takes at least Pebble's one-second start check: a millisecond's wait ends first.
    let restart = client.restart(&["sleeper"]).unwrap();
    match client.wait_change(&restart, Duration::from_millis(1)) {
        Err(PebbleError::Timeout { id, .. }) => assert_eq!(id, restart),
        other => panic!("expected a timeout, got {other:?}"),
    }
    let restarted = done(client.wait_change(&restart, WAIT).unwrap());
    assert_eq!(client.change(&restart).unwrap(), restarted);
    assert!(restarted.tasks.len() >= 2, "{restarted:?}");
    // A replan with nothing changed still makes a change: a start task that finds the service
    // running, and no stop.
    let no_change = done(client.wait_change(&client.replan().unwrap(), WAIT).unwrap());
    assert_eq!(no_change.tasks.iter().map(|task| task.kind.as_str()).collect::<Vec<_>>(), ["start"]);
    assert!(no_change.log().iter().any(|line| line.ends_with("Service \"sleeper\" already started.")), "{no_change:?}");
    match client.wait_change(&client.start(&["failer"]).unwrap(), WAIT) {
        Err(PebbleError::ChangeFailed { change }) => {
            assert_eq!(change.kind, "start");
            assert!(change.err.as_deref().unwrap_or_default().contains("exited quickly with code 3"), "{change:?}");
            assert!(change.log().iter().any(|line| line.contains("exited quickly")), "{change:?}");
        }
        other => panic!("expected a failed change, got {other:?}"),
    }
    api_error(client.start(&["nope"]), 400, "\"nope\" does not exist");
    api_error(client.wait_change(&"999".parse().unwrap(), WAIT), 404, "cannot find change");
    // Pebble lists changes in a Go map's order.
    let mut changes = client.changes(ChangeSelect::All, Some("sleeper")).unwrap();
    changes.sort_by_key(|change| change.id.as_str().parse::<u64>().unwrap());
    let kinds: Vec<&str> = changes.iter().map(|change| change.kind.as_str()).collect();
    assert_eq!(kinds, ["replan", "stop", "start", "restart", "replan"]);
    assert!(client.changes(ChangeSelect::InProgress, None).unwrap().is_empty());
    assert_eq!(client.changes(ChangeSelect::Ready, None).unwrap().len(), 6);

    // Checks, with their status.
    client.add_layer("checks", &checks_layer(), LayerMode::Combine).unwrap();
    let plan = client.plan().unwrap();
    assert_eq!(plan.checks["ready"].threshold, 3, "Pebble fills in the default threshold");
    assert_eq!(plan.checks["port"], checks_layer().checks["port"]);
    assert!(plan.includes(&checks_layer()) && plan.includes(&services), "{plan:?}");
    let checks = client.checks(None, &[]).unwrap();
    let statuses: Vec<(&str, &CheckStatus, Option<CheckLevel>)> =
        checks.iter().map(|check| (check.name.as_str(), &check.status, check.level)).collect();
    assert_eq!(
        statuses,
        [
            ("off", &CheckStatus::Inactive, None),
            ("port", &CheckStatus::Up, Some(CheckLevel::Alive)),
            ("ready", &CheckStatus::Up, Some(CheckLevel::Ready)),
        ]
    );
    let ready: Vec<CheckInfo> = client.checks(Some(CheckLevel::Ready), &[]).unwrap();
    assert_eq!(ready.iter().map(|check| check.name.as_str()).collect::<Vec<_>>(), ["ready"]);
    let named = client.checks(None, &["off", "port"]).unwrap();
    assert_eq!(named.iter().map(|check| check.name.as_str()).collect::<Vec<_>>(), ["off", "port"]);
    assert_eq!(named[0].startup, Startup::Disabled);
}
