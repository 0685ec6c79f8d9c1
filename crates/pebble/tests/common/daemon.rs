//! The real Pebble daemon, `pebble run --create-dirs` in a temporary `PEBBLE` directory.
//!
//! The binary is `PEBBLE_BIN`, or `target/live/bin/pebble` (where `cargo xtask live` builds it);
//! when neither exists it is built there from the Go module proxy, pinned at [`VERSION`], so
//! `cargo test` works on a fresh clone wherever Go is installed. Without Go the tests fail with a
//! message saying how to get the binary: a Pebble client whose calls were not run against Pebble
//! has not been tested, so skipping silently would pass for what it is not.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pyroscope_cluster_pebble::{Client, PebbleError};

/// The Pebble release the client is written against and tested on.
pub const VERSION: &str = "v1.32.1";

/// The Go package of the daemon.
const PACKAGE: &str = "github.com/canonical/pebble/cmd/pebble";

/// The workspace's root: the nearest directory above this package with a `Cargo.lock` (this
/// file is shared by the tests of other packages, at other depths).
fn workspace_root() -> PathBuf {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    package.ancestors().find(|dir| dir.join("Cargo.lock").is_file()).unwrap_or(package).to_owned()
}

/// The daemon's binary: `PEBBLE_BIN`, `target/live/bin/pebble`, or built there.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("PEBBLE_BIN") {
            let path = PathBuf::from(path);
            assert!(path.is_file(), "PEBBLE_BIN={} is not a file", path.display());
            return path;
        }
        let bin_dir = workspace_root().join("target/live/bin");
        let path = bin_dir.join("pebble");
        if !path.is_file() {
            build(&bin_dir);
        }
        path
    })
}

/// `GOBIN=<bin_dir> go install github.com/canonical/pebble/cmd/pebble@v1.32.1`; where the
/// module proxy will not list the module's versions (which `go install pkg@version` asks for
/// its deprecation check), the same build from a throwaway module that requires it.
fn build(bin_dir: &Path) {
    let go_missing = |err: std::io::Error| -> ! {
        panic!(
            "the Pebble tests need the real daemon, and Go to build it ({err}): install Go 1.26 or newer, \
             or set PEBBLE_BIN to a pebble {VERSION} binary ({PACKAGE} at {VERSION}), or put one at \
             target/live/bin/pebble"
        )
    };
    std::fs::create_dir_all(bin_dir).unwrap();
    let direct = Command::new("go")
        .args(["install", &format!("{PACKAGE}@{VERSION}")])
        .env("GOBIN", bin_dir)
        .output()
        .unwrap_or_else(|err| go_missing(err));
    if direct.status.success() {
        return;
    }
    let module = tempfile::tempdir().unwrap();
    let go = |args: &[&str]| {
        let output = Command::new("go")
            .args(args)
            .current_dir(module.path())
            .env("GOBIN", bin_dir)
            .output()
            .unwrap_or_else(|err| go_missing(err));
        assert!(
            output.status.success(),
            "`go {}` failed building Pebble {VERSION} (and `go install {PACKAGE}@{VERSION}` said: {}): {}",
            args.join(" "),
            String::from_utf8_lossy(&direct.stderr).trim(),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    go(&["mod", "init", "pebble-for-tests"]);
    go(&["get", &format!("{PACKAGE}@{VERSION}")]);
    go(&["install", PACKAGE]);
}

/// A running daemon, stopped (SIGTERM, so that it stops its services) when dropped.
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Child,
}

/// A temporary `PEBBLE` directory whose daemon has not started yet: its socket is absent, as
/// a container's is before the container is up.
pub struct Stopped {
    dir: tempfile::TempDir,
}

impl Stopped {
    /// A new directory.
    pub fn new() -> Stopped {
        Stopped { dir: tempfile::tempdir().unwrap() }
    }

    /// Where the socket will be.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join(".pebble.socket")
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the daemon here.
    pub fn start(self) -> Daemon {
        Daemon::start_in(self.dir)
    }
}

impl Daemon {
    /// Starts `pebble run --create-dirs` in a new temporary directory and waits until its API
    /// answers.
    pub fn start() -> Daemon {
        Daemon::start_in(tempfile::tempdir().unwrap())
    }

    fn start_in(dir: tempfile::TempDir) -> Daemon {
        let log = std::fs::File::create(dir.path().join("pebble.log")).unwrap();
        let child = Command::new(binary())
            .args(["run", "--create-dirs"])
            .env("PEBBLE", dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let daemon = Daemon { dir, child };
        let client = daemon.client();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match client.system_info() {
                Ok(_) => return daemon,
                Err(err) if err.is_not_ready() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(err) => panic!("Pebble did not come up: {err}; its log: {}", daemon.log()),
            }
        }
    }

    /// The `PEBBLE` directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Its socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join(".pebble.socket")
    }

    /// A client of it.
    pub fn client(&self) -> Client {
        Client::new(self.socket())
    }

    /// What it logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }

    /// A directory for the files the tests push, inside the temporary directory.
    pub fn root(&self) -> String {
        let root = self.dir.path().join("root");
        root.to_str().unwrap().to_owned()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `probe` until it gives `Some`, for at most a minute: for a state the daemon reaches
/// by itself (a check going down). Not a timing assertion: the bound is only there so that a
/// broken daemon fails the test instead of hanging it.
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> Result<Option<T>, PebbleError>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(value) = probe().unwrap() {
            return value;
        }
        assert!(Instant::now() < deadline, "{what} did not happen within a minute");
        std::thread::sleep(Duration::from_millis(50));
    }
}
