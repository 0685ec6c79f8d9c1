//! The config file write: owner-only mode, atomic replacement, no temporary file left behind.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use pyroscope_cluster_juju::{WriteStep, write_config_file};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn new_file_is_written_owner_only_with_no_temporary_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    write_config_file(&path, "storage:\n  s3:\n    secret_access_key: hunter2\n").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "storage:\n  s3:\n    secret_access_key: hunter2\n");
    // Owner read-write only, as a literal: the test does not take the mode from the code it tests.
    assert_eq!(mode(&path), 0o600);
    assert_eq!(names(dir.path()), ["config.yaml"]);
}

#[test]
fn an_existing_world_readable_file_is_replaced_not_rewritten_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    fs::write(&path, "old: config\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    // A hard link keeps the old file's inode reachable: an in-place rewrite would change it too.
    let old = dir.path().join("old-link");
    fs::hard_link(&path, &old).unwrap();
    let old_inode = fs::metadata(&path).unwrap().ino();

    write_config_file(&path, "new: config\n").unwrap();

    assert_eq!(fs::read_to_string(&path).unwrap(), "new: config\n");
    assert_eq!(fs::read_to_string(&old).unwrap(), "old: config\n", "the old file was not touched");
    assert_ne!(fs::metadata(&path).unwrap().ino(), old_inode, "the new file replaced the old one by rename");
    assert_eq!(mode(&path), 0o600, "the replacement is owner-only whatever the old mode was");
    assert_eq!(names(dir.path()), ["config.yaml", "old-link"]);
}

#[test]
fn a_path_without_a_file_name_is_refused() {
    let err = write_config_file("/", "a: 1").unwrap_err();
    assert_eq!(err.step, WriteStep::Path);
    assert_eq!(err.to_string(), "cannot write the config file /: the path names no file");
    assert!(std::error::Error::source(&err).is_some(), "the cause is the source");
}

#[test]
fn failures_name_the_file_and_the_step_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("no-such-dir").join("config.yaml");
    let err = write_config_file(&missing, "a: 1").unwrap_err();
    assert_eq!(err.step, WriteStep::CreateTemporary);
    assert_eq!(err.source.kind(), std::io::ErrorKind::NotFound);
    let shown = err.to_string();
    assert_eq!(
        shown,
        format!("cannot write the config file {}: creating the temporary file failed", missing.display())
    );

    // The target is a directory: everything works up to the rename, which fails.
    let target = dir.path().join("config.yaml");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("inside"), "kept").unwrap();
    let err = write_config_file(&target, "a: 1").unwrap_err();
    assert_eq!(err.step, WriteStep::Rename);
    assert!(err.to_string().ends_with(": renaming the temporary file over it failed"), "{err}");
    assert_eq!(names(dir.path()), ["config.yaml"], "the temporary file was removed");
    assert_eq!(fs::read_to_string(target.join("inside")).unwrap(), "kept");
}

#[test]
fn readers_see_the_old_file_or_the_new_one_never_a_part_and_never_a_readable_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    // Large enough that a non-atomic write would be caught half-way.
    let versions: Vec<String> =
        (0..8).map(|i| format!("# version {i}\n{}", format!("k{i}: {i}\n").repeat(20_000))).collect();
    write_config_file(&path, &versions[0]).unwrap();
    let done = AtomicBool::new(false);

    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while !done.load(Ordering::Relaxed) || reads == 0 {
                let text = fs::read_to_string(&path).unwrap();
                assert!(versions.contains(&text), "a reader saw a partial file of {} bytes", text.len());
                for entry in fs::read_dir(dir.path()).unwrap() {
                    let entry = entry.unwrap();
                    // A temporary file may vanish between listing and stat; the others must be owner-only.
                    if let Ok(metadata) = entry.metadata() {
                        assert_eq!(
                            metadata.permissions().mode() & 0o077,
                            0,
                            "{:?} is readable by others",
                            entry.path()
                        );
                    }
                }
                reads += 1;
            }
            reads
        });
        for round in 0..40 {
            write_config_file(&path, &versions[round % versions.len()]).unwrap();
        }
        done.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    assert_eq!(names(dir.path()), ["config.yaml"]);
}
