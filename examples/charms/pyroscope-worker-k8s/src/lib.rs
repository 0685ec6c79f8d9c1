//! An example Pyroscope worker charm in Rust for Kubernetes, the requirer of `pyroscope_cluster`:
//! the counterpart of Canonical's `worker/` charm (canonical/pyroscope-operators), which drives
//! Pyroscope in its `pyroscope` container through Pebble.
//!
//! Every hook does the whole job, as the machine worker does: read its `role-*` options, publish
//! its roles (leader) and its address and topology (every unit), read the coordinator's data; then,
//! through Pebble, push the configuration (`/etc/worker/config.yaml`, owner-only: it holds the
//! S3 credentials) and the TLS files where coordinated-workers' `worker.py` puts them, keep the
//! layer `pyroscope` in the plan (the service and its `ready` check, shaped as Canonical's
//! `worker/src/pyroscope.py` and `worker.py` make them), and restart Pyroscope only when the
//! change needs it:
//!
//! - the layer changed (roles, the v2 flags, the tracing environment): add it and replan, which
//!   restarts the service;
//! - the configuration changed beyond the gossip ring, or a TLS file changed: restart;
//! - only the gossip ring (`memberlist.join_members`) changed: push, no restart;
//! - nothing changed: nothing is written to Pebble (it is read: the config file, the plan and the
//!   `ready` check).
//!
//! Before the container is up (Pebble's socket absent or refusing), the unit waits, saying so;
//! `pyroscope-pebble-ready` then runs the same reconciliation. A configuration the worker's
//! release refuses is not pushed (blocked, saying why). When the coordinator goes, the service
//! is stopped and the files are removed; so they are while no role is set. A `ready` check that is down blocks the unit, as the
//! Python worker does.
//!
//! The environment redirects the charm, so that it runs under the fake Juju with a real Pebble
//! in a temporary directory ([`ContainerSettings::from_env`]):
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | `PYROSCOPE_WORKER_PEBBLE_SOCKET` | `/charm/containers/pyroscope/pebble.socket` | Pebble's socket |
//! | `PYROSCOPE_WORKER_CONTAINER_ROOT` | (empty) | prefixed to every path in the container: the files pushed, the binary and the config file of the command |
//! | `PYROSCOPE_WORKER_FQDN` | `hostname --fqdn` | the host of the `ready` check's URL (Python: `socket.getfqdn()`) |

use std::process::ExitCode;

use pyroscope_cluster_juju::{
    Event, HookContext, HookTools, LogLevel, Runner, StatusName, StatusTarget, ToolError, error_chain,
};
use pyroscope_cluster_model::{CLUSTER_ENDPOINT, JujuTopology};
use pyroscope_cluster_pebble::{
    Check, CheckLevel, CheckStatus, Client, HttpCheck, Layer, LayerMode, Override, PebbleError, PushOptions, Removal,
    Service, ServiceStatus, Startup, Transport,
};
use pyroscope_cluster_requirer::{Announcement, Command, ConfigChange, CoordinatorState, Seen, ThisWorker};
use pyroscope_cluster_worker::{
    CoordinatorRelation, WorkerOptions, coordinator_relation, private_key, publish, read_coordinator, read_options,
    sync_ports,
};

/// The charm's name, in the topology it publishes.
pub const CHARM_NAME: &str = "pyroscope-worker-k8s";
/// The workload container, and the Pebble service and layer that run Pyroscope in it (the names
/// Canonical's worker uses: `PyroscopeWorker._name`).
pub const CONTAINER: &str = "pyroscope";
/// The Pebble service, and the label of the layer.
pub const SERVICE: &str = "pyroscope";
/// The readiness check (coordinated-workers `Worker.readiness_check_name`).
pub const READY_CHECK: &str = "ready";
/// The configuration file in the container (coordinated-workers `worker.py`, `CONFIG_FILE`).
pub const CONFIG_FILE: &str = "/etc/worker/config.yaml";
/// The Pyroscope binary in the image (Canonical's `pyroscope.py` layer command).
pub const PYROSCOPE_BIN: &str = "/usr/bin/pyroscope";
/// Pyroscope's HTTP port, of the `ready` check (`pyroscope.py`, `API_PORT`).
pub const API_PORT: u16 = 4040;
/// The TLS files, in `worker.py`'s order: the CA as `CLIENT_CA_FILE`, the server certificate as
/// `CERT_FILE`, the private key as `KEY_FILE`, and the CA again as `ROOT_CA_CERT`.
pub const TLS_FILES: [&str; 4] = [
    "/etc/worker/ca.cert",
    "/etc/worker/server.cert",
    "/etc/worker/private.key",
    "/usr/local/share/ca-certificates/ca.crt",
];
/// How long a hook waits for Pebble to (re)start or stop Pyroscope.
pub const CHANGE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Where the charm finds Pebble and the container's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSettings {
    /// Pebble's socket.
    pub socket: String,
    /// Prefixed to every path in the container (empty in a real deployment).
    pub container_root: String,
    /// The host of the `ready` check's URL.
    pub fqdn: String,
}

impl ContainerSettings {
    /// The settings from the environment (see the crate docs), with a real deployment's defaults.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        Self {
            socket: var("PYROSCOPE_WORKER_PEBBLE_SOCKET")
                .unwrap_or_else(|| format!("/charm/containers/{CONTAINER}/pebble.socket")),
            container_root: var("PYROSCOPE_WORKER_CONTAINER_ROOT").unwrap_or_default(),
            fqdn: var("PYROSCOPE_WORKER_FQDN").unwrap_or_else(host_fqdn),
        }
    }

    /// A path in the container.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.container_root)
    }
}

/// `hostname --fqdn`, or `localhost` when it cannot say.
fn host_fqdn() -> String {
    std::process::Command::new("hostname")
        .arg("--fqdn")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .map(|text| text.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Why a hook failed as a whole (Juju retries it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum K8sHookError {
    /// A hook tool failed.
    #[error("a hook tool failed")]
    Tool(#[from] ToolError),
    /// Pebble failed (other than not being up, which is a status).
    #[error("{0} failed")]
    Pebble(String, #[source] Box<PebbleError>),
}

/// What a hook ends with: a status, or Pebble not up yet (a status too, decided in one place).
enum Outcome {
    Status(StatusName, String),
    NotReady,
}

/// `result`, with Pebble not being up turned into [`Outcome::NotReady`] for the caller to return.
fn outcome_of<T>(what: &str, result: Result<T, PebbleError>) -> Result<Result<T, Outcome>, K8sHookError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(err) if err.is_not_ready() => Ok(Err(Outcome::NotReady)),
        Err(err) => Err(K8sHookError::Pebble(what.to_owned(), Box::new(err))),
    }
}

/// Unwraps an [`outcome_of`] result, returning its outcome from the function when Pebble is not up.
macro_rules! up {
    ($what:expr, $result:expr) => {
        match outcome_of($what, $result)? {
            Ok(value) => value,
            Err(outcome) => return Ok(outcome),
        }
    };
}

/// One hook of the worker; returns the status it set.
pub fn hook<R: Runner, T: Transport>(
    context: &HookContext,
    tools: &mut HookTools<R>,
    pebble: &Client<T>,
    settings: &ContainerSettings,
) -> Result<(StatusName, String), K8sHookError> {
    if let Event::Unknown { hook } = &context.event
        && hook != &format!("{CONTAINER}-pebble-ready")
    {
        tools.log(LogLevel::Debug, &format!("hook {hook} is not one this charm knows; reconciling as on any hook"))?;
    }
    let (status, message) = match reconcile(context, tools, pebble, settings)? {
        Outcome::Status(status, message) => (status, message),
        Outcome::NotReady => {
            (StatusName::Waiting, format!("waiting for the {CONTAINER} container: its Pebble is not up yet"))
        }
    };
    tools.status_set(StatusTarget::Unit, status, &message)?;
    Ok((status, message))
}

fn reconcile<R: Runner, T: Transport>(
    context: &HookContext,
    tools: &mut HookTools<R>,
    pebble: &Client<T>,
    settings: &ContainerSettings,
) -> Result<Outcome, K8sHookError> {
    let WorkerOptions { roles, pyroscope: release } = read_options(tools)?;
    let relation = match coordinator_relation(tools, context)? {
        CoordinatorRelation::None => {
            return teardown(tools, pebble, settings, "no coordinator: relate this worker to a Pyroscope coordinator");
        }
        CoordinatorRelation::One(relation) => relation,
        CoordinatorRelation::Many(many) => {
            let message = format!("related to {many} coordinators; relate to one");
            return Ok(Outcome::Status(StatusName::Blocked, message));
        }
    };

    let address = tools.network_get(CLUSTER_ENDPOINT)?.ingress_addresses.into_iter().next().unwrap_or_default();
    let address = match address.parse() {
        Ok(address) => address,
        Err(err) => {
            let message = format!("network-get gave no usable address: {}", error_chain(&err));
            return Ok(Outcome::Status(StatusName::Blocked, message));
        }
    };
    let topology = JujuTopology {
        application: context.app.clone(),
        unit: context.unit.clone(),
        charm_name: CHARM_NAME.into(),
        model: None,
        model_uuid: None,
    };
    let announcement = Announcement { roles: roles.clone().ok(), address, juju_topology: topology };
    let (_, databag) = match publish(tools, &relation, &announcement).and_then(|_| read_coordinator(tools, &relation)) {
        Ok(read) => read,
        Err(err) if err.is_relation_gone() => {
            return teardown(tools, pebble, settings, "the coordinator relation is gone");
        }
        Err(err) => return Err(err.into()),
    };
    let pyroscope = match release {
        Ok(release) => release,
        Err(problem) => return Ok(Outcome::Status(StatusName::Blocked, error_chain(&problem))),
    };

    // The one read every hook makes of the container: the config file as it is.
    let config_file = settings.path(CONFIG_FILE);
    let on_disk = up!("reading the config file", pull_if_there(pebble, &config_file));
    let seen = Seen::from_config_file_exists(on_disk.is_some());
    let this = ThisWorker { pyroscope, address: &announcement.address };
    let data = match CoordinatorState::read_for(&databag, seen, &this) {
        CoordinatorState::NotPublished => {
            let message = "waiting for the coordinator to publish the configuration".to_owned();
            return Ok(Outcome::Status(StatusName::Waiting, message));
        }
        CoordinatorState::Removed => {
            return teardown(tools, pebble, settings, "the coordinator withdrew the configuration");
        }
        CoordinatorState::Invalid(why) => {
            let line =
                format!("the coordinator's data is invalid (Pyroscope keeps running as it was): {}", error_chain(&why));
            tools.log(LogLevel::Error, &line)?;
            return Ok(Outcome::Status(StatusName::Blocked, line));
        }
        CoordinatorState::Ready(data) => data,
    };
    let roles = match roles {
        Ok(roles) => roles,
        // As coordinated-workers does when a worker has no role: stop, and remove the files, so
        // that the roles' return pushes them again and starts Pyroscope.
        Err(err) => return teardown(tools, pebble, settings, &error_chain(&err)),
    };

    // The files.
    let change = ConfigChange::decide(on_disk.as_deref(), data.config());
    if change.needs_write() {
        let owner_only = PushOptions { make_dirs: true, permissions: Some(0o600), ..PushOptions::default() };
        up!("pushing the config file", pebble.push(&config_file, data.config().text().as_bytes(), &owner_only));
    }
    let mut tls_changed = false;
    if let Some(tls) = data.tls() {
        let key = match private_key(tools, tls.privkey_secret_id) {
            Ok(key) => key,
            Err(err) => return Ok(Outcome::Status(StatusName::Waiting, format!("TLS: {}", error_chain(&err)))),
        };
        let contents = [tls.ca_cert, tls.server_cert, key.as_str(), tls.ca_cert];
        for (path, text) in TLS_FILES.iter().zip(contents) {
            let path = settings.path(path);
            if up!("reading a TLS file", pull_if_there(pebble, &path)).as_deref() != Some(text) {
                let permissions = if path.ends_with(".key") { 0o600 } else { 0o644 };
                let options = PushOptions { make_dirs: true, permissions: Some(permissions), ..PushOptions::default() };
                up!("pushing a TLS file", pebble.push(&path, text.as_bytes(), &options));
                tls_changed = true;
            }
        }
    }

    // The layer, and the restart rule.
    let command = Command::for_worker(&config_file, &roles, data.config().architecture(), &announcement.address);
    let layer = layer(settings, &command, data.workload_tracing_receivers(), context);
    let plan = up!("reading the plan", pebble.plan());
    if !plan.includes(&layer) {
        tools.log(LogLevel::Info, "the Pebble layer changed: adding it and replanning")?;
        up!("adding the layer", pebble.add_layer(SERVICE, &layer, LayerMode::Combine));
        let id = up!("replanning", pebble.replan());
        if let Some(outcome) = up!("replanning", wait(pebble, &id)) {
            return Ok(outcome);
        }
    } else if change.needs_restart() || tls_changed {
        tools.log(LogLevel::Info, &format!("restarting Pyroscope: {change}"))?;
        let id = up!("restarting Pyroscope", pebble.restart(&[SERVICE]));
        if let Some(outcome) = up!("restarting Pyroscope", wait(pebble, &id)) {
            return Ok(outcome);
        }
    } else if change.needs_write() {
        tools.log(LogLevel::Info, &change.to_string())?;
    }
    sync_ports(tools, data.worker_ports())?;

    Ok(up!("reading the checks", ready_status(pebble, &roles.to_sorted_string())))
}

/// The status once Pyroscope runs: blocked while its `ready` check is down, active otherwise,
/// in the Python worker's words (coordinated-workers `worker.py`, `_on_collect_status`).
fn ready_status<T: Transport>(pebble: &Client<T>, roles: &str) -> Result<Outcome, PebbleError> {
    let checks = pebble.checks(None, &[READY_CHECK])?;
    if checks.iter().any(|check| check.status == CheckStatus::Down) {
        let message = format!("Pebble check [{READY_CHECK}] is 'DOWN'.");
        return Ok(Outcome::Status(StatusName::Blocked, message));
    }
    let message = if roles == "all" { "(all roles) ready.".to_owned() } else { format!("{roles} ready.") };
    Ok(Outcome::Status(StatusName::Active, message))
}

/// Waits for a change; a failed one is a blocked status with Pebble's error.
fn wait<T: Transport>(
    pebble: &Client<T>,
    id: &pyroscope_cluster_pebble::ChangeId,
) -> Result<Option<Outcome>, PebbleError> {
    match pebble.wait_change(id, CHANGE_TIMEOUT) {
        Ok(_) => Ok(None),
        Err(PebbleError::ChangeFailed { change }) => Ok(Some(Outcome::Status(
            StatusName::Blocked,
            format!("Pyroscope did not start: {}", change.err.as_deref().unwrap_or("Pebble gave no reason")),
        ))),
        Err(err) => Err(err),
    }
}

/// The layer `pyroscope`: Canonical's (`pyroscope.py`, `PyroscopeWorker.layer`, with
/// `worker.py`'s `_add_readiness_check`), with this crate's command (the requirer's: the v2
/// flags where the coordinator runs v2).
pub fn layer(
    settings: &ContainerSettings,
    command: &Command,
    tracing: Option<&pyroscope_cluster_model::StringMap>,
    context: &HookContext,
) -> Layer {
    let mut argv = command.argv().to_vec();
    argv[0] = settings.path(PYROSCOPE_BIN);
    let mut environment = std::collections::BTreeMap::new();
    if let Some(endpoint) = tracing.and_then(|receivers| receivers.get("jaeger_thrift_http")) {
        environment.insert("JAEGER_ENDPOINT".to_owned(), format!("{endpoint}/api/traces?format=jaeger.thrift"));
        environment.insert("JAEGER_SAMPLER_PARAM".to_owned(), "1".to_owned());
        environment.insert("JAEGER_SAMPLER_TYPE".to_owned(), "const".to_owned());
        environment.insert(
            "JAEGER_TAGS".to_owned(),
            format!(
                "juju_application={},juju_model={},juju_model_uuid={},juju_unit={},juju_charm={CHARM_NAME}",
                context.app,
                context.model.as_deref().unwrap_or_default(),
                context.model_uuid.as_deref().unwrap_or_default(),
                context.unit,
            ),
        );
    }
    let mut layer = Layer {
        summary: "pyroscope worker layer".into(),
        description: "pebble config layer for pyroscope worker".into(),
        ..Layer::default()
    };
    layer.services.insert(
        SERVICE.into(),
        Service {
            override_: Some(Override::Replace),
            summary: "pyroscope worker process".into(),
            command: argv.iter().map(|word| shell_word(word)).collect::<Vec<_>>().join(" "),
            startup: Some(Startup::Enabled),
            environment,
            ..Service::default()
        },
    );
    layer.checks.insert(
        READY_CHECK.into(),
        Check {
            override_: Some(Override::Replace),
            level: Some(CheckLevel::Ready),
            threshold: 3,
            http: Some(HttpCheck {
                url: format!("http://{}:{API_PORT}/ready", settings.fqdn),
                headers: Default::default(),
            }),
            ..Check::default()
        },
    );
    layer
}

/// A word of a Pebble command, quoted when Pebble's shell-like split would break it.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./,:@%+".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The file at `path`, `None` when it is not there.
fn pull_if_there<T: Transport>(pebble: &Client<T>, path: &str) -> Result<Option<String>, PebbleError> {
    match pebble.pull(path) {
        Ok(bytes) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
        Err(err) if err.kind() == Some("not-found") => Ok(None),
        Err(err) => Err(err),
    }
}

/// Stops the service if it runs (and waits for it).
fn stop_service<T: Transport>(pebble: &Client<T>) -> Result<bool, PebbleError> {
    let services = pebble.services(&[SERVICE])?;
    if !services.iter().any(|service| service.current == ServiceStatus::Active) {
        return Ok(false);
    }
    let id = pebble.stop(&[SERVICE])?;
    pebble.wait_change(&id, CHANGE_TIMEOUT)?;
    Ok(true)
}

/// The worker cannot run (no coordinator, or no role): if the container is up and holds a
/// configuration, stop Pyroscope and remove the files (coordinated-workers `_wipe_configs` and
/// `stop`, which its `_reconcile` runs whenever the worker is not ready). Blocked, saying `why`.
fn teardown<R: Runner, T: Transport>(
    tools: &mut HookTools<R>,
    pebble: &Client<T>,
    settings: &ContainerSettings,
    why: &str,
) -> Result<Outcome, K8sHookError> {
    let blocked = Outcome::Status(StatusName::Blocked, why.to_owned());
    let config_file = settings.path(CONFIG_FILE);
    let Ok(Some(_)) = outcome_of("reading the config file", pull_if_there(pebble, &config_file))? else {
        // No configuration (or no container): nothing runs, nothing to remove.
        return Ok(blocked);
    };
    if up!("stopping Pyroscope", stop_service(pebble)) {
        tools.log(LogLevel::Info, &format!("{why}: stopped Pyroscope"))?;
    }
    for path in TLS_FILES.iter().chain([&CONFIG_FILE]) {
        up!("removing a file", pebble.remove_path(&settings.path(path), Removal::Recursive));
    }
    Ok(blocked)
}

/// The charm's entry point inside Juju.
pub fn main() -> ExitCode {
    let settings = ContainerSettings::from_env();
    let pebble = Client::new(&settings.socket);
    pyroscope_cluster_juju::dispatch(CHARM_NAME, |context, tools| hook(context, tools, &pebble, &settings).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyroscope_cluster_pebble::{HttpBody, Request, Response};

    /// Answers `GET /v1/checks?names=ready` with one check of `status`, in the shape Pebble
    /// v1.32.1 answers it (`crates/pebble/tests/recordings/session.json`).
    struct Checks(&'static str);

    impl Transport for Checks {
        fn round_trip(&self, request: &Request) -> Result<Response, PebbleError> {
            assert_eq!(request.target, "/v1/checks?names=ready");
            let body = format!(
                r#"{{"type":"sync","status-code":200,"status":"OK","result":[{{"name":"ready","level":"ready","startup":"enabled","status":"{}","successes":0,"failures":3,"threshold":3}}]}}"#,
                self.0
            );
            Ok(Response { status: 200, content_type: Some("application/json".into()), body: HttpBody::Text(body) })
        }
    }

    #[track_caller]
    fn check(status: &'static str, roles: &str, expect: (StatusName, &str)) {
        match ready_status(&Client::with_transport(Checks(status)), roles).unwrap() {
            Outcome::Status(name, message) => assert_eq!((name, message.as_str()), expect),
            Outcome::NotReady => panic!("not ready"),
        }
    }

    #[test]
    fn a_down_ready_check_blocks_as_the_python_worker_does() {
        check("down", "all", (StatusName::Blocked, "Pebble check [ready] is 'DOWN'."));
        check("up", "all", (StatusName::Active, "(all roles) ready."));
        check("up", "ingester,querier", (StatusName::Active, "ingester,querier ready."));
    }

    fn context(vars: &[(&str, &str)]) -> HookContext {
        let vars: std::collections::BTreeMap<String, String> =
            vars.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect();
        HookContext::from_vars(|name| vars.get(name).cloned()).unwrap()
    }

    /// The layer is Canonical's (pyroscope-operators `worker/src/pyroscope.py` and
    /// coordinated-workers' readiness check), with the tracing environment it sets.
    #[test]
    fn the_layer_is_shaped_like_canonicals() {
        let settings =
            ContainerSettings { socket: String::new(), container_root: String::new(), fqdn: "w-0.w-endpoints".into() };
        let roles: pyroscope_cluster_model::Roles = "querier,ingester".parse().unwrap();
        let address: pyroscope_cluster_model::Address = "10.1.0.7".parse().unwrap();
        let command = Command::for_worker(CONFIG_FILE, &roles, pyroscope_cluster_model::Architecture::V1, &address);
        let context = context(&[
            ("JUJU_UNIT_NAME", "w/0"),
            ("JUJU_MODEL_NAME", "cos"),
            ("JUJU_MODEL_UUID", "00000000-0000-4000-8000-000000000000"),
            ("JUJU_DISPATCH_PATH", "hooks/update-status"),
        ]);
        let tracing: pyroscope_cluster_model::StringMap =
            [("jaeger_thrift_http".to_owned(), "http://tempo:14268".to_owned())].into_iter().collect();
        let layer = layer(&settings, &command, Some(&tracing), &context);
        assert_eq!(
            layer.to_text(),
            concat!(
                r#"{"summary":"pyroscope worker layer","description":"pebble config layer for pyroscope worker","#,
                r#""services":{"pyroscope":{"summary":"pyroscope worker process","startup":"enabled","override":"replace","#,
                r#""command":"/usr/bin/pyroscope -config.file=/etc/worker/config.yaml -target=ingester,querier","#,
                r#""environment":{"JAEGER_ENDPOINT":"http://tempo:14268/api/traces?format=jaeger.thrift","#,
                r#""JAEGER_SAMPLER_PARAM":"1","JAEGER_SAMPLER_TYPE":"const","#,
                r#""JAEGER_TAGS":"juju_application=w,juju_model=cos,juju_model_uuid=00000000-0000-4000-8000-000000000000,juju_unit=w/0,juju_charm=pyroscope-worker-k8s"}}},"#,
                r#""checks":{"ready":{"override":"replace","level":"ready","threshold":3,"http":{"url":"http://w-0.w-endpoints:4040/ready"}}}}"#
            )
        );
        let without = super::layer(&settings, &command, None, &context);
        assert!(without.services[SERVICE].environment.is_empty());
    }

    #[test]
    fn command_words_are_quoted_only_when_pebble_would_split_them() {
        assert_eq!(shell_word("-target=all,querier"), "-target=all,querier");
        assert_eq!(shell_word("/srv/my unit/x.yaml"), "'/srv/my unit/x.yaml'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
