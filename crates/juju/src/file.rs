//! Writing a worker's config file atomically, readable by its owner only.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The mode of the config file and of its temporary file (on Unix): read and write for the owner
/// only. The configuration holds S3 credentials.
pub const CONFIG_FILE_MODE: u32 = 0o600;

/// How many temporary file names to try before giving up (another writer holds each).
const TEMP_ATTEMPTS: u32 = 64;

/// The step of [`write_config_file`] that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteStep {
    /// The path names no file (it ends in `..` or is a root).
    Path,
    /// Creating the temporary file next to the target.
    CreateTemporary,
    /// Writing the content into the temporary file.
    Write,
    /// Flushing the temporary file to disk.
    Sync,
    /// Renaming the temporary file over the target.
    Rename,
    /// Flushing the directory, so that the rename survives a crash. The new file is in place.
    SyncDirectory,
}

impl fmt::Display for WriteStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteStep::Path => "the path names no file",
            WriteStep::CreateTemporary => "creating the temporary file failed",
            WriteStep::Write => "writing the temporary file failed",
            WriteStep::Sync => "flushing the temporary file to disk failed",
            WriteStep::Rename => "renaming the temporary file over it failed",
            WriteStep::SyncDirectory => "flushing the directory to disk failed (the new file is in place)",
        })
    }
}

/// The config file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the config file {}: {step}", path.display())]
pub struct WriteError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// The step that failed.
    pub step: WriteStep,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

/// Writes `contents` to the file at `path`, atomically: a reader sees the old file or the new one,
/// never a part of either, and a crash leaves one of them.
///
/// The content goes into a new temporary file in the same directory (`.<name>.<pid>.<n>.tmp`),
/// created with mode [`CONFIG_FILE_MODE`] (`0o600`, narrowed further by the umask, never widened),
/// so the credentials are not readable by others at any moment; it is flushed to disk and renamed
/// over `path`, and the directory is flushed. The new file has mode `0o600` whatever the mode of the
/// file it replaces. The directory must exist. On failure the temporary file is removed and the
/// file at `path`, if any, is untouched (except when only the final directory flush fails).
pub fn write_config_file(path: impl AsRef<Path>, contents: &str) -> Result<(), WriteError> {
    let path = path.as_ref();
    let fail = |step, source| WriteError { path: path.to_owned(), step, source };
    let Some(name) = path.file_name() else {
        return Err(fail(WriteStep::Path, io::Error::new(io::ErrorKind::InvalidInput, "no file name")));
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };

    let (temporary, mut file) = create_temporary(directory, &name.to_string_lossy())
        .map_err(|source| fail(WriteStep::CreateTemporary, source))?;
    let written = file
        .write_all(contents.as_bytes())
        .map_err(|source| fail(WriteStep::Write, source))
        .and_then(|()| file.sync_all().map_err(|source| fail(WriteStep::Sync, source)))
        .and_then(|()| {
            drop(file);
            fs::rename(&temporary, path).map_err(|source| fail(WriteStep::Rename, source))
        });
    if let Err(err) = written {
        // Best effort: the error that matters is the one above.
        let _ = fs::remove_file(&temporary);
        return Err(err);
    }
    File::open(directory).and_then(|dir| dir.sync_all()).map_err(|source| fail(WriteStep::SyncDirectory, source))
}

/// Creates a new file in `directory` that did not exist before, with the config file's mode.
fn create_temporary(directory: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    for attempt in 0..TEMP_ATTEMPTS {
        let temporary = directory.join(format!(".{name}.{pid}.{attempt}.tmp"));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, CONFIG_FILE_MODE);
        match options.open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no temporary file name left")))
}

/// Deletes the config file at `path`; a file that is not there is not an error. Returns whether
/// there was one.
pub fn remove_config_file(path: impl AsRef<Path>) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err),
    }
}
