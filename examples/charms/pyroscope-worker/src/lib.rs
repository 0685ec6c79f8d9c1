//! An example Pyroscope worker charm in Rust (a machine charm), the requirer of
//! `pyroscope_cluster`.
//!
//! Every hook does the whole job: read its `role-*` options, publish its roles (leader) and its
//! address and topology (every unit), read the coordinator's data, and then write the config file
//! and (re)start Pyroscope, or stop it and delete the file when the coordinator is gone. Pyroscope
//! is restarted only when [`ConfigChange`] says so (or its command line changed): a new member
//! list alone is written without a restart. A configuration the worker's Pyroscope release (option
//! `pyroscope_release`) would refuse at start, or whose gossip ring leaves this unit out, is not
//! written: the unit is blocked, saying why, and Pyroscope keeps running what it has.
//!
//! Paths and the service manager come from the environment, so that the whole charm runs in a
//! sandbox ([`Paths::from_env`]):
//!
//! | variable | default | what |
//! | --- | --- | --- |
//! | `PYROSCOPE_WORKER_CONFIG_DIR` | `/etc/pyroscope` | `config.yaml`, and the TLS files |
//! | `PYROSCOPE_WORKER_DATA_DIR` | `/pyroscope-data` | the one directory Pyroscope writes (the coordinator's default `pyroscopedb.data_path`) |
//! | `PYROSCOPE_WORKER_SERVICE` | `systemd` | `systemd`, or `record:<dir>`: record what would run in `<dir>/service.json` |
//! | `PYROSCOPE_WORKER_SYSTEMD_DIR` | `/etc/systemd/system` | where the unit file goes |
//! | `PYROSCOPE_WORKER_SYSTEMCTL` | `systemctl` | the `systemctl` program |

pub mod owned;
pub mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

use pyroscope_cluster_juju::{
    Event, HookContext, HookTools, LogLevel, Runner, StatusName, StatusTarget, ToolError, error_chain,
    remove_config_file, write_config_file,
};
use pyroscope_cluster_model::{CLUSTER_ENDPOINT, JujuTopology};
use pyroscope_cluster_requirer::{
    Announcement, Command, ConfigChange, CoordinatorState, InvalidData, Seen, ThisWorker,
};
use pyroscope_cluster_worker::{
    CoordinatorRelation, WorkerOptions, coordinator_relation, private_key, publish, read_coordinator, read_options,
    sync_ports,
};

use crate::workload::{Recording, Systemd, Workload};

/// Where Pyroscope keeps its data by default: the coordinator's default `pyroscopedb.data_path`.
pub const DATA_DIR: &str = "/pyroscope-data";

/// The TLS files in the config directory: the CA certificate, the server certificate, the key.
pub const TLS_FILES: [&str; 3] = ["ca.pem", "server.pem", "server.key"];

/// The charm's name, in the topology it publishes.
pub const CHARM_NAME: &str = "pyroscope-worker";

/// Where the charm keeps its files, and how it runs Pyroscope.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The directory of `config.yaml` and the TLS files.
    pub config_dir: PathBuf,
    /// `systemd`, or `record:<dir>`.
    pub service: String,
    /// Where the systemd unit file goes.
    pub systemd_dir: PathBuf,
    /// The `systemctl` program.
    pub systemctl: PathBuf,
    /// The one directory Pyroscope writes: every place the configuration has it write must be
    /// in it ([`owned::foreign_path`]).
    pub data_dir: PathBuf,
}

impl Paths {
    /// The paths from the environment (see the crate docs), with the defaults of a real machine.
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        Self {
            config_dir: var("PYROSCOPE_WORKER_CONFIG_DIR", "/etc/pyroscope").into(),
            service: var("PYROSCOPE_WORKER_SERVICE", "systemd"),
            systemd_dir: var("PYROSCOPE_WORKER_SYSTEMD_DIR", "/etc/systemd/system").into(),
            systemctl: var("PYROSCOPE_WORKER_SYSTEMCTL", "systemctl").into(),
            data_dir: var("PYROSCOPE_WORKER_DATA_DIR", DATA_DIR).into(),
        }
    }

    /// The config file.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.yaml")
    }

    /// The TLS files, by the databag key they come from (`server.key` from the secret).
    pub fn tls_files(&self) -> [PathBuf; 3] {
        TLS_FILES.map(|name| self.config_dir.join(name))
    }

    /// The workload these paths name.
    pub fn workload(&self) -> Box<dyn Workload> {
        match self.service.strip_prefix("record:") {
            Some(dir) => Box::new(Recording { dir: dir.into() }),
            None => Box::new(Systemd::new(self.systemd_dir.clone(), self.systemctl.clone(), self.data_dir.clone())),
        }
    }
}

/// Why a hook failed as a whole (Juju retries it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HookError {
    /// A hook tool failed.
    #[error("a hook tool failed")]
    Tool(#[from] ToolError),
    /// A file or the service could not be handled.
    #[error("{0} failed")]
    Io(String, #[source] std::io::Error),
}

fn io<T>(what: &str, result: std::io::Result<T>) -> Result<T, HookError> {
    result.map_err(|err| HookError::Io(what.to_owned(), err))
}

/// One hook of the worker; returns the status it set.
pub fn hook<R: Runner>(
    context: &HookContext,
    tools: &mut HookTools<R>,
    paths: &Paths,
    workload: &mut dyn Workload,
) -> Result<(StatusName, String), HookError> {
    if let Event::Unknown { hook } = &context.event {
        tools.log(LogLevel::Debug, &format!("hook {hook} is not one this charm knows; reconciling as on any hook"))?;
    }
    let (status, message) = reconcile(context, tools, paths, workload)?;
    tools.status_set(StatusTarget::Unit, status, &message)?;
    Ok((status, message))
}

fn reconcile<R: Runner>(
    context: &HookContext,
    tools: &mut HookTools<R>,
    paths: &Paths,
    workload: &mut dyn Workload,
) -> Result<(StatusName, String), HookError> {
    let WorkerOptions { roles, pyroscope: release } = read_options(tools)?;
    let relation = match coordinator_relation(tools, context)? {
        CoordinatorRelation::None => {
            return coordinator_gone(
                tools,
                paths,
                workload,
                "no coordinator: relate this worker to a Pyroscope coordinator",
            );
        }
        CoordinatorRelation::One(relation) => relation,
        CoordinatorRelation::Many(many) => {
            return Ok((StatusName::Blocked, format!("related to {many} coordinators; relate to one")));
        }
    };

    let address = tools.network_get(CLUSTER_ENDPOINT)?.ingress_addresses.into_iter().next().unwrap_or_default();
    let address = match address.parse() {
        Ok(address) => address,
        Err(err) => {
            return Ok((StatusName::Blocked, format!("network-get gave no usable address: {}", error_chain(&err))));
        }
    };
    let announcement = Announcement {
        roles: roles.clone().ok(),
        address,
        juju_topology: JujuTopology {
            application: context.app.clone(),
            unit: context.unit.clone(),
            charm_name: CHARM_NAME.into(),
            model: None,
            model_uuid: None,
        },
    };
    let (_, databag) = match publish(tools, &relation, &announcement).and_then(|_| read_coordinator(tools, &relation)) {
        Ok(read) => read,
        Err(err) if err.is_relation_gone() => {
            return coordinator_gone(tools, paths, workload, "the coordinator relation is gone");
        }
        Err(err) => return Err(err.into()),
    };

    let pyroscope = match release {
        Ok(release) => release,
        Err(problem) => return Ok((StatusName::Blocked, error_chain(&problem))),
    };
    let config_file = paths.config_file();
    let seen = Seen::from_config_file_exists(config_file.exists());
    let this = ThisWorker { pyroscope, address: &announcement.address };
    let data = match CoordinatorState::read_for(&databag, seen, &this) {
        CoordinatorState::NotPublished => {
            return Ok((StatusName::Waiting, "waiting for the coordinator to publish the configuration".into()));
        }
        CoordinatorState::Removed => {
            return coordinator_gone(tools, paths, workload, "the coordinator withdrew the configuration");
        }
        CoordinatorState::Invalid(why) => {
            let line =
                format!("the coordinator's data is invalid (Pyroscope keeps running as it was): {}", error_chain(&why));
            tools.log(LogLevel::Error, &line)?;
            // The status is cut at 120 characters: the first reason goes first, the log has all.
            let status = match &why {
                InvalidData::Refused(refusal) if !refusal.problems.is_empty() => format!(
                    "Pyroscope keeps running as it was; the coordinator's configuration is refused: {}",
                    refusal.problems[0].display(refusal.release)
                ),
                other => format!("Pyroscope keeps running as it was; invalid coordinator data: {}", error_chain(other)),
            };
            return Ok((StatusName::Blocked, status));
        }
        CoordinatorState::Ready(data) => data,
    };
    if let Some(foreign) = owned::foreign_path(data.config().tree(), &paths.data_dir, &paths.config_dir) {
        let line = format!("refused the coordinator's configuration: {foreign}");
        tools.log(LogLevel::Error, &format!("{line} (Pyroscope keeps running as it was)"))?;
        return Ok((StatusName::Blocked, line));
    }
    let roles = match roles {
        Ok(roles) => roles,
        Err(err) => {
            io("stopping Pyroscope", workload.stop())?;
            return Ok((StatusName::Blocked, error_chain(&err)));
        }
    };

    let on_disk = std::fs::read_to_string(&config_file).ok();
    let change = ConfigChange::decide(on_disk.as_deref(), data.config());
    io("creating the config directory", std::fs::create_dir_all(&paths.config_dir))?;
    io("preparing Pyroscope's account and data directory", workload.prepare())?;
    if change.needs_write() {
        io(
            "writing the config file",
            write_config_file(&config_file, data.config().text()).map_err(std::io::Error::other),
        )?;
    }
    // Every hook, not only on a write: a file an older charm wrote (root's, 0600) is handed over
    // before Pyroscope restarts as its own user.
    io("sharing the config file with Pyroscope", workload.share(&config_file))?;
    if let Some(tls) = data.tls() {
        let key = match private_key(tools, tls.privkey_secret_id) {
            Ok(key) => key,
            Err(err) => return Ok((StatusName::Waiting, format!("TLS: {}", error_chain(&err)))),
        };
        for (path, text) in paths.tls_files().into_iter().zip([tls.ca_cert, tls.server_cert, key.as_str()]) {
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
                io("writing a TLS file", write_config_file(&path, text).map_err(std::io::Error::other))?;
            }
            io("sharing a TLS file with Pyroscope", workload.share(&path))?;
        }
    } else {
        // TLS withdrawn: no key stays behind.
        remove_tls_files(paths)?;
    }
    let architecture = data.config().architecture();
    let command = Command::for_worker(&config_file.to_string_lossy(), &roles, architecture, &announcement.address);
    let current = io("reading the service", workload.is_current(command.argv()))?;
    if change.needs_restart() || !current {
        tools.log(LogLevel::Info, &format!("(re)starting Pyroscope: {change}"))?;
        io("(re)starting Pyroscope", workload.restart(command.argv()))?;
    } else if change.needs_write() {
        tools.log(LogLevel::Info, &change.to_string())?;
    }
    sync_ports(tools, data.worker_ports())?;
    Ok((StatusName::Active, format!("running {}", roles.to_sorted_string())))
}

/// The coordinator is gone: stop Pyroscope and delete its configuration.
fn coordinator_gone<R: Runner>(
    tools: &mut HookTools<R>,
    paths: &Paths,
    workload: &mut dyn Workload,
    why: &str,
) -> Result<(StatusName, String), HookError> {
    if io("reading the service", workload.running())?.is_some() {
        tools.log(LogLevel::Info, &format!("{why}: stopping Pyroscope"))?;
        io("stopping Pyroscope", workload.stop())?;
    }
    io("deleting the config file", remove_config_file(paths.config_file()))?;
    remove_tls_files(paths)?;
    Ok((StatusName::Blocked, why.to_owned()))
}

/// Deletes the TLS files (the private key with them); those not there are no error.
fn remove_tls_files(paths: &Paths) -> Result<(), HookError> {
    for path in paths.tls_files() {
        io("deleting a TLS file", remove_config_file(path))?;
    }
    Ok(())
}

/// The charm's entry point inside Juju.
pub fn main() -> ExitCode {
    let paths = Paths::from_env();
    let mut workload = paths.workload();
    pyroscope_cluster_juju::dispatch("pyroscope-worker", |context, tools| {
        hook(context, tools, &paths, workload.as_mut()).map(drop)
    })
}
