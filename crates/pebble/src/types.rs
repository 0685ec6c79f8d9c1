//! What Pebble answers, as types: each is the JSON of a `client/*.go` type of Pebble v1.32.1,
//! read leniently (a field Pebble adds later is ignored; a value it adds to an enumeration is
//! kept as text in `Other`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::layer::{CheckLevel, Startup};

/// `GET /v1/system-info` (Pebble's `client.SysInfo`, `internals/daemon/api.go` `v1SystemInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SystemInfo {
    /// The daemon's version (`v1.32.1`).
    pub version: String,
    /// Unique to this boot of the daemon's host: a change means the container restarted.
    pub boot_id: String,
    /// The TCP address of its HTTP API, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_address: Option<String>,
    /// The TCP address of its HTTPS API, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_address: Option<String>,
}

/// A change's ID (`"3"`): Pebble's shape, `^[a-z0-9]+$` (`client/changes.go`'s
/// `changeIDRegexp`), so that it goes into a URL path as it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChangeId(String);

impl ChangeId {
    /// The ID's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A text that is not a change ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Pebble change ID (lowercase ASCII letters and digits)")]
pub struct ChangeIdError(String);

impl FromStr for ChangeId {
    type Err = ChangeIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            Err(ChangeIdError(text.to_owned()))
        }
    }
}

impl<'de> Deserialize<'de> for ChangeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One service's state (Pebble's `client.ServiceInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ServiceInfo {
    /// Its name.
    pub name: String,
    /// Whether it starts by itself.
    pub startup: Startup,
    /// What it is doing.
    pub current: ServiceStatus,
    /// Since when (RFC 3339), once it has a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_since: Option<String>,
}

/// What a service is doing (Pebble's `client.ServiceStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ServiceStatus {
    /// Running.
    Active,
    /// Not running.
    Inactive,
    /// Exited, and waiting to be restarted.
    Backoff,
    /// Exited, and not to be restarted.
    Error,
    /// A status this client does not know, as Pebble wrote it.
    #[serde(untagged)]
    Other(String),
}

/// One check's state (Pebble's `client.CheckInfo`, `internals/daemon/api_checks.go`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CheckInfo {
    /// Its name.
    pub name: String,
    /// Its level, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CheckLevel>,
    /// Whether it runs by itself.
    pub startup: Startup,
    /// Up, down, or not running.
    pub status: CheckStatus,
    /// Successes in a row (Pebble v1.32.1 counts them; earlier daemons may not say).
    #[serde(default)]
    pub successes: u64,
    /// Failures in a row.
    #[serde(default)]
    pub failures: u64,
    /// Failures in a row before it is down.
    pub threshold: u32,
    /// The change that runs the check now (`perform-check` or `recover-check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<ChangeId>,
    /// The change that ran it before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_change_id: Option<ChangeId>,
}

/// A check's status (Pebble's `client.CheckStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CheckStatus {
    /// Passing, or failing fewer times in a row than its threshold.
    Up,
    /// Failed its threshold times in a row.
    Down,
    /// Not running (its startup is disabled, or it was stopped).
    Inactive,
    /// A status this client does not know, as Pebble wrote it.
    #[serde(untagged)]
    Other(String),
}

/// A change (Pebble's `client.Change`): what a start, stop, restart or replan asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Change {
    /// Its ID.
    pub id: ChangeId,
    /// Its kind: `start`, `stop`, `restart`, `replan`, `perform-check`, ...
    pub kind: String,
    /// What it does, in words (`Start service "pyroscope"`).
    pub summary: String,
    /// Its status: `Do`, `Doing`, `Done`, `Error`, `Hold`, `Undone`, ... (`state.Status`).
    pub status: String,
    /// Whether it has finished.
    pub ready: bool,
    /// Its error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// When it was made (RFC 3339).
    pub spawn_time: String,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
    /// Its tasks.
    #[serde(default)]
    pub tasks: Vec<Task>,
}

impl Change {
    /// Every task's log lines, in task order.
    pub fn log(&self) -> Vec<String> {
        self.tasks.iter().flat_map(|task| task.log.iter().cloned()).collect()
    }
}

/// A task of a change (Pebble's `client.Task`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Task {
    /// Its ID.
    pub id: String,
    /// Its kind (`start`, `stop`, ...).
    pub kind: String,
    /// What it does, in words.
    pub summary: String,
    /// Its status.
    pub status: String,
    /// Its log lines (`2026-12-07T09:10:49Z ERROR cannot start service: ...`).
    #[serde(default)]
    pub log: Vec<String>,
    /// When it was made.
    pub spawn_time: String,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
}

/// Which changes to list (the `select` of `GET /v1/changes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChangeSelect {
    /// Those not finished (Pebble's default).
    #[default]
    InProgress,
    /// Those finished.
    Ready,
    /// All.
    All,
}

impl ChangeSelect {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChangeSelect::InProgress => "in-progress",
            ChangeSelect::Ready => "ready",
            ChangeSelect::All => "all",
        }
    }
}

/// An entry of a directory listing (Pebble's `client.FileInfo`, `api_files.go`'s
/// `fileInfoResult`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileInfo {
    /// Its absolute path.
    pub path: String,
    /// Its base name.
    pub name: String,
    /// What it is.
    #[serde(rename = "type")]
    pub type_: FileType,
    /// Its size in bytes, for a regular file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its permission bits (`0o644`).
    #[serde(with = "octal")]
    pub permissions: u32,
    /// When it last changed (RFC 3339).
    pub last_modified: String,
    /// Its owner's user ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// Its owner's user name, if the system knows it.
    #[serde(default)]
    pub user: String,
    /// Its group's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Its group's name, if the system knows it.
    #[serde(default)]
    pub group: String,
}

/// What a file system entry is (Pebble's `fileType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A unix socket.
    Socket,
    /// A FIFO.
    NamedPipe,
    /// A device.
    Device,
    /// Anything else.
    Unknown,
    /// A type this client does not know, as Pebble wrote it.
    #[serde(untagged)]
    Other(String),
}

/// Permission bits as Pebble writes them: three octal digits (`"644"`).
mod octal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bits: &u32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{bits:03o}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        let text = String::deserialize(deserializer)?;
        u32::from_str_radix(&text, 8)
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not octal permission bits")))
    }
}

/// Who owns a pushed file or a made directory: by ID, by name, or both (Pebble checks that
/// they agree). With none set, the daemon's own user and group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    /// The user's ID.
    pub user_id: Option<u32>,
    /// The user's name.
    pub user: Option<String>,
    /// The group's ID.
    pub group_id: Option<u32>,
    /// The group's name.
    pub group: Option<String>,
}

/// How to push a file (Pebble's `client.PushOptions`, less its source and path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushOptions {
    /// Make the missing parent directories (0755, with the file's owner).
    pub make_dirs: bool,
    /// The file's permission bits (Pebble's default: 0o644); at most 0o777.
    pub permissions: Option<u32>,
    /// The file's owner.
    pub owner: Owner,
}

/// How to make a directory (Pebble's `client.MakeDirOptions`, less its path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MakeDirOptions {
    /// Make the missing parents too, and succeed if the directory exists.
    pub make_parents: bool,
    /// Its permission bits (Pebble's default: 0o755); at most 0o777.
    pub permissions: Option<u32>,
    /// Its owner.
    pub owner: Owner,
}

/// What to list (Pebble's `client.ListFilesOptions`, less its path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListFilesOptions {
    /// Only the entries whose names match this glob (Go's `path.Match`).
    pub pattern: Option<String>,
    /// A directory itself rather than its entries.
    pub itself: bool,
}

/// How much a remove removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// The path alone: a file, or an empty directory.
    One,
    /// The path and everything under it (`os.RemoveAll`: a missing path is no error).
    Recursive,
}

/// How a layer joins the plan (the `combine` of `POST /v1/layers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerMode {
    /// A new layer on top; an error if the label exists.
    Append,
    /// Combined into the layer of the same label if there is one (each entry by its
    /// `override`), appended otherwise: what a charm does on every hook.
    Combine,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_ids_have_pebbles_shape() {
        assert_eq!("42".parse::<ChangeId>().unwrap().as_str(), "42");
        assert_eq!("a1".parse::<ChangeId>().unwrap().to_string(), "a1");
        for bad in ["", "4/2", "A1", "1 "] {
            assert!(bad.parse::<ChangeId>().unwrap_err().to_string().contains("not a Pebble change ID"), "{bad}");
        }
        assert!(serde_json::from_str::<ChangeId>("\"../x\"").is_err());
    }

    #[test]
    fn answers_read_leniently() {
        let info: ServiceInfo =
            serde_json::from_str(r#"{"name":"s","startup":"enabled","current":"paused","new":1}"#).unwrap();
        assert_eq!(info.current, ServiceStatus::Other("paused".into()));
        let file: FileInfo = serde_json::from_str(
            r#"{"path":"/a","name":"a","type":"door","permissions":"640","last-modified":"2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!((file.type_, file.permissions), (FileType::Other("door".into()), 0o640));
        assert!(
            serde_json::from_str::<FileInfo>(
                r#"{"path":"/a","name":"a","type":"file","permissions":"rw","last-modified":""}"#
            )
            .is_err()
        );
    }
}
