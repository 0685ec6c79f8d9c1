//! The Pyroscope configuration a worker runs ([`WorkerConfig`]), and whether a new one means
//! rewriting the file on disk, restarting Pyroscope, or nothing ([`ConfigChange`]).

use std::fmt;
use std::str::FromStr;

use pyroscope_cluster_model::yaml::{self, YamlError};
use pyroscope_cluster_model::{Architecture, ErrorChain};
use serde_json::{Map, Value};

/// The configuration keys (dotted paths) whose change needs the file rewritten but Pyroscope not
/// restarted: see [`ConfigChange`] for the rule.
///
/// `memberlist.join_members` lists the gossip peers Pyroscope contacts when it starts, to find the
/// ring; once a process is in the ring, gossip keeps its view of the members up to date, and a
/// running process never reads the list again. The coordinator rewrites the list whenever a worker
/// unit comes or goes, so restarting on it would restart the whole cluster on every scale event.
///
/// v2: `metastore.raft.bootstrap_peers` and `metastore.raft.bootstrap_expect_peers` are read only
/// to bootstrap a Raft group, by a metastore that starts with no Raft state (grafana/pyroscope
/// v2.2.1, `pkg/metastore/raftnode/node.go`, `Node.Init`: `bootstrap()` only when
/// `!raft.HasExistingState`); a running metastore is in its group already. A metastore scale
/// also changes `metastore.address`, which every v2 client reads once, at start (a static list:
/// `pkg/metastore/discovery/parse.go`, `NewDiscovery`), so it restarts every worker all the same:
/// only the bootstrap keys are free.
pub const RESTART_FREE_KEYS: &[&str] =
    &["memberlist.join_members", "metastore.raft.bootstrap_expect_peers", "metastore.raft.bootstrap_peers"];

const JOIN_MEMBERS: [&str; 2] = ["memberlist", "join_members"];

/// Why a text is not a worker configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerConfigError {
    /// The text is not YAML.
    #[error("worker configuration is not valid YAML")]
    Yaml(#[source] YamlError),
    /// The text is YAML, but not a mapping (Pyroscope's configuration is a mapping of sections).
    #[error("worker configuration is YAML {found}, not a mapping of configuration keys")]
    NotAMapping {
        /// What the YAML is instead: `empty (null)`, `a string`, `a list`, `a number`, `a boolean`.
        found: &'static str,
    },
}

/// A Pyroscope configuration: the YAML text, and the tree it parses to.
///
/// Two configurations are equal when their trees are: key order, quoting, flow or block style and
/// comments do not matter. `Debug` shows only the top-level keys, since the configuration holds
/// S3 credentials.
#[derive(Clone)]
pub struct WorkerConfig {
    text: String,
    tree: Map<String, Value>,
}

impl FromStr for WorkerConfig {
    type Err = WorkerConfigError;

    /// Parses a YAML mapping.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let value: Value = yaml::from_str(text).map_err(WorkerConfigError::Yaml)?;
        let found = match value {
            Value::Object(tree) => return Ok(Self { text: text.to_owned(), tree }),
            Value::Null => "empty (null)",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
        };
        Err(WorkerConfigError::NotAMapping { found })
    }
}

impl WorkerConfig {
    /// The YAML text, exactly as the coordinator sent it: what to write to the config file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parsed configuration.
    pub fn tree(&self) -> &Map<String, Value> {
        &self.tree
    }

    /// The value at a key path, e.g. `&["memberlist", "join_members"]`.
    pub fn get(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter().try_fold(self.tree.get(*first)?, |value, key| value.as_object()?.get(*key))
    }

    /// The storage architecture the configuration is for: `v2` when `architecture_storage` is
    /// `v2`, else (`v1`, absent on 1.x, or anything else) `v1`.
    pub fn architecture(&self) -> Architecture {
        match self.get(&["architecture_storage"]).and_then(Value::as_str) {
            Some("v2") => Architecture::V2,
            _ => Architecture::V1,
        }
    }

    /// The gossip members (`memberlist.join_members`) as listed, e.g. `worker-0.worker-endpoints:7946`;
    /// empty when there are none. Entries that are not strings are left out.
    pub fn join_members(&self) -> Vec<&str> {
        self.get(&JOIN_MEMBERS)
            .and_then(Value::as_array)
            .map(|members| members.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

impl PartialEq for WorkerConfig {
    /// Compares the parsed trees, not the texts.
    fn eq(&self, other: &Self) -> bool {
        self.tree == other.tree
    }
}

impl fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("keys", &self.tree.keys().collect::<Vec<_>>())
            .field("text", &format_args!("<{} bytes, not shown>", self.text.len()))
            .finish()
    }
}

/// Why Pyroscope must be restarted.
#[derive(Debug)]
pub enum RestartReason {
    /// There is no config file on disk: Pyroscope has never run with this configuration.
    NoConfigOnDisk,
    /// The config file on disk cannot be read as a configuration.
    UnreadableConfigOnDisk(WorkerConfigError),
    /// Keys that Pyroscope reads only at start-up changed (dotted paths, sorted).
    Changed {
        /// The changed keys that need a restart (the restart-free ones that changed too are not listed).
        keys: Vec<String>,
    },
    /// Only the gossip members changed, but the running process started with none to join: it is
    /// alone in its ring, and gossip will not bring it in.
    StartedWithoutMembers,
}

impl fmt::Display for RestartReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestartReason::NoConfigOnDisk => f.write_str("there is no config file on disk"),
            RestartReason::UnreadableConfigOnDisk(err) => {
                write!(f, "the config file on disk cannot be read: {}", ErrorChain(err))
            }
            RestartReason::Changed { keys } => write!(f, "changed: {}", DottedList(keys)),
            RestartReason::StartedWithoutMembers => f.write_str(
                "only `memberlist.join_members` changed, but Pyroscope started with no member to join, so it is \
                 alone in its ring",
            ),
        }
    }
}

/// What a worker does about a configuration the coordinator sent, given the config file on disk.
///
/// The rule, comparing the parsed trees (never the texts: key order, YAML style and comments do
/// not count, and lists are compared in order):
/// 1. Same tree: [`ConfigChange::Unchanged`], nothing to do, not even a rewrite.
/// 2. No config file on disk, or one that does not parse as a YAML mapping:
///    [`ConfigChange::RewriteAndRestart`].
/// 3. Only keys of [`RESTART_FREE_KEYS`] differ (`memberlist.join_members`), and the file on disk
///    lists at least one gossip member: [`ConfigChange::Rewrite`] without restart. Pyroscope reads
///    the member list only at start-up, to find the ring; the running process is already in it,
///    and the new file is what the next start will read. When the file on disk lists no member,
///    the process started alone, so it is restarted to join ([`RestartReason::StartedWithoutMembers`]).
/// 4. Anything else: [`ConfigChange::RewriteAndRestart`]. Pyroscope reads its configuration file
///    only at start-up, so every other change takes effect only through a restart.
///
/// The Python worker restarts on every change, the order of the member list included.
#[derive(Debug)]
pub enum ConfigChange {
    /// The file on disk already holds this configuration.
    Unchanged,
    /// Write the file; do not restart.
    Rewrite {
        /// The restart-free keys that changed (dotted paths, sorted).
        keys: Vec<String>,
    },
    /// Write the file, then restart Pyroscope.
    RewriteAndRestart {
        /// Why a restart is needed.
        reason: RestartReason,
    },
}

impl ConfigChange {
    /// Decides what to do with `wanted` given the text of the config file on disk (`None`: no file).
    pub fn decide(on_disk: Option<&str>, wanted: &WorkerConfig) -> Self {
        let Some(text) = on_disk else {
            return Self::RewriteAndRestart { reason: RestartReason::NoConfigOnDisk };
        };
        if text == wanted.text {
            return Self::Unchanged;
        }
        let running = match text.parse::<WorkerConfig>() {
            Ok(running) => running,
            Err(err) => return Self::RewriteAndRestart { reason: RestartReason::UnreadableConfigOnDisk(err) },
        };
        if running == *wanted {
            return Self::Unchanged;
        }
        let mut changed = Vec::new();
        diff_maps(&running.tree, &wanted.tree, &mut Vec::new(), &mut changed);
        changed.sort();
        changed.dedup();
        let (free, restart): (Vec<String>, Vec<String>) =
            changed.into_iter().partition(|key| RESTART_FREE_KEYS.contains(&key.as_str()));
        if !restart.is_empty() {
            return Self::RewriteAndRestart { reason: RestartReason::Changed { keys: restart } };
        }
        if free.iter().any(|key| *key == JOIN_MEMBERS.join(".")) && running.join_members().is_empty() {
            return Self::RewriteAndRestart { reason: RestartReason::StartedWithoutMembers };
        }
        Self::Rewrite { keys: free }
    }

    /// Whether the config file must be written.
    pub fn needs_write(&self) -> bool {
        !matches!(self, Self::Unchanged)
    }

    /// Whether Pyroscope must be restarted (after the file is written).
    pub fn needs_restart(&self) -> bool {
        matches!(self, Self::RewriteAndRestart { .. })
    }
}

impl fmt::Display for ConfigChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigChange::Unchanged => f.write_str("configuration unchanged"),
            ConfigChange::Rewrite { keys } => write!(
                f,
                "rewrite the config file, no restart: only {} changed, read only at start-up to join the cluster the running process is in already",
                DottedList(keys)
            ),
            ConfigChange::RewriteAndRestart { reason } => {
                write!(f, "rewrite the config file and restart Pyroscope: {reason}")
            }
        }
    }
}

struct DottedList<'a>(&'a [String]);

impl fmt::Display for DottedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{key}`")?;
        }
        Ok(())
    }
}

/// Collects the dotted paths at which two maps differ. A key on one side only is reported at its
/// leaves (so that a section that appears with only `join_members` in it counts as a change of
/// `join_members`); values other than maps are compared whole.
fn diff_maps<'a>(
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
    path: &mut Vec<&'a str>,
    out: &mut Vec<String>,
) {
    let keys = old.keys().chain(new.keys().filter(|key| !old.contains_key(*key)));
    for key in keys {
        path.push(key);
        match (old.get(key), new.get(key)) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => diff_maps(a, b, path, out),
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => out.push(path.join(".")),
            (Some(only), None) | (None, Some(only)) => leaves(only, path, out),
            (None, None) => {}
        }
        path.pop();
    }
}

fn leaves<'a>(value: &'a Value, path: &mut Vec<&'a str>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                path.push(key);
                leaves(value, path, out);
                path.pop();
            }
        }
        _ => out.push(path.join(".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_parse(text: &str, expect: Result<serde_json::Value, &str>) {
        match (text.parse::<WorkerConfig>(), expect) {
            (Ok(config), Ok(want)) => {
                assert_eq!(Value::Object(config.tree().clone()), want);
                assert_eq!(config.text(), text);
            }
            (Err(err), Err(want)) => assert!(ErrorChain(&err).to_string().starts_with(want), "{text:?}: {err}"),
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parse_table() {
        use serde_json::json;
        check_parse("foo: bar", Ok(json!({"foo": "bar"})));
        check_parse("{a: 1, b: [x, 'y']}", Ok(json!({"a": 1, "b": ["x", "y"]})));
        check_parse("# only a comment\n{}", Ok(json!({})));
        check_parse("", Err("worker configuration is YAML empty (null), not a mapping of configuration keys"));
        check_parse("foo", Err("worker configuration is YAML a string, not a mapping"));
        check_parse("- a\n- b", Err("worker configuration is YAML a list, not a mapping"));
        check_parse("3", Err("worker configuration is YAML a number, not a mapping"));
        check_parse("true", Err("worker configuration is YAML a boolean, not a mapping"));
        check_parse("a: [1, 2\nb: 3\n", Err("worker configuration is not valid YAML: "));
        check_parse("a: b: c", Err("worker configuration is not valid YAML: "));
    }

    #[test]
    fn debug_hides_the_text() {
        let config: WorkerConfig = "storage:\n  s3:\n    secret_access_key: hunter2\n".parse().unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(shown, r#"WorkerConfig { keys: ["storage"], text: <46 bytes, not shown> }"#);
    }

    #[test]
    fn get_and_join_members() {
        let config: WorkerConfig =
            "memberlist:\n  bind_port: 7946\n  join_members: [a:7946, 3, b:7946]\n".parse().unwrap();
        assert_eq!(config.get(&["memberlist", "bind_port"]), Some(&Value::from(7946)));
        assert_eq!(config.get(&["memberlist", "bind_port", "x"]), None);
        assert_eq!(config.get(&[]), None);
        assert_eq!(config.join_members(), ["a:7946", "b:7946"]);
        let none: WorkerConfig = "memberlist: {}".parse().unwrap();
        assert!(none.join_members().is_empty());
    }

    /// `expect`: `"unchanged"`, `"rewrite <keys>"` or `"restart <reason>"`.
    #[track_caller]
    fn check(on_disk: Option<&str>, wanted: &str, expect: &str) {
        let wanted: WorkerConfig = wanted.parse().unwrap();
        let change = ConfigChange::decide(on_disk, &wanted);
        let got = match &change {
            ConfigChange::Unchanged => "unchanged".to_owned(),
            ConfigChange::Rewrite { keys } => format!("rewrite {}", keys.join(" ")),
            ConfigChange::RewriteAndRestart { reason } => format!("restart {reason}"),
        };
        assert_eq!(got, expect, "{on_disk:?}");
        assert_eq!(change.needs_write(), !expect.starts_with("unchanged"));
        assert_eq!(change.needs_restart(), expect.starts_with("restart"));
    }

    const BASE: &str = "\
server:
  http_listen_port: 4040
memberlist:
  bind_port: 7946
  join_members:
  - worker-0.worker-endpoints:7946
  - worker-1.worker-endpoints:7946
storage:
  backend: s3
  s3:
    bucket_name: pyroscope
";

    #[test]
    fn decision_table() {
        check(Some(BASE), BASE, "unchanged");
        let reordered = "{storage: {s3: {bucket_name: \"pyroscope\"}, backend: s3}, memberlist: {join_members: \
                         ['worker-0.worker-endpoints:7946', worker-1.worker-endpoints:7946], bind_port: 7946}, \
                         server: {http_listen_port: 4040}} # flow style";
        check(Some(BASE), reordered, "unchanged");
        check(None, BASE, "restart there is no config file on disk");
        check(
            Some(""),
            BASE,
            "restart the config file on disk cannot be read: worker configuration is YAML empty (null), not a mapping of configuration keys",
        );
        check(
            Some("a: [1"),
            BASE,
            "restart the config file on disk cannot be read: worker configuration is not valid YAML: did not find \
             expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 4",
        );

        let one_left = BASE.replace("  - worker-1.worker-endpoints:7946\n", "");
        check(Some(BASE), &one_left, "rewrite memberlist.join_members");
        check(Some(&one_left), BASE, "rewrite memberlist.join_members");
        let swapped =
            BASE.replace("worker-0", "worker-x").replace("worker-1", "worker-0").replace("worker-x", "worker-1");
        check(Some(BASE), &swapped, "rewrite memberlist.join_members");
        let without_list = BASE
            .replace("  join_members:\n  - worker-0.worker-endpoints:7946\n  - worker-1.worker-endpoints:7946\n", "");
        check(Some(BASE), &without_list, "rewrite memberlist.join_members");
        check(
            Some(&without_list),
            BASE,
            "restart only `memberlist.join_members` changed, but Pyroscope started with no member to join, so it is alone in its ring",
        );
        let empty_list = BASE.replace(
            "  join_members:\n  - worker-0.worker-endpoints:7946\n  - worker-1.worker-endpoints:7946\n",
            "  join_members: []\n",
        );
        check(
            Some(&empty_list),
            BASE,
            "restart only `memberlist.join_members` changed, but Pyroscope started with no member to join, so it is alone in its ring",
        );

        let bucket = BASE.replace("bucket_name: pyroscope", "bucket_name: other");
        check(Some(BASE), &bucket, "restart changed: `storage.s3.bucket_name`");
        let both = one_left.replace("bucket_name: pyroscope", "bucket_name: other");
        check(Some(BASE), &both, "restart changed: `storage.s3.bucket_name`");
        let port = BASE.replace("bind_port: 7946", "bind_port: 7947");
        check(Some(BASE), &port, "restart changed: `memberlist.bind_port`");
        let string_port = BASE.replace("bind_port: 7946", "bind_port: '7946'");
        check(Some(BASE), &string_port, "restart changed: `memberlist.bind_port`");
        let added = format!("{BASE}api:\n  base-url: /pyroscope\n");
        check(Some(BASE), &added, "restart changed: `api.base-url`");
        check(Some(&added), BASE, "restart changed: `api.base-url`");
        let section = format!("{BASE}limits: {{}}\n");
        check(Some(BASE), &section, "restart changed: `limits`");
        let s3_gone = "server:\n  http_listen_port: 4040\nmemberlist:\n  bind_port: 7946\n  join_members: [a:7946]\n";
        check(Some(BASE), s3_gone, "restart changed: `storage.backend`, `storage.s3.bucket_name`");
        check(
            Some("memberlist: {join_members: [a:7946]}"),
            "memberlist: {join_members: [b:7946]}",
            "rewrite memberlist.join_members",
        );
        check(
            Some("{}"),
            "memberlist: {join_members: [b:7946]}",
            "restart only `memberlist.join_members` changed, but Pyroscope started with no member to join, so it is alone in its ring",
        );
    }

    /// A v2 configuration with these metastores, as the coordinator renders it.
    fn v2(metastores: &[&str]) -> String {
        let peers: Vec<String> = metastores.iter().map(|m| format!("{m}:9099")).collect();
        let address: Vec<String> = metastores.iter().map(|m| format!("{m}:9095")).collect();
        format!(
            "architecture_storage: v2\nmemberlist:\n  join_members: [{m}]\nmetastore:\n  address: {a}\n  raft:\n    \
             bootstrap_expect_peers: {n}\n    bootstrap_peers: [{p}]\n",
            m = metastores.iter().map(|m| format!("{m}:7946")).collect::<Vec<_>>().join(", "),
            a = address.join(","),
            n = metastores.len(),
            p = peers.join(", "),
        )
    }

    #[test]
    fn v2_metastore_scale() {
        let (three, five) = (v2(&["m-0", "m-1", "m-2"]), v2(&["m-0", "m-1", "m-2", "m-3", "m-4"]));
        check(Some(&three), &three, "unchanged");
        // A metastore scale: the Raft bootstrap keys alone would not restart, but every client
        // reads `metastore.address` only at start.
        check(Some(&three), &five, "restart changed: `metastore.address`");
        let same_address = five.replace("m-0:9095,m-1:9095,m-2:9095,m-3:9095,m-4:9095", "m-0:9095,m-1:9095,m-2:9095");
        check(
            Some(&three),
            &same_address,
            "rewrite memberlist.join_members metastore.raft.bootstrap_expect_peers metastore.raft.bootstrap_peers",
        );
        let no_members = three.replace("join_members: [m-0:7946, m-1:7946, m-2:7946]", "join_members: []");
        let peers_only = no_members.replace("bootstrap_expect_peers: 3", "bootstrap_expect_peers: 1");
        check(Some(&no_members), &peers_only, "rewrite metastore.raft.bootstrap_expect_peers");
        let v1: WorkerConfig = BASE.parse().unwrap();
        assert_eq!(v1.architecture(), Architecture::V1);
        assert_eq!(three.parse::<WorkerConfig>().unwrap().architecture(), Architecture::V2);
    }

    #[test]
    fn decision_displays_say_what_and_why() {
        let wanted: WorkerConfig = "memberlist: {join_members: [b:7946]}".parse().unwrap();
        let change = ConfigChange::decide(Some("memberlist: {join_members: [a:7946]}"), &wanted);
        assert_eq!(
            change.to_string(),
            "rewrite the config file, no restart: only `memberlist.join_members` changed, read only at start-up to \
             join the cluster the running process is in already"
        );
        let change = ConfigChange::decide(Some("a: 1\nb: 2"), &"a: 2\nb: 3".parse().unwrap());
        assert_eq!(change.to_string(), "rewrite the config file and restart Pyroscope: changed: `a`, `b`");
        assert_eq!(ConfigChange::decide(Some("a: 1"), &"a: 1".parse().unwrap()).to_string(), "configuration unchanged");
    }
}
