//! `ensure_file_contents` and the schema task, in a temporary directory: writing, checking, and a
//! check failing on a stale file (from a changed doc comment) without changing anything.

use std::fs;

use xtask::{FileOutcome, GeneratedFile, Mode, RUN_AND_COMMIT, ensure_file_contents, ensure_files, generated_files};

#[test]
fn writes_then_finds_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/file.txt");
    assert_eq!(ensure_file_contents(&path, "one\n", Mode::Write).unwrap(), FileOutcome::Written);
    assert_eq!(fs::read_to_string(&path).unwrap(), "one\n");
    assert_eq!(ensure_file_contents(&path, "one\n", Mode::Write).unwrap(), FileOutcome::Fresh);
    assert_eq!(ensure_file_contents(&path, "one\n", Mode::Check).unwrap(), FileOutcome::Fresh);
    // A checkout with Windows line endings is not stale.
    fs::write(&path, "one\r\n").unwrap();
    assert_eq!(ensure_file_contents(&path, "one\n", Mode::Check).unwrap(), FileOutcome::Fresh);
}

#[test]
fn check_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    assert_eq!(ensure_file_contents(&missing, "new\n", Mode::Check).unwrap(), FileOutcome::Stale);
    assert!(!missing.exists());
    let stale = dir.path().join("stale.txt");
    fs::write(&stale, "old\n").unwrap();
    assert_eq!(ensure_file_contents(&stale, "new\n", Mode::Check).unwrap(), FileOutcome::Stale);
    assert_eq!(fs::read_to_string(&stale).unwrap(), "old\n");
}

/// The generated files of a type whose doc comment changed: the same files, with one
/// description changed, as the generator writes it.
fn after_a_doc_comment_changed() -> Vec<GeneratedFile> {
    let mut files = generated_files();
    let provider = files.iter_mut().find(|file| file.path == "docs/schema/v0/provider.json").unwrap();
    let old = "\"description\": \"The worker's server certificate (PEM).\"";
    assert!(provider.contents.contains(old), "the doc comment of `server_cert` is in the schema");
    provider.contents = provider.contents.replace(old, "\"description\": \"The worker's TLS certificate (PEM).\"");
    files
}

#[test]
fn a_stale_file_fails_the_check_until_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let outcomes = ensure_files(root, &generated_files(), Mode::Write).unwrap();
    assert!(outcomes.iter().all(|(_, outcome)| *outcome == FileOutcome::Written), "{outcomes:?}");
    assert!(ensure_files(root, &generated_files(), Mode::Check).is_ok());

    let changed = after_a_doc_comment_changed();
    let err = ensure_files(root, &changed, Mode::Check).unwrap_err().to_string();
    assert_eq!(err, format!("generated files are out of date: docs/schema/v0/provider.json; {RUN_AND_COMMIT}"));
    let on_disk = fs::read_to_string(root.join("docs/schema/v0/provider.json")).unwrap();
    assert!(on_disk.contains("server certificate"), "the check wrote nothing");

    let outcomes = ensure_files(root, &changed, Mode::Write).unwrap();
    assert_eq!(
        outcomes,
        [
            ("docs/schema/v0/provider.json", FileOutcome::Written),
            ("docs/schema/v0/requirer.json", FileOutcome::Fresh),
            ("docs/interface.md", FileOutcome::Fresh),
        ]
    );
    assert!(ensure_files(root, &changed, Mode::Check).is_ok());
}
