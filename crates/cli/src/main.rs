//! `pyroscope-cluster`: inspect, validate and simulate the Juju `pyroscope_cluster` relation.
//!
//! A thin shell over the workspace's crates: it parses input formats and prints; every decision
//! is made by the libraries. Exit status: 0 success, 1 invalid input, 2 usage error.

mod capture;
mod input;
mod reconcile;
mod validate;
mod wire;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pyroscope_cluster_release::PyroscopeRelease;

use crate::input::Source;

/// Inspect, validate and simulate the Juju `pyroscope_cluster` relation.
///
/// Every verb reads FILE, or standard input when FILE is `-` or not given.
/// Exit status: 0 success, 1 invalid input (or output that cannot be written), 2 usage error
/// (including an unreadable FILE), 3 `reconcile --check` on a status that is not active.
#[derive(Debug, Parser)]
#[command(name = "pyroscope-cluster", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a raw databag (a JSON object of string to string, as `relation-get --format=json`
    /// prints it) into one JSON object of the known keys and their values.
    ///
    /// Unknown keys (Juju's `ingress-address`, ...) are dropped; absent optional fields are
    /// omitted. An invalid databag exits 1, naming the key, the value and the reason.
    Decode {
        /// Which databag the input is.
        databag: DatabagArg,
        /// The input file; `-` or nothing for standard input.
        file: Option<PathBuf>,
        /// `json` (default; what `encode` reads), or `text` for a person: `worker_config` shown
        /// as the YAML it holds.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Encode what `decode` prints back into a raw databag, each value written byte for byte as
    /// the Python peer (`coordinated-workers`) writes it.
    Encode {
        /// Which databag the input is.
        databag: DatabagArg,
        /// The input file; `-` or nothing for standard input.
        file: Option<PathBuf>,
    },
    /// Simulate the coordinator: from its settings and a snapshot of its worker relations (YAML
    /// or JSON), what it publishes where, which relations are not ready and why, and how the
    /// cluster compares with the minimal and the recommended deployment.
    ///
    /// Input: `settings` (all optional: `pyroscope` (the workers' release, default 1.18),
    /// `external_url`, `s3: {endpoint, bucket_name, access_key_id, secret_access_key, region,
    /// insecure, tls_ca_chain}`, `retention_period`, `compactor_cleanup_interval`,
    /// `compactor_deletion_delay`, `data_path`, `ports`), `extras` (optional: `coordinator_app`,
    /// `worker_ports`, `tls`, `loki_endpoints`, ...) and `relations`: a list of `{id, app, app_data,
    /// units: {unit-name: databag}, published}` with raw databags.
    Reconcile {
        /// The input file (`-` or nothing for standard input): a reconcile input, or the output
        /// of `juju show-unit <coordinator leader> --format yaml` (several files: several units,
        /// merged; the one with `leader: true` is read).
        files: Vec<PathBuf>,
        /// For captures: a YAML file of `settings` and `extras` as in a reconcile input (S3 comes
        /// from the capture's `s3` relation; the coordinator app from the captured unit).
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// For captures: the endpoint of the worker relations.
        #[arg(long, default_value = "pyroscope-cluster")]
        endpoint: String,
        /// `json` (default) for scripts, `text` for a person.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// The Pyroscope release the workers run (`1.18`, `2.2.1`); overrides `settings.pyroscope`.
        #[arg(long)]
        pyroscope: Option<PyroscopeRelease>,
        /// Exit 3 (after printing) when the coordinator's status would not be `active`.
        #[arg(long)]
        check: bool,
    },
    /// Validate a whole relation state, or every `pyroscope_cluster` databag in the output of
    /// `juju show-unit <unit> --format yaml` (of a coordinator or a worker unit).
    ///
    /// A relation state has `provider: {app, unit}` and `requirer: {app, unit}` at the top, as in
    /// the interface's README; its values are decoded unless `--wire` says they are JSON text, as
    /// on the wire. The coordinator's `worker_config` is checked too, as a worker checks it: YAML,
    /// every key and value against the Pyroscope release (`--pyroscope`), and the worker's own
    /// address in `memberlist.join_members` when the state or capture has the worker's unit
    /// databag. Every problem is printed with where it is; exit 1 if there is any.
    Validate {
        /// The input file; `-` or nothing for standard input.
        file: Option<PathBuf>,
        /// The relation state's values are JSON text, as Juju holds them.
        #[arg(long)]
        wire: bool,
        /// In `juju show-unit` output: the endpoint of the relations to check.
        #[arg(long, default_value = "pyroscope-cluster")]
        endpoint: String,
        /// In `juju show-unit` output: the captured unit's side, when its charm's name does not
        /// say (`coordinator` or `provider`, `worker` or `requirer`).
        #[arg(long, value_enum)]
        side: Option<SideArg>,
        /// The Pyroscope release the workers run, which `worker_config` is checked against
        /// (`1.18`, `2.2.1`).
        #[arg(long, default_value = "1.18")]
        pyroscope: PyroscopeRelease,
    },
    /// Print the generated JSON Schema of one side (as in docs/schema/v0/).
    Schema {
        /// Which side's schema.
        side: SideArg,
    },
}

/// A side of the relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SideArg {
    /// The coordinator (also `coordinator`).
    #[value(alias = "coordinator")]
    Provider,
    /// A worker (also `worker`).
    #[value(alias = "worker")]
    Requirer,
}

impl From<SideArg> for pyroscope_cluster_schema::Side {
    fn from(side: SideArg) -> Self {
        match side {
            SideArg::Provider => Self::Provider,
            SideArg::Requirer => Self::Requirer,
        }
    }
}

/// How `reconcile` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One JSON object.
    Json,
    /// For a person: a summary, tables, the configuration as YAML.
    Text,
}

/// The three databags a peer writes: the model's `DatabagKind`, as a command-line value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DatabagArg {
    /// The coordinator's app databag.
    ProviderApp,
    /// A worker app's databag.
    RequirerApp,
    /// A worker unit's databag.
    RequirerUnit,
}

/// Why a verb did not succeed, and with which exit status.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// The input is not valid: exit 1.
    fn invalid(message: String) -> Self {
        Self { code: 1, message }
    }

    /// The command cannot be carried out as given: exit 2.
    fn usage(message: String) -> Self {
        Self { code: 2, message }
    }

    /// A bug of ours: reported (exit 1), never a panic.
    fn internal(message: String) -> Self {
        Self { code: 1, message: format!("internal error (please report): {message}") }
    }
}

fn run(cli: Cli) -> Result<String, Failure> {
    match cli.command {
        Command::Decode { databag, file, format } => {
            let source = Source::from_arg(file.as_deref());
            wire::decode(databag, &source, &source.read()?, format)
        }
        Command::Encode { databag, file } => {
            let source = Source::from_arg(file.as_deref());
            wire::encode(databag, &source, &source.read()?)
        }
        Command::Reconcile { files, settings, endpoint, format, pyroscope, check } => {
            let sources: Vec<Source> = match files.as_slice() {
                [] => vec![Source::Stdin],
                files => files.iter().map(|file| Source::from_arg(Some(file))).collect(),
            };
            let inputs = sources
                .into_iter()
                .map(|source| Ok((source.clone(), source.read()?)))
                .collect::<Result<Vec<_>, Failure>>()?;
            let settings = match settings {
                Some(path) => {
                    let source = Source::from_arg(Some(&path));
                    Some((source.clone(), source.read()?))
                }
                None => None,
            };
            let options = reconcile::Options { format, pyroscope, settings, endpoint };
            let (output, active) = reconcile::run(&inputs, &options)?;
            if check && !active {
                write_stdout(&output)?;
                let names: Vec<String> = inputs.iter().map(|(source, _)| source.name()).collect();
                return Err(Failure { code: 3, message: format!("{}: the status is not active", names.join(", ")) });
            }
            Ok(output)
        }
        Command::Validate { file, wire, endpoint, side, pyroscope } => {
            let source = Source::from_arg(file.as_deref());
            let options = validate::ShowUnitOptions { endpoint, side, pyroscope };
            let report = validate::run(&source, &source.read()?, wire, &options)?;
            if report.problems == 0 {
                Ok(report.text.trim_end().to_owned())
            } else {
                write_stdout(report.text.trim_end())?;
                Err(Failure::invalid(format!("{}: {} problem(s)", source.name(), report.problems)))
            }
        }
        Command::Schema { side } => serde_json::to_string_pretty(&pyroscope_cluster_schema::schema(side.into()))
            .map_err(|err| Failure::internal(err.to_string())),
    }
}

/// Writes `output` and a newline to standard output, flushed. A write that fails (`/dev/full`, a
/// closed pipe) is a failure (exit 1): a script must not take a cut output for a whole one.
fn write_stdout(output: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{output}")
        .and_then(|()| stdout.flush())
        .map_err(|err| Failure::invalid(format!("cannot write the output: {err}")))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).and_then(|output| write_stdout(&output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(std::io::stderr().lock(), "pyroscope-cluster: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
