//! [`Runner`]: how a [`Call`] reaches Juju. [`Subprocess`] runs the hook tool as a process, as
//! inside a real hook; the `testing` feature answers in memory.

use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::call::Call;

/// How one hook-tool call ended, before its meaning is read (see [`crate::ToolError`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum RunError {
    /// The tool is not there (not on `PATH`: not inside a hook).
    Missing,
    /// The tool exited non-zero (or was killed by a signal: `code` is `None`).
    Failed {
        /// Its exit code.
        code: Option<i32>,
        /// What it printed on standard error (`ERROR ...`).
        stderr: String,
    },
    /// The tool did not finish in time and was killed.
    TimedOut {
        /// The time it was given.
        after: Duration,
    },
    /// The tool could not be started or talked to.
    Io(io::Error),
}

/// Runs hook-tool calls. One method: the call in, its standard output out.
///
/// [`Subprocess`] is the implementation for a charm; `testing::InMemory` (feature `testing`)
/// answers against a model state held in memory. A runner that records, delays or fails calls
/// wraps another.
pub trait Runner {
    /// Runs `call` and returns what it printed on standard output.
    fn run(&mut self, call: &Call) -> Result<String, RunError>;
}

impl<R: Runner + ?Sized> Runner for &mut R {
    fn run(&mut self, call: &Call) -> Result<String, RunError> {
        (**self).run(call)
    }
}

/// The default time a hook tool is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that overrides [`DEFAULT_TIMEOUT`], in milliseconds.
pub const TIMEOUT_VARIABLE: &str = "PYROSCOPE_CLUSTER_TOOL_TIMEOUT_MS";

/// Runs each call as a process: the tool looked up on `PATH` (where Juju puts its hook tools),
/// the environment passed through unchanged (the tools reach the unit agent through
/// `JUJU_CONTEXT_ID` and `JUJU_AGENT_SOCKET_*`), standard input written, and a timeout, after
/// which the tool is killed.
#[derive(Debug, Clone)]
pub struct Subprocess {
    timeout: Duration,
    tools_dir: Option<std::path::PathBuf>,
}

impl Default for Subprocess {
    fn default() -> Self {
        Self { timeout: DEFAULT_TIMEOUT, tools_dir: None }
    }
}

impl Subprocess {
    /// A runner that gives each tool `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self { timeout, tools_dir: None }
    }

    /// Runs the tools from `dir` instead of looking them up on `PATH`.
    pub fn tools_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.tools_dir = Some(dir.into());
        self
    }

    /// A runner with the timeout of [`TIMEOUT_VARIABLE`] when it is set to a number of
    /// milliseconds, [`DEFAULT_TIMEOUT`] otherwise.
    pub fn from_env() -> Self {
        let timeout = std::env::var(TIMEOUT_VARIABLE)
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
        Self { timeout, tools_dir: None }
    }

    /// The time each tool is given.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl Runner for Subprocess {
    fn run(&mut self, call: &Call) -> Result<String, RunError> {
        let files = call.content_files();
        if files.is_empty() {
            return self.run_argv(call.argv(), call.stdin());
        }
        let dir = ContentDir::create(&files).map_err(RunError::Io)?;
        let result = self.run_argv(call.argv_in(&dir.0), call.stdin());
        drop(dir);
        result
    }
}

/// A directory only this user may enter, holding a call's [content files](Call::content_files)
/// (each `0o600`) while the tool runs; removed with them when dropped.
struct ContentDir(PathBuf);

impl ContentDir {
    fn create(files: &[(&str, &str)]) -> io::Result<Self> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let base = std::env::temp_dir();
        let dir = loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |t| t.subsec_nanos());
            let dir = base.join(format!(".hook-tool-content-{}-{n}-{nanos}", std::process::id()));
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => break dir,
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && n < u32::MAX => continue,
                Err(err) => return Err(err),
            }
        };
        let dir = ContentDir(dir);
        for (name, content) in files {
            if name.is_empty() || name.contains('/') || *name == "." || *name == ".." {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} cannot name a file")));
            }
            let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(dir.0.join(name))?;
            file.write_all(content.as_bytes())?;
        }
        Ok(dir)
    }
}

impl Drop for ContentDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Subprocess {
    fn run_argv(&self, argv: Vec<String>, stdin: Option<String>) -> Result<String, RunError> {
        let program = match &self.tools_dir {
            Some(dir) => dir.join(&argv[0]),
            None => argv[0].clone().into(),
        };
        let mut child = match Command::new(program)
            .args(&argv[1..])
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(RunError::Missing),
            Err(err) => return Err(RunError::Io(err)),
        };
        // Each pipe on its own thread: a tool that does not read its input, or fills one output
        // while we read the other, must not block us past the timeout.
        let writer = match (stdin, child.stdin.take()) {
            (Some(text), Some(mut pipe)) => Some(thread::spawn(move || pipe.write_all(text.as_bytes()))),
            _ => None,
        };
        let read = |pipe: Option<Box<dyn Read + Send>>| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));

        let start = Instant::now();
        let mut pause = Duration::from_micros(50);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if start.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(RunError::TimedOut { after: self.timeout });
                }
                Ok(None) => {
                    thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(5));
                }
                Err(err) => return Err(RunError::Io(err)),
            }
        };
        if let Some(writer) = writer {
            // A tool that exits without reading all its input is its own business: its status says.
            let _ = writer.join();
        }
        let stdout = String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
        if status.success() { Ok(stdout) } else { Err(RunError::Failed { code: status.code(), stderr }) }
    }
}
