//! The architecture invariants of `ARCHITECTURE.md`, checked over the workspace's sources (see
//! `xtask::tidy`); and each check over a small input that breaks it, so that none passes
//! vacuously.

use std::path::Path;

use xtask::tidy::{
    CrateGraph, SourceFile, crate_graph, crate_graph_violations, error_enums_not_non_exhaustive, io_outside_allowed,
    module_cycles, public_type_names_repeated, yaml_library_outside_model,
};

/// Every `.rs` file and manifest of the workspace (and of `fuzz/`), `target/` aside.
fn workspace() -> Vec<SourceFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<SourceFile>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
            if path.is_dir() {
                if !matches!(name, "target" | ".git" | "corpus" | "artifacts") && !name.starts_with('.') {
                    walk(root, &path, out);
                }
            } else if name.ends_with(".rs") || name == "Cargo.toml" {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.push(SourceFile { path: relative, text: std::fs::read_to_string(&path).unwrap() });
            }
        }
    }
    let root = xtask::project_root();
    let mut files = Vec::new();
    walk(&root, &root, &mut files);
    assert!(files.iter().any(|file| file.path == "crates/model/src/lib.rs"), "the walk finds the sources");
    files
}

#[track_caller]
fn check(violations: Vec<String>) {
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_workspace_holds_every_invariant() {
    let files = workspace();
    check(yaml_library_outside_model(&files));
    check(io_outside_allowed(&files));
    check(module_cycles(&files));
    check(error_enums_not_non_exhaustive(&files));
    check(public_type_names_repeated(&files));
}

/// The workspace's crate graph, from `cargo metadata` for this host (other platforms' crates
/// would have to be downloaded, and none is a workspace crate).
fn workspace_graph() -> CrateGraph {
    let rustc = std::process::Command::new("rustc").arg("-vV").output().unwrap();
    let rustc = String::from_utf8(rustc.stdout).unwrap();
    let host = rustc.lines().find_map(|line| line.strip_prefix("host: ")).expect("rustc -vV names the host");
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", host])
        .current_dir(xtask::project_root())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    crate_graph(&serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
fn the_crate_graph_leans_as_drawn() {
    let graph = workspace_graph();
    assert!(graph["pyroscope-worker"].contains("pyroscope-cluster-worker"), "the graph is read: {graph:?}");
    check(crate_graph_violations(&graph));
}

#[test]
fn a_crate_graph_that_breaks_a_rule_is_caught() {
    let mut graph = workspace_graph();
    // The worker charm reaching the provider through the generic Juju layer: two rules broken.
    graph.get_mut("pyroscope-cluster-juju").unwrap().insert("pyroscope-cluster-provider".into());
    let violations = crate_graph_violations(&graph);
    assert!(
        violations
            .contains(&"pyroscope-worker depends on pyroscope-cluster-provider, directly or not; it must not".into()),
        "{violations:?}"
    );
    assert!(
        violations.contains(
            &"pyroscope-cluster-juju is generic, yet depends on the workspace's pyroscope-cluster-provider".into()
        ),
        "{violations:?}"
    );
    // A pure crate reaching the IO crate, and so every pure crate above it.
    let mut graph = workspace_graph();
    graph.get_mut("pyroscope-cluster-release").unwrap().insert("pyroscope-cluster-juju".into());
    assert_eq!(
        crate_graph_violations(&graph),
        ["release", "provider", "requirer"].map(|krate| format!(
            "pyroscope-cluster-{krate} depends on pyroscope-cluster-juju, directly or not; it must not"
        ))
    );
    // A rule about a crate that is gone fails rather than passing vacuously.
    let mut graph = workspace_graph();
    graph.remove("pyroscope-worker");
    assert!(crate_graph_violations(&graph)[0].starts_with("pyroscope-worker: a crate-graph rule names it"));
}

#[test]
fn only_the_model_names_the_yaml_library() {
    let yaml = concat!("serde", "_yaml");
    let ok = [
        SourceFile::new("crates/model/src/yaml.rs", &format!("use {yaml}::Value;")),
        SourceFile::new("crates/model/Cargo.toml", &format!("{yaml}.workspace = true")),
        SourceFile::new("crates/model/tests/pyyaml.rs", &format!("// {yaml} reads YAML 1.2\nfn a() {{}}")),
        SourceFile::new("crates/provider/benches/reconcile.rs", &format!("fn render_{yaml}_layout() {{}}")),
    ];
    assert_eq!(yaml_library_outside_model(&ok), Vec::<String>::new());
    let bad = [
        SourceFile::new("crates/provider/src/config.rs", &format!("let v: {yaml}::Value = todo!();")),
        SourceFile::new("crates/model/src/databag.rs", &format!("use {yaml};")),
        SourceFile::new("crates/cli/Cargo.toml", &format!("{yaml} = \"0.9\"")),
    ];
    assert_eq!(yaml_library_outside_model(&bad).len(), 3, "{:?}", yaml_library_outside_model(&bad));
}

#[test]
fn io_only_in_juju_cli_and_xtask() {
    let ok = [
        SourceFile::new("crates/cli/src/input.rs", "std::fs::read(path)"),
        SourceFile::new("crates/juju/src/tools.rs", "use std::process::Command;"),
        SourceFile::new("crates/provider/tests/config.rs", "std::fs::read_to_string(path)"),
        SourceFile::new("crates/model/src/yaml/tests.rs", "std::fs::read_dir(dir)"),
        SourceFile::new("crates/model/src/a.rs", "//! Reads nothing, unlike std::fs.\nfn a() {}"),
        SourceFile::new("crates/model/src/b.rs", "fn b() {}\n#[cfg(test)]\nmod tests {\n    use std::fs;\n}"),
        SourceFile::new("crates/model/src/c.rs", "use std::{fmt, fs_like};"),
    ];
    assert_eq!(io_outside_allowed(&ok), Vec::<String>::new());
    let bad = [
        SourceFile::new("crates/provider/src/a.rs", "let text = std::fs::read_to_string(path);"),
        SourceFile::new("crates/model/src/b.rs", "use std::{\n    fmt,\n    process::Command,\n};"),
        SourceFile::new("crates/requirer/src/c.rs", "use std::os::unix::fs::PermissionsExt;"),
        SourceFile::new("crates/schema/src/d.rs", "use std :: fs;"),
    ];
    let found = io_outside_allowed(&bad);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[1].contains("uses std::process; only crates/juju"), "{found:?}");
}

#[test]
fn no_module_cycles() {
    let ok = [
        SourceFile::new("crates/x/src/lib.rs", "mod a;\nmod b;\npub use b::Thing;"),
        SourceFile::new("crates/x/src/a.rs", "use crate::b::Thing;\nuse crate::Thing as Again;"),
        SourceFile::new("crates/x/src/b.rs", "pub struct Thing;\n#[cfg(test)]\nmod tests {\n    use crate::a;\n}"),
    ];
    assert_eq!(module_cycles(&ok), Vec::<String>::new());
    // Through a use group, and through a name the crate root re-exports; nested module files
    // count for their top-level module.
    let bad = [
        SourceFile::new("crates/x/src/lib.rs", "mod a;\nmod b;\nmod c;\npub use c::{Other, Thing};"),
        SourceFile::new("crates/x/src/a.rs", "use crate::{b::B, fmt};"),
        SourceFile::new("crates/x/src/b/inner.rs", "fn f() -> crate::Thing { todo!() }"),
        SourceFile::new("crates/x/src/c.rs", "pub struct Thing;\npub struct Other(crate::a::A);"),
        SourceFile::new("crates/y/src/p.rs", "use crate::q;"),
        SourceFile::new("crates/y/src/q.rs", "use crate::p;"),
    ];
    assert_eq!(
        module_cycles(&bad),
        [
            "crates/x: modules import each other in a circle: a -> b -> c -> a",
            "crates/y: modules import each other in a circle: p -> q -> p",
        ]
    );
}

#[test]
fn public_error_enums_are_non_exhaustive() {
    let ok = SourceFile::new(
        "crates/x/src/a.rs",
        "/// Docs.\n#[derive(Debug, thiserror::Error)]\n#[non_exhaustive]\npub enum AError {}\n\
         #[derive(Debug)]\npub enum Kind { A }\n",
    );
    assert_eq!(error_enums_not_non_exhaustive(&[ok]), Vec::<String>::new());
    let bad = [
        SourceFile::new(
            "crates/x/src/a.rs",
            "/// Docs.\n#[derive(Debug, Clone, thiserror::Error)]\npub enum AError {}",
        ),
        SourceFile::new(
            "crates/x/src/b.rs",
            "#[derive(Debug)]\npub enum BError { A }\nimpl std::error::Error for BError {}",
        ),
    ];
    assert_eq!(
        error_enums_not_non_exhaustive(&bad),
        [
            "crates/x/src/a.rs: public error enum AError is not #[non_exhaustive]",
            "crates/x/src/b.rs: public error enum BError is not #[non_exhaustive]",
        ]
    );
}

#[test]
fn one_name_one_type() {
    let ok = [
        SourceFile::new("crates/x/src/a.rs", "pub struct Plan;\npub(crate) enum Side { A }\n"),
        SourceFile::new("crates/y/src/b.rs", "pub struct AnnouncementPlan;\nenum Side { B }\n// pub struct Plan;\n"),
        SourceFile::new("crates/y/tests/c.rs", "pub struct Plan;\n"),
        SourceFile::new("crates/y/src/d.rs", "pub fn f() {}\n#[cfg(test)]\nmod tests {\n    pub struct Plan;\n}\n"),
    ];
    assert_eq!(public_type_names_repeated(&ok), Vec::<String>::new());
    let bad = [
        SourceFile::new("crates/x/src/a.rs", "pub struct Plan;\npub trait Tls {}\n"),
        SourceFile::new("crates/y/src/b.rs", "pub enum Plan { A }\n"),
        SourceFile::new("crates/y/src/c.rs", "    pub type Tls<'a> = &'a str;\n"),
    ];
    assert_eq!(
        public_type_names_repeated(&bad),
        [
            "public type Plan is declared more than once: crates/x/src/a.rs, crates/y/src/b.rs",
            "public type Tls is declared more than once: crates/x/src/a.rs, crates/y/src/c.rs",
        ]
    );
}
