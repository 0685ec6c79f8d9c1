//! The charm READMEs' fake-Juju walk-through runs as written: every `sh` block of their "Try it
//! under the fake Juju" sections, with bash (`-euo pipefail`: a command that fails, or a `grep`
//! that finds nothing, fails the test), from the workspace root. It builds the charms and the
//! fake Juju with cargo first, as a reader would.

use std::path::{Path, PathBuf};
use std::process::Command;

const SECTION: &str = "## Try it under the fake Juju";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `sh` blocks of `README`'s section.
fn blocks(readme: &str) -> Vec<String> {
    let Some(start) = readme.find(SECTION) else { return Vec::new() };
    let section = &readme[start + SECTION.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split_once("\n```").map(|(code, _)| code.to_owned()))
        .collect()
}

#[test]
fn the_charm_readmes_walk_through_runs_as_written() {
    let readmes = ["examples/charms/pyroscope-worker/README.md", "examples/charms/pyroscope-coordinator/README.md"];
    let mut ran = 0;
    for readme in readmes {
        let text = std::fs::read_to_string(root().join(readme)).unwrap();
        assert!(text.contains(SECTION), "{readme} has no section {SECTION:?}");
        assert!(text.contains("crates/fake-juju/STATE.md"), "{readme} links the state file's layout");
        for block in blocks(&text) {
            let scratch = tempfile::tempdir().unwrap();
            // cargo as this test's, first on PATH; mktemp's directories in the scratch one.
            let cargo = PathBuf::from(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            let path = std::env::join_paths(
                cargo
                    .parent()
                    .into_iter()
                    .map(Path::to_path_buf)
                    .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
            )
            .unwrap();
            let out = Command::new("bash")
                .args(["-euo", "pipefail", "-c", &block])
                .current_dir(root())
                .env("PATH", path)
                .env("TMPDIR", scratch.path())
                .env_remove("FAKE_JUJU_DIR")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{readme}: the walk-through failed ({}):\n{block}\nstdout:\n{}\nstderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 1, "a walk-through ran");
    let coordinator = std::fs::read_to_string(root().join(readmes[1])).unwrap();
    assert!(
        coordinator.contains("../pyroscope-worker/README.md#try-it-under-the-fake-juju"),
        "linked from the coordinator's"
    );
}
