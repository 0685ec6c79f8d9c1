//! Which paths of the coordinator's configuration this charm lets Pyroscope use: the ones it
//! owns. The coordinator chooses Pyroscope's configuration, not where on this machine Pyroscope
//! writes or what it reads: `pyroscopedb.data_path: /etc` or `server.http_tls_config.key_file:
//! /etc/shadow` are refused, with the key and the path, before anything is written.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// A path in the configuration that is not the charm's to give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignPath {
    /// The dotted key path: `pyroscopedb.data_path`.
    pub key: String,
    /// The path as given.
    pub path: String,
    /// Where paths of this key must be.
    pub within: PathBuf,
}

impl fmt::Display for ForeignPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: String = self.path.chars().take(80).flat_map(char::escape_debug).collect();
        write!(f, "`{}` = `{path}` is outside {}, which this worker owns for it", self.key, self.within.display())
    }
}

/// Whether the key at `path` names a file Pyroscope reads (TLS material, runtime overrides) or
/// a place it writes (data, tokens, temporary files); `None` for a key that names no path.
fn kind(path: &[&str]) -> Option<Kind> {
    let leaf = *path.last()?;
    if path == ["runtime_config", "file"] || leaf.starts_with("tls_") || leaf.ends_with("_file") {
        return Some(Kind::Read);
    }
    if leaf == "dir" || leaf.ends_with("_dir") || leaf.ends_with("_path") {
        return Some(Kind::Write);
    }
    None
}

#[derive(Clone, Copy)]
enum Kind {
    Read,
    Write,
}

/// The first path of `config` outside what this charm owns: a place Pyroscope writes must be in
/// `data_dir` (the service's only writable directory, and its working directory, against which a
/// relative path is read), a file it reads in `config_dir` (where the charm writes the TLS
/// files). A path with `..` is outside whatever it starts with. Empty values (Pyroscope's
/// defaults, relative to the working directory) pass.
pub fn foreign_path(
    config: &serde_json::Map<String, Value>,
    data_dir: &Path,
    config_dir: &Path,
) -> Option<ForeignPath> {
    let mut stack: Vec<(Vec<&str>, &Value)> = config.iter().map(|(key, value)| (vec![key.as_str()], value)).collect();
    stack.reverse();
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::Object(map) => {
                let mut children: Vec<_> = map
                    .iter()
                    .map(|(key, value)| {
                        let mut child = path.clone();
                        child.push(key.as_str());
                        (child, value)
                    })
                    .collect();
                children.reverse();
                stack.extend(children);
            }
            Value::String(text) if !text.is_empty() => {
                let Some(kind) = kind(&path) else { continue };
                let within = match kind {
                    Kind::Read => config_dir,
                    Kind::Write => data_dir,
                };
                // `runtime_config.file` is a comma-separated list.
                let outside = text.split(',').any(|one| !inside(&data_dir.join(one.trim()), within));
                if outside {
                    return Some(ForeignPath { key: path.join("."), path: text.clone(), within: within.to_owned() });
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether `path` (absolute, or relative to the working directory) is `root` or under it, read
/// without the file system: `..` anywhere is outside.
fn inside(path: &Path, root: &Path) -> bool {
    if path.components().any(|component| matches!(component, Component::ParentDir)) {
        return false;
    }
    if path.to_string_lossy().chars().any(char::is_control) {
        return false;
    }
    path.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(yaml: &str, expect: Option<&str>) {
        let config: serde_json::Map<String, Value> = pyroscope_cluster_model::yaml::from_str(yaml).unwrap();
        let got = foreign_path(&config, Path::new("/pyroscope-data"), Path::new("/etc/pyroscope"));
        assert_eq!(got.map(|found| found.to_string()).as_deref(), expect, "{yaml}");
    }

    #[test]
    fn paths_the_charm_owns_and_the_others() {
        check("pyroscopedb: {data_path: /pyroscope-data}\n", None);
        check("pyroscopedb: {data_path: /pyroscope-data/v1}\ncompactor: {data_dir: ./data-compactor}\n", None);
        check("metastore: {data_dir: /pyroscope-data/metastore/data, raft: {dir: /pyroscope-data/raft}}\n", None);
        check("server: {http_tls_config: {cert_file: /etc/pyroscope/server.pem, key_file: ''}}\n", None);
        check("limits: {write_path: {enabled: true}}\nserver: {http_listen_port: 4040}\n", None);
        check(
            "pyroscopedb: {data_path: /etc}\n",
            Some("`pyroscopedb.data_path` = `/etc` is outside /pyroscope-data, which this worker owns for it"),
        );
        check(
            "storage: {backend: filesystem, filesystem: {dir: /root/.ssh}}\n",
            Some("`storage.filesystem.dir` = `/root/.ssh` is outside /pyroscope-data, which this worker owns for it"),
        );
        check(
            "server: {http_tls_config: {key_file: /etc/shadow}}\n",
            Some(
                "`server.http_tls_config.key_file` = `/etc/shadow` is outside /etc/pyroscope, which this worker owns for it",
            ),
        );
        check(
            "pyroscopedb: {data_path: /pyroscope-data/../etc}\n",
            Some(
                "`pyroscopedb.data_path` = `/pyroscope-data/../etc` is outside /pyroscope-data, which this worker owns for it",
            ),
        );
        check(
            "pyroscopedb: {data_path: /pyroscope-data2}\n",
            Some(
                "`pyroscopedb.data_path` = `/pyroscope-data2` is outside /pyroscope-data, which this worker owns for it",
            ),
        );
        check(
            "runtime_config: {file: '/etc/pyroscope/o.yaml, /etc/passwd'}\n",
            Some(
                "`runtime_config.file` = `/etc/pyroscope/o.yaml, /etc/passwd` is outside /etc/pyroscope, which this worker owns for it",
            ),
        );
        check(
            "memberlist: {tls_key_path: server.key}\n",
            Some("`memberlist.tls_key_path` = `server.key` is outside /etc/pyroscope, which this worker owns for it"),
        );
    }
}
