//! `pyroscope-cluster`: inspect, validate and simulate the Juju `pyroscope_cluster` relation.
//!
//! A thin shell over the workspace's crates: it parses input formats and prints; every decision
//! is made by the libraries. Exit status: 0 success, 1 invalid input, 2 usage error, 3 `--check`.
//!
//! The binary (`src/main.rs`) calls [`main`]; the library exists so that the benchmarks run the
//! verbs in process ([`reconcile_json`]). It is not an API: use the workspace's crates.

mod capture;
mod hints;
mod input;
mod published;
mod reconcile;
mod redact;
mod validate;
mod wire;
mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pyroscope_cluster_model::{Roles, yaml};
use pyroscope_cluster_release::PyroscopeRelease;

use crate::input::Source;

/// Inspect, validate and simulate the Juju `pyroscope_cluster` relation.
///
/// Every verb reads FILE, or standard input when FILE is `-` or not given: at most 64 MiB (no
/// capture comes near it), and text only (input whose first bytes show binary data is refused
/// before the rest is read); either is invalid input.
/// Exit status: 0 success, 1 invalid input (or output that cannot be written), 2 usage error
/// (including an unreadable FILE), 3 `reconcile --check` on a status that is not active, or
/// `worker --check` on data the worker would not run with.
#[derive(Debug, Parser)]
#[command(name = "pyroscope-cluster", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What every verb that reads input says under `--help`.
const INPUT_HELP: &str = "Input: YAML or JSON text, at most 64 MiB (no capture comes near it); larger input, and \
                          input whose first bytes show binary data (refused before the rest is read), exit 1.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode a raw databag (a JSON object of string to string, as `relation-get --format=json`
    /// prints it) into one JSON object of the known keys and their values.
    ///
    /// Unknown keys (Juju's `ingress-address`, ...) are dropped; absent optional fields are
    /// omitted. An invalid databag exits 1, naming the key, the value and the reason.
    #[command(after_help = INPUT_HELP)]
    Decode {
        /// Which databag the input is.
        databag: DatabagArg,
        /// The input file; `-` or nothing for standard input.
        file: Option<PathBuf>,
        /// `json` (default; what `encode` reads), or `text` for a person: `worker_config` shown
        /// as the YAML it holds.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Show secret values (S3 keys, and any value whose key or shape says it is a secret),
        /// which every format otherwise shows as `<N bytes, not shown>`.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Encode what `decode` prints back into a raw databag, each value written byte for byte as
    /// the Python peer (`coordinated-workers`) writes it.
    #[command(after_help = INPUT_HELP)]
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
    #[command(after_help = INPUT_HELP)]
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
        /// Show secret values (S3 keys, and any value whose key or shape says it is a secret),
        /// which every format otherwise shows as `<N bytes, not shown>`.
        #[arg(long)]
        show_secrets: bool,
    },
    /// A worker's view of the coordinator's data: the checks the worker makes (its Pyroscope
    /// release must take `worker_config`, which must list the worker in
    /// `memberlist.join_members`), the command line it runs, the config file it writes and, given
    /// the file on disk now (`--current`), whether it rewrites it and restarts Pyroscope, and why.
    ///
    /// Input: the coordinator's app databag, raw (as `relation-get --format=json` prints it) or
    /// decoded (as `decode` prints it), or `juju show-unit <worker unit> --format yaml` (the
    /// worker's address is read from it too).
    ///
    /// JSON fields: `pyroscope`, `roles`, `address` (when known), `state` (`ready`,
    /// `not_published`, `invalid`, `removed`), `problems` (`[{path, reason}]`),
    /// `membership_checked`, and when ready `architecture`, `command` (argv), `config_file`
    /// (`{path, content}`), `ports` (`null`: none sent), and with `--current` `change`
    /// (`{write, restart, reason}`). Secret values show as `<N bytes, not shown>` unless
    /// `--show-secrets`.
    #[command(after_help = INPUT_HELP)]
    Worker {
        /// The input file; `-` or nothing for standard input.
        file: Option<PathBuf>,
        /// The worker's roles, comma-joined (`querier,ingester`); `all` by default, as the
        /// worker charm's `role-all` option.
        #[arg(long, default_value = "all")]
        roles: Roles,
        /// The Pyroscope release the worker runs (`1.18`, `2.2.1`).
        #[arg(long, default_value = "1.18")]
        pyroscope: PyroscopeRelease,
        /// The worker's address, as its unit databag has it (read from a capture when not given);
        /// without it, `memberlist.join_members` is not checked.
        #[arg(long)]
        address: Option<String>,
        /// Where the worker writes Pyroscope's configuration.
        #[arg(long, value_name = "PATH", default_value = worker::DEFAULT_CONFIG_FILE)]
        config_file: String,
        /// The config file on disk now: decide whether the worker rewrites it and restarts.
        #[arg(long, value_name = "FILE")]
        current: Option<PathBuf>,
        /// In `juju show-unit` output: the endpoint of the relation to the coordinator.
        #[arg(long, default_value = "pyroscope-cluster")]
        endpoint: String,
        /// `json` (default) for scripts, `text` for a person.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Exit 3 (after printing) when the worker would not run with this data (`state` not
        /// `ready`).
        #[arg(long)]
        check: bool,
        /// Show secret values (S3 keys, and any value whose key or shape says it is a secret),
        /// which every format otherwise shows as `<N bytes, not shown>`.
        #[arg(long)]
        show_secrets: bool,
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
    #[command(after_help = INPUT_HELP)]
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

/// What a verb leaves to print: its output, or nothing when it has printed already (a large
/// output goes to standard output as it is written, never whole in memory).
enum Printed {
    Output(String),
    Done,
}

fn run(cli: Cli) -> Result<Printed, Failure> {
    let printed = match cli.command {
        Command::Decode { databag, file, format, show_secrets } => {
            let source = Source::from_arg(file.as_deref());
            wire::decode(databag, &source, &source.read()?, format, Secrets::from_flag(show_secrets))
        }
        Command::Encode { databag, file } => {
            let source = Source::from_arg(file.as_deref());
            wire::encode(databag, &source, &source.read()?)
        }
        Command::Reconcile { files, settings, endpoint, format, pyroscope, check, show_secrets } => {
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
            let secrets = Secrets::from_flag(show_secrets);
            let options = reconcile::Options { format, pyroscope, settings, endpoint, exits_after: true, secrets };
            let names: Vec<String> = inputs.iter().map(|(source, _)| source.name()).collect();
            let active = with_stdout(|stdout| reconcile::run(inputs, &options, stdout))?;
            if check && !active {
                return Err(Failure { code: 3, message: format!("{}: the status is not active", names.join(", ")) });
            }
            return Ok(Printed::Done);
        }
        Command::Worker {
            file,
            roles,
            pyroscope,
            address,
            config_file,
            current,
            endpoint,
            format,
            check,
            show_secrets,
        } => {
            let source = Source::from_arg(file.as_deref());
            let current = match current {
                Some(path) => {
                    let source = Source::File(path);
                    Some((source.clone(), source.read()?))
                }
                None => None,
            };
            let secrets = Secrets::from_flag(show_secrets);
            let options =
                worker::Options { format, roles, pyroscope, address, config_file, current, endpoint, secrets };
            let (output, ready) = worker::run(&source, &source.read()?, &options)?;
            if check && !ready {
                write_stdout(&output)?;
                return Err(Failure {
                    code: 3,
                    message: format!("{}: the worker would not run with this data", source.name()),
                });
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
    };
    printed.map(Printed::Output)
}

/// A Pyroscope configuration as a person may see it: the YAML re-emitted in block style, with
/// every secret value shown as its size only (see `redact.rs`), unless secrets are shown. Text
/// that is not YAML shows as its size.
pub(crate) fn readable_config(text: &str, secrets: Secrets) -> String {
    let mut tree: serde_json::Value = match yaml::from_str(text) {
        Ok(tree) => tree,
        Err(_) if secrets == Secrets::Show => return text.to_owned(),
        Err(_) => return format!("<{} bytes, not YAML, not shown>", text.len()),
    };
    if secrets == Secrets::Hide {
        redact::redact_tree(&mut tree);
    }
    yaml::to_string(&tree).unwrap_or_else(|_| format!("<{} bytes, not shown>", text.len()))
}

/// Whether an output shows secret values (`--show-secrets`) or redacts them (the default; see
/// `redact.rs` for what is secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    Hide,
    Show,
}

impl Secrets {
    fn from_flag(show: bool) -> Self {
        if show { Secrets::Show } else { Secrets::Hide }
    }

    /// A configuration's text as an output gives it: redacted, unless secrets are shown.
    pub(crate) fn config_text(self, text: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Secrets::Show => text.into(),
            Secrets::Hide => redact::redact_config(text).map_or(text.into(), Into::into),
        }
    }
}

/// Writes `output` and a newline to standard output, flushed. A write that fails (`/dev/full`, a
/// closed pipe) is a failure (exit 1): a script must not take a cut output for a whole one.
fn write_stdout(output: &str) -> Result<(), Failure> {
    with_stdout(|stdout| stdout.write_all(output.as_bytes()).map_err(write_failure))
}

/// Runs `print` on standard output (buffered), then writes a newline and flushes. A write that
/// fails is a failure (exit 1), as for [`write_stdout`]; so is `print`'s own.
fn with_stdout<T>(print: impl FnOnce(&mut dyn Write) -> Result<T, Failure>) -> Result<T, Failure> {
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let printed = print(&mut stdout)?;
    stdout.write_all(b"\n").and_then(|()| stdout.flush()).map_err(write_failure)?;
    Ok(printed)
}

/// The failure of a write to standard output.
fn write_failure(err: std::io::Error) -> Failure {
    Failure::invalid(format!("cannot write the output: {err}"))
}

/// The binary's `main`: parses the command line, runs the verb, prints; the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let printed = run(cli).and_then(|printed| match printed {
        Printed::Output(output) => write_stdout(&output),
        Printed::Done => Ok(()),
    });
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let message = hints::with_look_alikes(failure.message);
            let _ = writeln!(std::io::stderr().lock(), "pyroscope-cluster: {message}");
            ExitCode::from(failure.code)
        }
    }
}

/// `pyroscope-cluster reconcile` on a reconcile input `text` (YAML or JSON), with the default
/// options: the JSON it prints, or the message it exits with. For the benchmarks.
pub fn reconcile_json(text: &str) -> Result<String, String> {
    let options = reconcile::Options {
        format: Format::Json,
        pyroscope: None,
        settings: None,
        endpoint: "pyroscope-cluster".to_owned(),
        exits_after: false,
        secrets: Secrets::Hide,
    };
    let inputs = vec![(Source::Stdin, text.to_owned())];
    let mut output = Vec::new();
    reconcile::run(inputs, &options, &mut output).map_err(|failure| failure.message)?;
    String::from_utf8(output).map_err(|err| err.to_string())
}
