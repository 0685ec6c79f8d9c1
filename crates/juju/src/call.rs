//! [`Call`]: one hook-tool call, with the argv and standard input ops 3.9 gives it.
//!
//! The argv of each call is the one of ops 3.9 (`ops/hookcmds/_relation.py`, `_other.py`,
//! `_secret.py`, `_status.py`, `_port.py`): a charm on this crate and a Python charm look the
//! same to Juju, and to the fake Juju of the tests, which reads argv back with [`Call::parse`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::Databag;

/// A relation as hook tools name it: `endpoint:id` (`database:3`), as `relation-ids`
/// prints it and `JUJU_RELATION_ID` holds it.
///
/// The endpoint may be empty when a caller named the relation by its number alone (`-r 3`, which
/// Juju accepts too); it then shows as the number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelationRef {
    /// The endpoint (`database`), or empty when unknown.
    pub endpoint: String,
    /// The relation's number, unique in the model.
    pub id: u32,
}

impl RelationRef {
    /// The relation `id` on `endpoint`.
    pub fn new(endpoint: impl Into<String>, id: u32) -> Self {
        Self { endpoint: endpoint.into(), id }
    }
}

impl fmt::Display for RelationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.endpoint.is_empty() { write!(f, "{}", self.id) } else { write!(f, "{}:{}", self.endpoint, self.id) }
    }
}

/// Why a string is not a [`RelationRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a relation: expected `<endpoint>:<number>` (as `relation-ids` prints it) or a number")]
pub struct RelationRefError {
    /// The string as given.
    pub text: String,
}

impl FromStr for RelationRef {
    type Err = RelationRefError;

    /// `database:3` (as `relation-ids` prints it and `JUJU_RELATION_ID` holds it), or
    /// `3`. This is the one reader of hook tools' relation IDs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (endpoint, number) = match s.rsplit_once(':') {
            Some(("", _)) => return Err(RelationRefError { text: s.to_owned() }),
            Some((endpoint, number)) => (endpoint, number),
            None => ("", s),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RelationRefError { text: s.to_owned() });
        }
        let id = number.parse().map_err(|_| RelationRefError { text: s.to_owned() })?;
        Ok(Self { endpoint: endpoint.to_owned(), id })
    }
}

/// Whose status `status-set` sets: ops makes it the receiver (`unit.status`, `app.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusTarget {
    /// This unit's status.
    Unit,
    /// The application's status (leader only): `--application=True`.
    App,
}

/// A workload status a charm sets (`status-set`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusName {
    /// Working as it should.
    Active,
    /// A person must act.
    Blocked,
    /// Doing something that takes a while.
    Maintenance,
    /// Waiting for something outside the charm.
    Waiting,
}

impl StatusName {
    /// The name `status-set` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
            Self::Maintenance => "maintenance",
            Self::Waiting => "waiting",
        }
    }
}

impl FromStr for StatusName {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "active" => Self::Active,
            "blocked" => Self::Blocked,
            "maintenance" => Self::Maintenance,
            "waiting" => Self::Waiting,
            _ => return Err(()),
        })
    }
}

/// A `juju-log` level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
}

impl LogLevel {
    /// The name `juju-log --log-level` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        }
    }
}

/// One hook-tool call.
///
/// [`Call::argv`] is what runs; [`Call::stdin`] what the tool reads. `Debug` does not show the
/// values of a `relation-set` (a provider databag holds S3 credentials) nor secret content.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Call {
    /// `relation-ids <endpoint> --format=json`.
    RelationIds {
        /// The endpoint.
        endpoint: String,
    },
    /// `relation-list --format=json -r <ref>`: the remote units; with `app`,
    /// `relation-list --format=json --app -r <ref>`: the remote application.
    RelationList {
        /// The relation.
        relation: RelationRef,
        /// List the remote application instead of its units.
        app: bool,
    },
    /// `relation-get --format=json -r <ref> [--app] <key or -> <member>`.
    RelationGet {
        /// The relation.
        relation: RelationRef,
        /// The unit, or with `app` the application, whose databag to read.
        member: String,
        /// Read an application databag.
        app: bool,
        /// One key; `None` (`-`) reads the whole databag.
        key: Option<String>,
    },
    /// `relation-set -r <ref> [--app] --file -`, the map on standard input as JSON; a value `""`
    /// deletes its key.
    RelationSet {
        /// The relation.
        relation: RelationRef,
        /// Write this unit's application databag (leader only).
        app: bool,
        /// Keys to set; `""` deletes.
        data: BTreeMap<String, String>,
    },
    /// `is-leader --format=json`.
    IsLeader,
    /// `config-get --format=json [<key>]`.
    ConfigGet {
        /// One option; `None` reads them all.
        key: Option<String>,
    },
    /// `secret-get --format=json [--label <label>] [--refresh] [--peek] [-- <id>]`.
    SecretGet {
        /// The secret's ID.
        id: Option<String>,
        /// The secret's label.
        label: Option<String>,
        /// Read the latest revision and track it from now on.
        refresh: bool,
        /// Read the latest revision this once.
        peek: bool,
    },
    /// `secret-grant --relation <id> [--unit <unit>] <secret id>`.
    SecretGrant {
        /// The secret.
        id: String,
        /// The relation whose remote application is granted access.
        relation: u32,
        /// Only this remote unit.
        unit: Option<String>,
    },
    /// `secret-add [--label <label>] --owner <owner> <key>#file=<path>...`: each value in a
    /// file (see [`Call::content_files`]), never in an argument.
    SecretAdd {
        /// The label.
        label: Option<String>,
        /// `application` or `unit`.
        owner: String,
        /// The content.
        content: BTreeMap<String, String>,
    },
    /// `network-get --format=json [-r <id>] <binding>`.
    NetworkGet {
        /// The endpoint or extra binding.
        binding: String,
        /// On this relation.
        relation: Option<u32>,
    },
    /// `status-set --application=<True|False> <status> [-- <message>]`.
    StatusSet {
        /// The application's status (leader only) rather than this unit's.
        app: bool,
        /// The status.
        status: StatusName,
        /// The message.
        message: String,
    },
    /// `status-get --include-data --format=json --application=<true|false>`.
    StatusGet {
        /// The application's status.
        app: bool,
    },
    /// `application-version-set -- <version>`.
    ApplicationVersionSet {
        /// The workload version.
        version: String,
    },
    /// `juju-log --log-level <LEVEL> -- <message>`.
    JujuLog {
        /// The level, as given (`DEBUG`, `INFO`, `WARNING`, `ERROR`, ...).
        level: String,
        /// The message.
        message: String,
    },
    /// `open-port <port>/<protocol>`.
    OpenPort {
        /// The port.
        port: u16,
        /// `tcp` or `udp`.
        protocol: String,
    },
    /// `close-port <port>/<protocol>`.
    ClosePort {
        /// The port.
        port: u16,
        /// `tcp` or `udp`.
        protocol: String,
    },
    /// `opened-ports --format=json`.
    OpenedPorts,
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::RelationSet { data, .. } => {
                let keys: Vec<&String> = data.keys().collect();
                write!(f, "{:?} (keys {keys:?}, values not shown)", self.argv())
            }
            Call::SecretAdd { content, .. } => {
                let keys: Vec<&String> = content.keys().collect();
                write!(f, "secret-add (keys {keys:?}, values not shown)")
            }
            _ => write!(f, "{:?}", self.argv()),
        }
    }
}

fn own(words: &[&str]) -> Vec<String> {
    words.iter().map(|word| (*word).to_owned()).collect()
}

impl Call {
    /// The hook tool's name (`argv[0]`).
    pub fn tool(&self) -> &'static str {
        match self {
            Call::RelationIds { .. } => "relation-ids",
            Call::RelationList { .. } => "relation-list",
            Call::RelationGet { .. } => "relation-get",
            Call::RelationSet { .. } => "relation-set",
            Call::IsLeader => "is-leader",
            Call::ConfigGet { .. } => "config-get",
            Call::SecretGet { .. } => "secret-get",
            Call::SecretGrant { .. } => "secret-grant",
            Call::SecretAdd { .. } => "secret-add",
            Call::NetworkGet { .. } => "network-get",
            Call::StatusSet { .. } => "status-set",
            Call::StatusGet { .. } => "status-get",
            Call::ApplicationVersionSet { .. } => "application-version-set",
            Call::JujuLog { .. } => "juju-log",
            Call::OpenPort { .. } => "open-port",
            Call::ClosePort { .. } => "close-port",
            Call::OpenedPorts => "opened-ports",
        }
    }

    /// The relation the call is about, if any.
    pub fn relation(&self) -> Option<u32> {
        match self {
            Call::RelationList { relation, .. }
            | Call::RelationGet { relation, .. }
            | Call::RelationSet { relation, .. } => Some(relation.id),
            Call::SecretGrant { relation, .. } => Some(*relation),
            Call::NetworkGet { relation, .. } => *relation,
            _ => None,
        }
    }

    /// The program and its arguments, exactly as ops 3.9 runs them (but for `secret-get`, whose
    /// ID comes after `--`). `secret-add` reads each value from the file named by its key, as
    /// ops passes it (`key#file=<dir>/key`): the runner writes [`Call::content_files`] in a
    /// directory of its own and runs [`Call::argv_in`] with it; here the paths are relative.
    pub fn argv(&self) -> Vec<String> {
        self.argv_in(Path::new(""))
    }

    /// The files the tool reads its input from, as `(name, content)`: `secret-add`'s content, a
    /// file per key, so that no secret value is an argument, which any user of the machine can
    /// read in the process list (ops 3.9 `hookcmds/_secret.py`, `secret_add`: `key#file=`
    /// files in a temporary directory). Empty for the other calls.
    pub fn content_files(&self) -> Vec<(&str, &str)> {
        match self {
            Call::SecretAdd { content, .. } => {
                content.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect()
            }
            _ => Vec::new(),
        }
    }

    /// [`Call::argv`] with the files of [`Call::content_files`] in `content_dir`.
    pub fn argv_in(&self, content_dir: &Path) -> Vec<String> {
        let mut argv = vec![self.tool().to_owned()];
        match self {
            Call::RelationIds { endpoint } => argv.extend([endpoint.clone(), "--format=json".into()]),
            Call::RelationList { relation, app } => {
                argv.push("--format=json".into());
                if *app {
                    argv.push("--app".into());
                }
                argv.extend(["-r".into(), relation.to_string()]);
            }
            Call::RelationGet { relation, member, app, key } => {
                argv.extend(own(&["--format=json", "-r"]));
                argv.push(relation.to_string());
                if *app {
                    argv.push("--app".into());
                }
                argv.extend([key.clone().unwrap_or_else(|| "-".into()), member.clone()]);
            }
            Call::RelationSet { relation, app, .. } => {
                argv.extend(["-r".into(), relation.to_string()]);
                if *app {
                    argv.push("--app".into());
                }
                argv.extend(own(&["--file", "-"]));
            }
            Call::IsLeader | Call::OpenedPorts => argv.push("--format=json".into()),
            Call::ConfigGet { key } => {
                argv.push("--format=json".into());
                argv.extend(key.clone());
            }
            Call::SecretGet { id, label, refresh, peek } => {
                argv.push("--format=json".into());
                if let Some(label) = label {
                    argv.extend(["--label".into(), label.clone()]);
                }
                if *refresh {
                    argv.push("--refresh".into());
                }
                if *peek {
                    argv.push("--peek".into());
                }
                // After `--`, so that an ID from a remote databag (`--peek`, `--label=x`) cannot
                // be read as an option: Juju's flag parser (juju/gnuflag `parseOneGnu`) ends the
                // options there. ops puts the ID first, bare.
                if let Some(id) = id {
                    argv.extend(["--".into(), id.clone()]);
                }
            }
            Call::SecretGrant { id, relation, unit } => {
                argv.extend(["--relation".into(), relation.to_string()]);
                if let Some(unit) = unit {
                    argv.extend(["--unit".into(), unit.clone()]);
                }
                argv.push(id.clone());
            }
            Call::SecretAdd { label, owner, content } => {
                if let Some(label) = label {
                    argv.extend(["--label".into(), label.clone()]);
                }
                argv.extend(["--owner".into(), owner.clone()]);
                argv.extend(content.keys().map(|key| format!("{key}#file={}", content_dir.join(key).display())));
            }
            Call::NetworkGet { binding, relation } => {
                argv.push("--format=json".into());
                if let Some(relation) = relation {
                    argv.extend(["-r".into(), relation.to_string()]);
                }
                argv.push(binding.clone());
            }
            Call::StatusSet { app, status, message } => {
                // ops writes Python's bool: `--application=True`.
                argv.push(format!("--application={}", if *app { "True" } else { "False" }));
                argv.push(status.as_str().into());
                argv.extend(["--".into(), message.clone()]);
            }
            Call::StatusGet { app } => {
                argv.extend(own(&["--include-data", "--format=json"]));
                argv.push(format!("--application={app}"));
            }
            Call::ApplicationVersionSet { version } => argv.extend(["--".into(), version.clone()]),
            Call::JujuLog { level, message } => {
                argv.extend(["--log-level".into(), level.clone(), "--".into(), message.clone()])
            }
            Call::OpenPort { port, protocol } | Call::ClosePort { port, protocol } => {
                argv.push(format!("{port}/{protocol}"))
            }
        }
        argv
    }

    /// What the tool reads on standard input: the JSON map of a `relation-set` (as ops sends it,
    /// `json.dumps` of the map), nothing for the others.
    pub fn stdin(&self) -> Option<String> {
        match self {
            Call::RelationSet { data, .. } => Some(serde_json::to_string(data).expect("a map of strings is JSON")),
            _ => None,
        }
    }

    /// Reads a call back from its argv and standard input, as a hook tool would: the forms ops
    /// 3.9 sends and those this crate sends (they are the same), options in any order.
    /// `default_relation` stands for a missing `-r` (Juju takes the hook's relation, from
    /// `JUJU_RELATION_ID`). `read_file` reads the files of `secret-add <key>#file=<path>`.
    pub fn parse(
        argv: &[String],
        stdin: &str,
        default_relation: Option<&RelationRef>,
        read_file: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Call, ParseError> {
        let tool = argv.first().map(|arg0| arg0.rsplit('/').next().unwrap_or(arg0)).unwrap_or_default();
        let args = Args::new(tool, argv.get(1..).unwrap_or_default())?;
        let relation = |args: &Args<'_>| -> Result<RelationRef, ParseError> {
            match args.value("-r") {
                Some(text) => text.parse().map_err(|_| args.bad(format!("{text:?} is not a relation"))),
                None => default_relation.cloned().ok_or_else(|| args.bad("no -r and no relation in this hook".into())),
            }
        };
        let call = match tool {
            "relation-ids" => Call::RelationIds {
                endpoint: args.positional(0).ok_or_else(|| args.bad("no endpoint".into()))?.to_owned(),
            },
            "relation-list" => Call::RelationList { relation: relation(&args)?, app: args.flag("--app") },
            "relation-get" => {
                let app = args.flag("--app");
                let (key, member) = match args.positionals() {
                    [key, member] => (key.as_str(), member.clone()),
                    _ => return Err(args.bad("expected <key or -> <unit or app>".into())),
                };
                Call::RelationGet { relation: relation(&args)?, member, app, key: (key != "-").then(|| key.to_owned()) }
            }
            "relation-set" => {
                if args.value("--file") != Some("-") {
                    return Err(args.bad("only `--file -` is supported".into()));
                }
                let data = parse_settings(stdin).map_err(|why| args.bad(why))?;
                Call::RelationSet { relation: relation(&args)?, app: args.flag("--app"), data }
            }
            "is-leader" => Call::IsLeader,
            "config-get" => Call::ConfigGet { key: args.positional(0).map(str::to_owned) },
            "secret-get" => Call::SecretGet {
                id: args.positional(0).map(str::to_owned),
                label: args.value("--label").map(str::to_owned),
                refresh: args.flag("--refresh"),
                peek: args.flag("--peek"),
            },
            "secret-grant" => {
                let relation = args.value("--relation").ok_or_else(|| args.bad("no --relation".into()))?;
                let relation: RelationRef =
                    relation.parse().map_err(|_| args.bad(format!("bad relation {relation:?}")))?;
                Call::SecretGrant {
                    id: args.positional(0).ok_or_else(|| args.bad("no secret".into()))?.to_owned(),
                    relation: relation.id,
                    unit: args.value("--unit").map(str::to_owned),
                }
            }
            "secret-add" => {
                let mut content = BTreeMap::new();
                for item in args.positionals() {
                    let (key, value) = item.split_once('=').ok_or_else(|| args.bad(format!("bad content {item:?}")))?;
                    match key.strip_suffix("#file") {
                        Some(key) => content.insert(key.to_owned(), read_file(value).map_err(|why| args.bad(why))?),
                        None => content.insert(key.to_owned(), value.to_owned()),
                    };
                }
                Call::SecretAdd {
                    label: args.value("--label").map(str::to_owned),
                    owner: args.value("--owner").unwrap_or("application").to_owned(),
                    content,
                }
            }
            "network-get" => Call::NetworkGet {
                binding: args.positional(0).ok_or_else(|| args.bad("no binding".into()))?.to_owned(),
                relation: match args.value("-r") {
                    Some(text) => {
                        Some(text.parse::<RelationRef>().map_err(|_| args.bad(format!("bad relation {text:?}")))?.id)
                    }
                    None => None,
                },
            },
            "status-set" => {
                let app = matches!(args.value("--application"), Some("True" | "true"));
                let status = args.positional(0).ok_or_else(|| args.bad("no status".into()))?;
                Call::StatusSet {
                    app,
                    status: status.parse().map_err(|()| args.bad(format!("unknown status {status:?}")))?,
                    message: args.positionals().get(1..).unwrap_or_default().join(" "),
                }
            }
            "status-get" => Call::StatusGet { app: matches!(args.value("--application"), Some("True" | "true")) },
            "application-version-set" => {
                Call::ApplicationVersionSet { version: args.positional(0).unwrap_or_default().to_owned() }
            }
            "juju-log" => Call::JujuLog {
                level: args.value("--log-level").or(args.value("-l")).unwrap_or("INFO").to_owned(),
                message: args.positionals().join(" "),
            },
            "open-port" | "close-port" => {
                let text = args.positional(0).ok_or_else(|| args.bad("no port".into()))?;
                let (port, protocol) = text.split_once('/').unwrap_or((text, "tcp"));
                let port = port.parse().map_err(|_| args.bad(format!("bad port {text:?}")))?;
                let protocol = protocol.to_owned();
                if tool == "open-port" { Call::OpenPort { port, protocol } } else { Call::ClosePort { port, protocol } }
            }
            "opened-ports" => Call::OpenedPorts,
            other => return Err(ParseError { tool: other.to_owned(), why: "not a hook tool this crate knows".into() }),
        };
        Ok(call)
    }
}

/// A `relation-set` input: a JSON map of string to string, as this crate and ops 3.x send it. (Juju
/// also takes YAML there: a fake that serves charms sending YAML turns it into JSON first.)
fn parse_settings(stdin: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value =
        serde_json::from_str(stdin).map_err(|_| "standard input is not a JSON map".to_owned())?;
    let serde_json::Value::Object(map) = value else {
        return Err("standard input is not a map".into());
    };
    map.into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => Ok((key, text)),
            _ => Err(format!("the value of {key:?} is not a string")),
        })
        .collect()
}

/// Why an argv is not a call this crate knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{tool}: {why}")]
pub struct ParseError {
    /// The tool.
    pub tool: String,
    /// What is wrong.
    pub why: String,
}

/// Options that take a value, by tool (the rest are flags).
const VALUED: &[&str] = &[
    "-r",
    "--file",
    "--label",
    "--relation",
    "--unit",
    "--owner",
    "--description",
    "--log-level",
    "-l",
    "--application",
    "--expire",
    "--rotate",
    "--format",
];

/// An argv split into options and positionals (`--` ends options; `--opt=value` and `--opt value`).
struct Args<'a> {
    tool: &'a str,
    options: BTreeMap<String, Option<String>>,
    positionals: Vec<String>,
}

impl<'a> Args<'a> {
    fn new(tool: &'a str, args: &[String]) -> Result<Self, ParseError> {
        let mut options = BTreeMap::new();
        let mut positionals = Vec::new();
        let mut iter = args.iter();
        while let Some(arg) = iter.next() {
            if arg == "--" {
                positionals.extend(iter.by_ref().cloned());
                break;
            }
            if arg.starts_with('-') && arg != "-" {
                if let Some((name, value)) = arg.split_once('=') {
                    options.insert(name.to_owned(), Some(value.to_owned()));
                } else if VALUED.contains(&arg.as_str()) {
                    let value = iter
                        .next()
                        .ok_or_else(|| ParseError { tool: tool.into(), why: format!("{arg} needs a value") })?;
                    options.insert(arg.clone(), Some(value.clone()));
                } else {
                    options.insert(arg.clone(), None);
                }
            } else {
                positionals.push(arg.clone());
            }
        }
        Ok(Self { tool, options, positionals })
    }

    fn flag(&self, name: &str) -> bool {
        self.options.contains_key(name)
    }

    fn value(&self, name: &str) -> Option<&str> {
        self.options.get(name).and_then(|value| value.as_deref())
    }

    fn positional(&self, n: usize) -> Option<&str> {
        self.positionals.get(n).map(String::as_str)
    }

    fn positionals(&self) -> &[String] {
        &self.positionals
    }

    fn bad(&self, why: String) -> ParseError {
        ParseError { tool: self.tool.to_owned(), why }
    }
}

/// The map to give `relation-set --file -` to set the keys of `set` and delete those of `delete`:
/// a deleted key goes as `""`, which is how `relation-set` deletes a key (so a key cannot be set
/// to the empty string, in Juju as here).
pub fn relation_set_input(set: &Databag, delete: &BTreeSet<String>) -> Databag {
    let deletes = delete.iter().map(|key| (key.clone(), String::new()));
    set.clone().into_iter().chain(deletes).collect()
}

/// Applies a `relation-set` map to a databag as Juju does: `""` deletes the key.
pub fn apply_relation_set(databag: &mut Databag, data: &BTreeMap<String, String>) {
    for (key, value) in data {
        if value.is_empty() {
            databag.remove(key);
        } else {
            databag.insert(key.clone(), value.clone());
        }
    }
}
