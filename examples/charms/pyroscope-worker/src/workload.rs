//! The Pyroscope service: a small trait, systemd behind it (`systemctl`), and a recording fake.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use serde::{Deserialize, Serialize};

/// The systemd unit's name.
pub const SERVICE: &str = "pyroscope";

/// How the charm runs Pyroscope.
pub trait Workload {
    /// The command line the service runs now, `None` when it is stopped.
    fn running(&self) -> io::Result<Option<Vec<String>>>;
    /// Starts the service with `argv`, or restarts it if it runs.
    fn restart(&mut self, argv: &[String]) -> io::Result<()>;
    /// Stops the service (nothing if it is stopped).
    fn stop(&mut self) -> io::Result<()>;
}

/// Pyroscope as the systemd service [`SERVICE`]: a unit file in `unit_dir` whose `ExecStart` is
/// the command line (the file is also the record of what runs), `systemctl daemon-reload` when it
/// changes, `systemctl restart` and `systemctl stop`.
#[derive(Debug, Clone)]
pub struct Systemd {
    /// Where the unit file goes (`/etc/systemd/system`).
    pub unit_dir: PathBuf,
    /// The `systemctl` program.
    pub systemctl: PathBuf,
}

impl Systemd {
    fn unit_file(&self) -> PathBuf {
        self.unit_dir.join(format!("{SERVICE}.service"))
    }

    fn systemctl(&self, args: &[&str]) -> io::Result<()> {
        let status = Process::new(&self.systemctl).args(args).status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("`{} {}` exited with {status}", self.systemctl.display(), args.join(" "))))
        }
    }

    /// The unit file for `argv`.
    pub fn unit_text(argv: &[String]) -> String {
        let exec = argv.iter().map(|word| quote(word)).collect::<Vec<_>>().join(" ");
        format!(
            "[Unit]\nDescription=Grafana Pyroscope (managed by the pyroscope-worker charm)\nAfter=network-online.target\n\n\
             [Service]\nExecStart={exec}\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n"
        )
    }
}

/// A word of `ExecStart`, quoted when systemd would split it.
fn quote(word: &str) -> String {
    if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '\'') {
        return word.to_owned();
    }
    format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Reads `ExecStart` back (the words this module writes).
fn unquote(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut word = String::new();
        let mut any = false;
        if chars.peek() == Some(&'"') {
            chars.next();
            any = true;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => word.extend(chars.next()),
                    '"' => break,
                    c => word.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
                any = true;
            }
        }
        if any {
            words.push(word);
        }
    }
    words
}

impl Workload for Systemd {
    fn running(&self) -> io::Result<Option<Vec<String>>> {
        match fs::read_to_string(self.unit_file()) {
            Ok(text) => Ok(text.lines().find_map(|line| line.strip_prefix("ExecStart=")).map(unquote)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn restart(&mut self, argv: &[String]) -> io::Result<()> {
        let text = Self::unit_text(argv);
        if fs::read_to_string(self.unit_file()).ok().as_deref() != Some(text.as_str()) {
            fs::create_dir_all(&self.unit_dir)?;
            fs::write(self.unit_file(), text)?;
            self.systemctl(&["daemon-reload"])?;
        }
        self.systemctl(&["enable", SERVICE])?;
        self.systemctl(&["restart", SERVICE])
    }

    fn stop(&mut self) -> io::Result<()> {
        if !self.unit_file().exists() {
            return Ok(());
        }
        self.systemctl(&["disable", "--now", SERVICE])?;
        fs::remove_file(self.unit_file())?;
        self.systemctl(&["daemon-reload"])
    }
}

/// What the [`Recording`] workload holds: what runs, and how often it was (re)started and stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The command line that runs; `None` when stopped.
    pub running: Option<Vec<String>>,
    /// Starts (from stopped).
    pub starts: u32,
    /// Restarts (while running).
    pub restarts: u32,
    /// Stops.
    pub stops: u32,
}

/// A workload that runs nothing: it records in `dir/service.json` what would run, for tests and
/// for running the whole charm in a sandbox.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Where the record is.
    pub dir: PathBuf,
}

impl Recording {
    /// The record file.
    pub fn file(dir: &Path) -> PathBuf {
        dir.join("service.json")
    }

    /// Reads the record in `dir` (empty when there is none).
    pub fn read(dir: &Path) -> io::Result<Record> {
        match fs::read_to_string(Self::file(dir)) {
            Ok(text) => serde_json::from_str(&text).map_err(io::Error::other),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Record::default()),
            Err(err) => Err(err),
        }
    }

    fn write(&self, record: &Record) -> io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        fs::write(Self::file(&self.dir), serde_json::to_string_pretty(record).map_err(io::Error::other)?)
    }
}

impl Workload for Recording {
    fn running(&self) -> io::Result<Option<Vec<String>>> {
        Ok(Self::read(&self.dir)?.running)
    }

    fn restart(&mut self, argv: &[String]) -> io::Result<()> {
        let mut record = Self::read(&self.dir)?;
        if record.running.is_some() {
            record.restarts += 1;
        } else {
            record.starts += 1;
        }
        record.running = Some(argv.to_vec());
        self.write(&record)
    }

    fn stop(&mut self) -> io::Result<()> {
        let mut record = Self::read(&self.dir)?;
        if record.running.take().is_some() {
            record.stops += 1;
            self.write(&record)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_round_trips() {
        for argv in [
            vec!["pyroscope", "-config.file=/etc/pyroscope/config.yaml", "-target=all"],
            vec!["pyroscope", "-config.file=/var/lib/my worker/\"x\".yaml", "-target=querier"],
        ] {
            let argv: Vec<String> = argv.into_iter().map(str::to_owned).collect();
            let text = Systemd::unit_text(&argv);
            let line = text.lines().find_map(|line| line.strip_prefix("ExecStart=")).unwrap();
            assert_eq!(unquote(line), argv, "{line}");
        }
    }

    /// systemd through a fake `systemctl` that logs its arguments.
    #[test]
    fn systemd_writes_the_unit_and_calls_systemctl() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("systemctl.log");
        let systemctl = dir.path().join("systemctl");
        fs::write(&systemctl, format!("#!/bin/sh\necho \"$@\" >> {}\n", log.display())).unwrap();
        fs::set_permissions(&systemctl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut systemd = Systemd { unit_dir: dir.path().join("units"), systemctl };
        let argv: Vec<String> = ["pyroscope", "-config.file=/c.yaml", "-target=all"].map(str::to_owned).to_vec();
        assert_eq!(systemd.running().unwrap(), None);
        systemd.restart(&argv).unwrap();
        systemd.restart(&argv).unwrap();
        assert_eq!(systemd.running().unwrap(), Some(argv));
        systemd.stop().unwrap();
        assert_eq!(systemd.running().unwrap(), None);
        let calls = fs::read_to_string(&log).unwrap();
        assert_eq!(
            calls,
            "daemon-reload\nenable pyroscope\nrestart pyroscope\nenable pyroscope\nrestart pyroscope\n\
             disable --now pyroscope\ndaemon-reload\n"
        );
    }

    #[test]
    fn recording_counts() {
        let dir = tempfile::tempdir().unwrap();
        let mut workload = Recording { dir: dir.path().to_owned() };
        let argv = vec!["pyroscope".to_owned()];
        workload.restart(&argv).unwrap();
        workload.restart(&argv).unwrap();
        workload.stop().unwrap();
        workload.stop().unwrap();
        let record = Recording::read(dir.path()).unwrap();
        assert_eq!((record.starts, record.restarts, record.stops, record.running), (1, 1, 1, None));
    }
}
