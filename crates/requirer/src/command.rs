//! The command line that runs Pyroscope on a worker.

use std::fmt;

use pyroscope_cluster_model::Roles;

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
