//! The Pyroscope service: a small trait, systemd behind it (`systemctl`), and a recording fake.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use pyroscope_cluster_juju::write_config_file;
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
    /// Whether the service runs `argv` as this charm would start it now (for systemd: the whole
    /// unit file, so that a unit an older charm wrote, without the confinement, is replaced).
    fn is_current(&self, argv: &[String]) -> io::Result<bool> {
        Ok(self.running()?.as_deref() == Some(argv))
    }
    /// Makes what the service needs before it first runs: its account and its data directory.
    fn prepare(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Lets the service read a file the charm wrote (owner-only, the charm's): the service's
    /// group may read it, no one else.
    fn share(&self, _path: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// Pyroscope as the systemd service [`SERVICE`], confined: run as the account [`Systemd::user`]
/// (made with `useradd --system` when missing), writing only under [`Systemd::data_dir`] (its
/// own, `0750`), reading the files the charm hands it ([`Workload::share`]: `root:<user>`,
/// `0640`). A unit file in `unit_dir` whose `ExecStart` is the command line (the file is also
/// the record of what runs), written atomically; `systemctl daemon-reload` when it changes,
/// `systemctl restart` and `systemctl stop`.
#[derive(Debug, Clone)]
pub struct Systemd {
    /// Where the unit file goes (`/etc/systemd/system`).
    pub unit_dir: PathBuf,
    /// The `systemctl` program.
    pub systemctl: PathBuf,
    /// The account Pyroscope runs as, and its group ([`USER`]).
    pub user: String,
    /// The one directory Pyroscope may write (`ReadWritePaths=`), its working directory.
    pub data_dir: PathBuf,
    /// The `useradd` program.
    pub useradd: PathBuf,
    /// The account database the user's IDs are read from (`/etc/passwd`).
    pub passwd: PathBuf,
}

/// The account Pyroscope runs as.
pub const USER: &str = "pyroscope";

/// Why a unit file cannot be written for a command line or a directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {text:?} has a control character, which a systemd unit file cannot hold")]
pub struct UnitTextError {
    /// What it is: `an argument`, `the data directory`.
    pub what: &'static str,
    /// The text.
    pub text: String,
}

impl Systemd {
    /// Systemd with the defaults of a real machine for everything but `unit_dir`, `systemctl`
    /// and `data_dir`.
    pub fn new(unit_dir: PathBuf, systemctl: PathBuf, data_dir: PathBuf) -> Self {
        Self {
            unit_dir,
            systemctl,
            user: USER.to_owned(),
            data_dir,
            useradd: "useradd".into(),
            passwd: "/etc/passwd".into(),
        }
    }

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

    /// The unit file for `argv`, run as `user` with `data_dir` its only writable place.
    ///
    /// Each word of `ExecStart` is quoted when systemd would split it, and `%` and `$` are
    /// doubled, so that systemd expands no specifier (`%h`) and no environment variable (`$X`) in
    /// it (systemd.service(5), "Command lines"; systemd.unit(5), "Specifiers"). A control
    /// character (a newline would start a new setting) is refused.
    pub fn unit_text(argv: &[String], user: &str, data_dir: &Path) -> Result<String, UnitTextError> {
        let exec = argv.iter().map(|word| quote(word, "an argument")).collect::<Result<Vec<_>, _>>()?.join(" ");
        let data = quote(&data_dir.to_string_lossy(), "the data directory")?;
        let user = quote(user, "the user")?;
        Ok(format!(
            "[Unit]\nDescription=Grafana Pyroscope (managed by the pyroscope-worker charm)\n\
             After=network-online.target\nWants=network-online.target\n\n\
             [Service]\nExecStart={exec}\nUser={user}\nGroup={user}\nWorkingDirectory={data}\n\
             ReadWritePaths={data}\nUMask=0027\n\
             ProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\nNoNewPrivileges=yes\n\
             CapabilityBoundingSet=\nAmbientCapabilities=\nRestrictSUIDSGID=yes\nLockPersonality=yes\n\
             ProtectKernelTunables=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\n\
             ProtectClock=yes\nProtectHostname=yes\nRestrictNamespaces=yes\nRestrictRealtime=yes\n\
             RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n\
             Restart=always\n\n[Install]\nWantedBy=multi-user.target\n"
        ))
    }

    /// The user's IDs (`uid`, `gid`) from [`Systemd::passwd`], if it is there.
    fn ids(&self) -> io::Result<Option<(u32, u32)>> {
        let text = match fs::read_to_string(&self.passwd) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        Ok(text.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                [name, _, uid, gid, ..] if *name == self.user => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        }))
    }

    /// The user's IDs, the account made first when it is missing.
    fn account(&self) -> io::Result<(u32, u32)> {
        if let Some(ids) = self.ids()? {
            return Ok(ids);
        }
        let status = Process::new(&self.useradd)
            .args(["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "--home-dir"])
            .arg(&self.data_dir)
            .arg(&self.user)
            .status()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "`{} ... {}` exited with {status}",
                self.useradd.display(),
                self.user
            )));
        }
        self.ids()?.ok_or_else(|| io::Error::other(format!("useradd made no account {:?}", self.user)))
    }
}

/// A word of a unit file setting: `%` and `$` doubled, quoted when systemd would split it;
/// refused with a control character.
fn quote(word: &str, what: &'static str) -> Result<String, UnitTextError> {
    if word.chars().any(char::is_control) {
        return Err(UnitTextError { what, text: word.to_owned() });
    }
    let word = word.replace('%', "%%").replace('$', "$$");
    if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '\'') {
        return Ok(word);
    }
    Ok(format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\"")))
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
            words.push(word.replace("%%", "%").replace("$$", "$"));
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

    fn is_current(&self, argv: &[String]) -> io::Result<bool> {
        let Ok(wanted) = Self::unit_text(argv, &self.user, &self.data_dir) else { return Ok(false) };
        match fs::read_to_string(self.unit_file()) {
            Ok(text) => Ok(text == wanted),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err),
        }
    }

    fn prepare(&mut self) -> io::Result<()> {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        let (uid, gid) = self.account()?;
        match fs::DirBuilder::new().mode(0o750).recursive(true).create(&self.data_dir) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(err),
        }
        // Not through a link: the directory itself is the one Pyroscope gets.
        if fs::symlink_metadata(&self.data_dir)?.file_type().is_symlink() {
            return Err(io::Error::other(format!("{} is a symbolic link", self.data_dir.display())));
        }
        std::os::unix::fs::chown(&self.data_dir, Some(uid), Some(gid))?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o750))
    }

    fn share(&self, path: &Path) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let (_, gid) = self.account()?;
        // lchown: the charm's own file, never what a link there points to.
        std::os::unix::fs::lchown(path, None, Some(gid))?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o640))
    }

    fn restart(&mut self, argv: &[String]) -> io::Result<()> {
        let text = Self::unit_text(argv, &self.user, &self.data_dir).map_err(io::Error::other)?;
        if fs::read_to_string(self.unit_file()).ok().as_deref() != Some(text.as_str()) {
            fs::create_dir_all(&self.unit_dir)?;
            write_config_file(self.unit_file(), &text).map_err(io::Error::other)?;
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

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn exec_start_round_trips() {
        for words in [
            vec!["pyroscope", "-config.file=/etc/pyroscope/config.yaml", "-target=all"],
            vec!["pyroscope", "-config.file=/var/lib/my worker/\"x\".yaml", "-target=querier"],
            vec!["pyroscope", "-config.file=/etc/%h/$HOME/${X}/%%.yaml", "-target=all"],
        ] {
            let argv = argv(&words);
            let text = Systemd::unit_text(&argv, USER, Path::new("/pyroscope-data")).unwrap();
            let line = text.lines().find_map(|line| line.strip_prefix("ExecStart=")).unwrap();
            assert_eq!(unquote(line), argv, "{line}");
        }
    }

    /// systemd expands `%` specifiers and `$` variables in `ExecStart` (systemd.service(5),
    /// "Command lines"): both are doubled, so that an argument reaches Pyroscope as written; and a
    /// control character, which could start a setting of its own, is refused.
    #[test]
    fn exec_start_expands_nothing_and_holds_no_control_character() {
        let text = Systemd::unit_text(&argv(&["pyroscope", "-x=%h$HOME"]), USER, Path::new("/d")).unwrap();
        assert!(text.contains("\nExecStart=pyroscope -x=%%h$$HOME\n"), "{text}");
        for word in ["-a\nExecStartPre=/bin/sh -c id", "-a\rb", "-a\u{1b}[2J"] {
            let err = Systemd::unit_text(&argv(&["pyroscope", word]), USER, Path::new("/d")).unwrap_err();
            assert_eq!(err.what, "an argument");
        }
        assert!(Systemd::unit_text(&argv(&["pyroscope"]), USER, Path::new("/d\nx")).is_err());
    }

    /// Pyroscope runs as its own account, writes only its data directory, and gets no privilege.
    #[test]
    fn the_service_is_confined() {
        let text = Systemd::unit_text(&argv(&["pyroscope"]), USER, Path::new("/pyroscope-data")).unwrap();
        for line in [
            "User=pyroscope",
            "Group=pyroscope",
            "WorkingDirectory=/pyroscope-data",
            "ReadWritePaths=/pyroscope-data",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=",
        ] {
            assert!(text.lines().any(|have| have == line), "{line} in\n{text}");
        }
    }

    /// A fake `systemctl` that logs its arguments, and an account database and `useradd` of
    /// this test's own.
    fn fake_systemd(dir: &Path) -> Systemd {
        let log = dir.join("systemctl.log");
        let script = |name: &str, body: String| {
            let path = dir.join(name);
            fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
            path
        };
        let passwd = dir.join("passwd");
        // The account gets this test's own IDs, so that chown works without root.
        let (uid, gid) = {
            use std::os::unix::fs::MetadataExt;
            let meta = fs::metadata(dir).unwrap();
            (meta.uid(), meta.gid())
        };
        let useradd = script(
            "useradd",
            format!(
                "echo \"$@\" >> {}\necho \"pyroscope:x:{uid}:{gid}::/d:/usr/sbin/nologin\" >> {}",
                log.display(),
                passwd.display()
            ),
        );
        let systemctl = script("systemctl", format!("echo \"$@\" >> {}", log.display()));
        Systemd { useradd, passwd, ..Systemd::new(dir.join("units"), systemctl, dir.join("data")) }
    }

    #[test]
    fn systemd_writes_the_unit_and_calls_systemctl() {
        let dir = tempfile::tempdir().unwrap();
        let mut systemd = fake_systemd(dir.path());
        let argv = argv(&["pyroscope", "-config.file=/c.yaml", "-target=all"]);
        assert_eq!(systemd.running().unwrap(), None);
        systemd.prepare().unwrap();
        systemd.prepare().unwrap();
        systemd.restart(&argv).unwrap();
        systemd.restart(&argv).unwrap();
        assert_eq!(systemd.running().unwrap(), Some(argv));
        systemd.stop().unwrap();
        assert_eq!(systemd.running().unwrap(), None);
        let calls = fs::read_to_string(dir.path().join("systemctl.log")).unwrap();
        let data = dir.path().join("data");
        assert_eq!(
            calls,
            format!(
                "--system --user-group --no-create-home --shell /usr/sbin/nologin --home-dir {} pyroscope\n\
                 daemon-reload\nenable pyroscope\nrestart pyroscope\nenable pyroscope\nrestart pyroscope\n\
                 disable --now pyroscope\ndaemon-reload\n",
                data.display()
            ),
            "the account is made once"
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o750);
    }

    /// A unit an older charm wrote (the same command line, no confinement) is not current: the
    /// charm restarts Pyroscope under the new one.
    #[test]
    fn an_unconfined_unit_is_not_current() {
        let dir = tempfile::tempdir().unwrap();
        let mut systemd = fake_systemd(dir.path());
        let all = argv(&["pyroscope", "-target=all"]);
        assert!(!systemd.is_current(&all).unwrap(), "no unit");
        fs::create_dir_all(dir.path().join("units")).unwrap();
        let old = "[Service]\nExecStart=pyroscope -target=all\nRestart=always\n";
        fs::write(dir.path().join("units/pyroscope.service"), old).unwrap();
        assert_eq!(systemd.running().unwrap(), Some(all.clone()), "the same command line");
        assert!(!systemd.is_current(&all).unwrap(), "but not confined");
        systemd.restart(&all).unwrap();
        assert!(systemd.is_current(&all).unwrap());
        assert!(!systemd.is_current(&argv(&["pyroscope", "-target=querier"])).unwrap());
    }

    /// The unit file is written as the config file is: atomically, and over a link at its
    /// path rather than through it.
    #[test]
    fn the_unit_file_replaces_a_link_and_never_writes_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut systemd = fake_systemd(dir.path());
        fs::create_dir_all(dir.path().join("units")).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, "untouched").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("units/pyroscope.service")).unwrap();
        systemd.restart(&argv(&["pyroscope"])).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "untouched");
        let unit = dir.path().join("units/pyroscope.service");
        assert!(!fs::symlink_metadata(&unit).unwrap().file_type().is_symlink());
        assert!(fs::read_to_string(&unit).unwrap().contains("ExecStart=pyroscope\n"));
    }

    #[test]
    fn shared_files_are_readable_by_the_group_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let systemd = fake_systemd(dir.path());
        let file = dir.path().join("config.yaml");
        write_config_file(&file, "a: 1\n").unwrap();
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        systemd.share(&file).unwrap();
        assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o640);
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
