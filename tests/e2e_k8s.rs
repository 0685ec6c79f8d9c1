//! The Kubernetes worker as a process under the fake Juju, its container a real Pebble
//! (`pebble run` in a temporary directory): the charm binary finds Pebble's socket, the
//! container's root and its FQDN through its environment alone, as its README says.

#[path = "../crates/pebble/tests/common/daemon.rs"]
mod daemon;
#[path = "support/mod.rs"]
mod support;

use pyroscope_cluster_fake_juju::{Processes, config_defaults};
use pyroscope_cluster_juju::testing::{HookSpec, Model};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData};
use pyroscope_cluster_pebble::{ChangeSelect, ServiceStatus};

const WORKER_K8S_YAML: &str = include_str!("../examples/charms/pyroscope-worker-k8s/charmcraft.yaml");

#[test]
fn the_k8s_worker_runs_through_pebble_as_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let pebble = daemon::Daemon::start();
    let root = pebble.root();
    let bin = std::path::Path::new(&root).join("usr/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("pyroscope"), "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(bin.join("pyroscope"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let juju = dir.path().join("juju");
    std::fs::create_dir_all(&juju).unwrap();
    let mut processes = Processes::new(&juju, env!("CARGO_BIN_EXE_e2e-fake-juju-tool").as_ref()).unwrap();
    processes
        .add_charm(
            support::COORDINATOR_CHARM,
            env!("CARGO_BIN_EXE_e2e-coordinator").as_ref(),
            &[("charmcraft.yaml", support::COORDINATOR_YAML)],
        )
        .unwrap();
    processes
        .add_charm(
            "pyroscope-worker-k8s",
            env!("CARGO_BIN_EXE_e2e-worker-k8s").as_ref(),
            &[("charmcraft.yaml", WORKER_K8S_YAML)],
        )
        .unwrap();
    let (socket, container_root) = (pebble.socket().display().to_string(), root.clone());
    processes.set_unit_env(move |_| {
        vec![
            ("PYROSCOPE_WORKER_PEBBLE_SOCKET".into(), socket.clone()),
            ("PYROSCOPE_WORKER_CONTAINER_ROOT".into(), container_root.clone()),
            ("PYROSCOPE_WORKER_FQDN".into(), "worker-0.test".into()),
        ]
    });

    let mut model = Model::new(support::new_state(), processes);
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    model.deploy("worker", Some("pyroscope-worker-k8s"), 1);
    model.state.apps.get_mut("worker").unwrap().config = config_defaults(WORKER_K8S_YAML).unwrap();
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    let id = model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
    model.settle().unwrap();

    let status = &model.state.apps["worker"].units["worker/0"].status;
    assert_eq!((status.name.as_str(), status.message.as_str()), ("active", "(all roles) ready."));
    let data = ProviderAppData::decode(&support::published(&model.state, id)).unwrap();
    let config = std::fs::read_to_string(format!("{root}/etc/worker/config.yaml")).unwrap();
    assert_eq!(config, data.worker_config, "pushed through Pebble into the container's root");
    let client = pebble.client();
    assert_eq!(client.services(&["pyroscope"]).unwrap()[0].current, ServiceStatus::Active);
    let changes = client.changes(ChangeSelect::All, Some("pyroscope")).unwrap();
    assert_eq!(changes.len(), 1, "started once: {changes:?}");

    // A hook where nothing changed, as a process: nothing written to Pebble, nothing restarted.
    model.run(HookSpec::simple("worker/0", "update-status")).unwrap();
    let calls: Vec<&str> = model.history.last().unwrap().calls.iter().map(|call| call.argv[0].as_str()).collect();
    // The hook cache (a file in the unit's charm directory) answers the rest: 10 calls without it.
    assert_eq!(calls, ["config-get", "relation-ids", "network-get", "is-leader"], "a no-change hook's calls");
    assert_eq!(client.changes(ChangeSelect::All, Some("pyroscope")).unwrap().len(), 1);
}
