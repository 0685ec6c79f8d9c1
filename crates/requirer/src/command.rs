//! The command line that runs Pyroscope on a worker.

use std::fmt;

use pyroscope_cluster_model::{Address, Architecture, Role, Roles};
use pyroscope_cluster_release::ports;

/// The Pyroscope program, looked up in `PATH`.
pub const PROGRAM: &str = "pyroscope";

/// `pyroscope -config.file=<path> -target=<roles>`: how a worker runs Pyroscope.
///
/// The `-target` roles are sorted by name and comma-joined, whatever order the worker's options
/// give them in, so that the same roles always give the same command (and no restart).
/// Two commands are equal when their arguments are: a worker whose command changed (its roles did)
/// must restart Pyroscope, whatever [`ConfigChange`](crate::ConfigChange) says.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Command {
    argv: Vec<String>,
}

impl Command {
    /// The command for a worker running `roles` with the configuration file at `config_file`.
    pub fn new(config_file: &str, roles: &Roles) -> Self {
        let argv = vec![
            PROGRAM.to_owned(),
            format!("-config.file={config_file}"),
            format!("-target={}", roles.to_sorted_string()),
        ];
        Self { argv }
    }

    /// The command for a worker of `architecture` (its configuration's, see
    /// [`WorkerConfig::architecture`](crate::WorkerConfig::architecture)) at `address`: in v1,
    /// [`Command::new`]; in v2 also `-architecture.storage=v2`, and on a metastore unit (roles
    /// with `metastore` or `all`) its Raft identity: `-metastore.raft.server-id=<address>:9099`,
    /// `-metastore.raft.advertise-address=<address>:9099`, `-metastore.raft.bind-address=:9099`.
    ///
    /// The server ID is the advertise address, as Grafana's Helm chart runs it
    /// (grafana/pyroscope v2.2.1, `operations/pyroscope/helm/pyroscope/rendered/micro-services-v2.yaml`)
    /// and as `metastore.raft.auto_join` needs: a node that joins a running group is added under
    /// its advertise address as its ID (`pkg/metastore/raftnode/node_bootstrap.go`, `tryAutoJoin`;
    /// `node_admin.go`, `AddNode`), and a node whose own ID is not the one in the group's
    /// configuration never stands for election (hashicorp/raft v1.7.3, `raft.go`, "not part of
    /// stable configuration"). The coordinator writes each bootstrap peer as `<address>:9099/<the
    /// same>` (`pkg/metastore/discovery/parse.go`, `ParsePeer`: `addr/id`), so that the ID is the
    /// same on both paths. The Canonical branch `feat/pyroscope-v2` uses the bare address as the
    /// ID (and no auto-join): pair this worker with a `pyroscope-cluster-provider` coordinator.
    pub fn for_worker(config_file: &str, roles: &Roles, architecture: Architecture, address: &Address) -> Self {
        let mut command = Self::new(config_file, roles);
        if architecture == Architecture::V2 {
            command.argv.push(format!("-architecture.storage={architecture}"));
            if roles.contains(Role::Metastore) || roles.contains(Role::All) {
                command.argv.extend([
                    format!("-metastore.raft.server-id={}", address.with_port(ports::RAFT.get())),
                    format!("-metastore.raft.advertise-address={}", address.with_port(ports::RAFT.get())),
                    format!("-metastore.raft.bind-address=:{}", ports::RAFT),
                ]);
            }
        }
        command
    }

    /// The program and its arguments, for an `exec`-style API.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The program to run.
    pub fn program(&self) -> &str {
        &self.argv[0]
    }

    /// The arguments, without the program.
    pub fn args(&self) -> &[String] {
        &self.argv[1..]
    }
}

impl fmt::Display for Command {
    /// One line, each word quoted for a POSIX shell (and Pebble's `command`) only when it needs it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.argv.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write_shell_word(f, word)?;
        }
        Ok(())
    }
}

/// Writes `word` bare when it has only characters no shell treats specially, else single-quoted.
fn write_shell_word(f: &mut fmt::Formatter<'_>, word: &str) -> fmt::Result {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.,/=:@%+".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return f.write_str(word);
    }
    f.write_str("'")?;
    f.write_str(&word.replace('\'', r"'\''"))?;
    f.write_str("'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(config_file: &str, roles: &str, argv: &[&str], line: &str) {
        let command = Command::new(config_file, &roles.parse().unwrap());
        assert_eq!(command.argv(), argv);
        assert_eq!(command.program(), "pyroscope");
        assert_eq!(command.args(), &argv[1..]);
        assert_eq!(command.to_string(), line);
    }

    #[track_caller]
    fn check_v2(roles: &str, address: &str, extra: &[&str]) {
        let address: Address = address.to_owned().try_into().unwrap();
        let roles: Roles = roles.parse().unwrap();
        let v1 = Command::for_worker("/c.yaml", &roles, Architecture::V1, &address);
        assert_eq!(v1, Command::new("/c.yaml", &roles), "v1 adds nothing");
        let v2 = Command::for_worker("/c.yaml", &roles, Architecture::V2, &address);
        let mut want = Command::new("/c.yaml", &roles).argv;
        want.push("-architecture.storage=v2".into());
        want.extend(extra.iter().map(|arg| arg.to_string()));
        assert_eq!(v2.argv(), want);
    }

    #[test]
    fn v2_command_table() {
        let raft = |advertise: &str| {
            [
                format!("-metastore.raft.server-id={advertise}"),
                format!("-metastore.raft.advertise-address={advertise}"),
                "-metastore.raft.bind-address=:9099".to_owned(),
            ]
        };
        check_v2("segment-writer", "w-0.w-endpoints", &[]);
        check_v2("query-backend,distributor", "10.0.0.1", &[]);
        let metastore = raft("w-0.w-endpoints:9099");
        check_v2("metastore", "w-0.w-endpoints", &metastore.each_ref().map(String::as_str));
        check_v2("all", "w-0.w-endpoints", &metastore.each_ref().map(String::as_str));
        let v6 = raft("[fd00::1]:9099");
        check_v2("metastore,segment-writer", "fd00::1", &v6.each_ref().map(String::as_str));
    }

    #[test]
    fn command_table() {
        let file = "/etc/worker/config.yaml";
        check(
            file,
            "all",
            &["pyroscope", "-config.file=/etc/worker/config.yaml", "-target=all"],
            "pyroscope -config.file=/etc/worker/config.yaml -target=all",
        );
        check(
            file,
            "querier,ingester,querier",
            &["pyroscope", "-config.file=/etc/worker/config.yaml", "-target=ingester,querier"],
            "pyroscope -config.file=/etc/worker/config.yaml -target=ingester,querier",
        );
        check(
            file,
            "query-frontend,querier,all",
            &["pyroscope", "-config.file=/etc/worker/config.yaml", "-target=all,querier,query-frontend"],
            "pyroscope -config.file=/etc/worker/config.yaml -target=all,querier,query-frontend",
        );
        check(
            "/var/lib/my worker/it's.yaml",
            "compactor",
            &["pyroscope", "-config.file=/var/lib/my worker/it's.yaml", "-target=compactor"],
            r"pyroscope '-config.file=/var/lib/my worker/it'\''s.yaml' -target=compactor",
        );
        check(
            "$HOME/c.yaml",
            "compactor",
            &["pyroscope", "-config.file=$HOME/c.yaml", "-target=compactor"],
            "pyroscope '-config.file=$HOME/c.yaml' -target=compactor",
        );
    }
}
