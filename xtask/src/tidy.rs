//! The architecture invariants of `ARCHITECTURE.md` as checks over source text, in
//! rust-analyzer's `tidy` manner: `tests/tidy.rs` runs each over the workspace, and over a small
//! synthetic input that breaks it, so that every rule is seen to fail.
//!
//! Each check takes the files it reads (workspace-relative path, `/`-separated, and text) and
//! returns its violations, one line each; it does no IO.

use std::collections::{BTreeMap, BTreeSet};

/// A source file: its path from the workspace root (`crates/model/src/lib.rs`), and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// `/`-separated, from the workspace root.
    pub path: String,
    /// The whole text.
    pub text: String,
}

impl SourceFile {
    /// A file (for the tests' synthetic inputs).
    pub fn new(path: &str, text: &str) -> Self {
        Self { path: path.to_owned(), text: text.to_owned() }
    }

    /// Library code: a `.rs` file under a crate's `src/` that is not a test module file.
    fn is_library_code(&self) -> bool {
        self.path.ends_with(".rs")
            && self.path.contains("/src/")
            && !self.path.ends_with("/tests.rs")
            && !self.path.contains("/src/bin/")
    }

    /// The text without its `#[cfg(test)] mod tests` (by convention at the end of a file) and
    /// without comments: what the built library holds.
    fn code(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        let mut lines = self.text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() == "#[cfg(test)]"
                && lines.peek().is_some_and(|next| next.trim_start().starts_with("mod tests"))
            {
                break;
            }
            let code = match line.find("//") {
                Some(at) if !line[..at].contains('"') => &line[..at],
                _ => line,
            };
            out.push_str(code);
            out.push('\n');
        }
        out
    }
}

/// Architecture Invariant: no crate but model names the YAML library, and in model only its `yaml`
/// module does (besides the manifests that declare the dependency).
pub fn yaml_library_outside_model(files: &[SourceFile]) -> Vec<String> {
    const YAML_CRATE: &str = concat!("serde", "_yaml");
    let allowed = |path: &str| {
        path == "Cargo.toml"
            || path == "crates/model/Cargo.toml"
            || path == "crates/model/src/yaml.rs"
            || path.starts_with("crates/model/src/yaml/")
    };
    files
        .iter()
        .filter(|file| {
            // In Rust, the crate's name as a word of code (not in a comment, not inside another
            // identifier such as a bench named after it); in a manifest, anywhere.
            let text = if file.path.ends_with(".rs") { file.code() } else { file.text.clone() };
            !allowed(&file.path) && names_word(&text, YAML_CRATE)
        })
        .map(|file| format!("{}: names {YAML_CRATE}; only model's yaml module may", file.path))
        .collect()
}

/// Whether `word` occurs in `text` with no identifier character on either side.
fn names_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

/// Files that may touch the outside world: the Juju crate, the fake Juju, the example charms, the
/// CLI and xtask.
const IO_ALLOWED: &[&str] = &["crates/juju/", "crates/fake-juju/", "examples/charms/", "crates/cli/", "xtask/"];

/// Architecture Invariant: no library code uses `std::fs` or `std::process` but `IO_ALLOWED`
/// (tests may).
pub fn io_outside_allowed(files: &[SourceFile]) -> Vec<String> {
    let mut violations = Vec::new();
    for file in files.iter().filter(|file| file.is_library_code()) {
        if IO_ALLOWED.iter().any(|allowed| file.path.starts_with(allowed)) {
            continue;
        }
        let code: String = file.code().split_whitespace().collect();
        for module in ["fs", "process"] {
            let direct = code.contains(&format!("std::{module}")) || code.contains(&format!("::unix::{module}"));
            let grouped = use_groups(&code, "std::{").iter().any(|group| top_level_names(group).contains(module));
            if direct || grouped {
                violations.push(format!("{}: uses std::{module}; only crates/juju, crates/fake-juju, the example charms, the CLI and xtask may", file.path));
            }
        }
    }
    violations
}

/// The insides of every `{...}` group that follows `prefix` (`std::{`, `crate::{`).
fn use_groups<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let mut groups = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let inside = &rest[at + prefix.len()..];
        let mut depth = 1;
        let end = inside
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(inside.len(), |(i, _)| i);
        groups.push(&inside[..end]);
        rest = &inside[end..];
    }
    groups
}

/// The first path segment of each item of a use group: `a, b::{c, d}, e::f` gives a, b, e.
fn top_level_names(group: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices().chain([(group.len(), ',')]) {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                let item = group[start..i].trim();
                let name = item.split("::").next().unwrap_or_default().split(" as ").next().unwrap_or_default().trim();
                if !name.is_empty() {
                    names.insert(name);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    names
}

/// Architecture Invariant: within a crate, modules do not import each other in a circle. A
/// module is a crate's top-level module (`src/x.rs`, `src/x/...`); it uses another when its
/// library code names `crate::other` (or a name the crate root re-exports from it).
pub fn module_cycles(files: &[SourceFile]) -> Vec<String> {
    let mut crates: BTreeMap<&str, Vec<&SourceFile>> = BTreeMap::new();
    for file in files.iter().filter(|file| file.is_library_code()) {
        if let Some(at) = file.path.find("/src/") {
            crates.entry(&file.path[..at]).or_default().push(file);
        }
    }
    let mut violations = Vec::new();
    for (krate, files) in crates {
        let module_of = |path: &str| -> Option<String> {
            let inside = path.strip_prefix(krate)?.strip_prefix("/src/")?;
            let first = inside.split('/').next()?.trim_end_matches(".rs");
            (!matches!(first, "lib" | "main")).then(|| first.to_owned())
        };
        let modules: BTreeSet<String> = files.iter().filter_map(|file| module_of(&file.path)).collect();
        // Names the crate root re-exports, and the module each comes from.
        let mut exported: BTreeMap<String, String> = BTreeMap::new();
        for root in files.iter().filter(|file| module_of(&file.path).is_none()) {
            let code: String = root.code().split_whitespace().collect::<Vec<_>>().join(" ");
            for statement in code.split(';') {
                let Some(path) = statement.trim().strip_prefix("pub use ") else { continue };
                let Some((module, names)) = path.split_once("::") else { continue };
                if !modules.contains(module) {
                    continue;
                }
                let names = names.trim_start_matches('{').trim_end_matches('}');
                for name in top_level_names(names) {
                    exported.insert(name.to_owned(), module.to_owned());
                }
            }
        }
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &files {
            let Some(from) = module_of(&file.path) else { continue };
            let code: String = file.code().split_whitespace().collect::<Vec<_>>().join(" ").replace(":: ", "::");
            let mut named: BTreeSet<&str> = BTreeSet::new();
            for group in use_groups(&code, "crate::{") {
                named.extend(top_level_names(group));
            }
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
                named.insert(&rest[..end]);
            }
            for name in named {
                let to = if modules.contains(name) { Some(name.to_owned()) } else { exported.get(name).cloned() };
                if let Some(to) = to.filter(|to| *to != from) {
                    uses.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        for cycle in cycles(&uses) {
            violations.push(format!("{krate}: modules import each other in a circle: {}", cycle.join(" -> ")));
        }
    }
    violations
}

/// Every elementary cycle's smallest rotation, found by a depth-first search from each module.
fn cycles(uses: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    fn walk(
        uses: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        let here = path.last().cloned().unwrap_or_default();
        for next in uses.get(&here).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                found.insert(cycle);
            } else if !path.contains(next) && next.as_str() > start {
                path.push(next.clone());
                walk(uses, start, path, found);
                path.pop();
            }
        }
    }
    let mut found = BTreeSet::new();
    for start in uses.keys() {
        walk(uses, start, &mut vec![start.clone()], &mut found);
    }
    found
}

/// Architecture Invariant: one name, one type. No two public types of the library code (a
/// `pub struct`, `enum`, `trait` or `type` in any crate's `src/`) share a name, so that a name in a
/// message, a doc or a review means one thing.
pub fn public_type_names_repeated(files: &[SourceFile]) -> Vec<String> {
    let mut declared: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for file in files.iter().filter(|file| file.is_library_code()) {
        for line in file.code().lines() {
            let line = line.trim_start();
            let Some(rest) = ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                .iter()
                .find_map(|prefix| line.strip_prefix(prefix))
            else {
                continue;
            };
            let name = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
            if name.is_empty() {
                continue; // a macro's `pub struct $name`
            }
            declared.entry(name.to_owned()).or_default().push(&file.path);
        }
    }
    declared
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, paths)| format!("public type {name} is declared more than once: {}", paths.join(", ")))
        .collect()
}

/// Architecture Invariant: a public error enum is `#[non_exhaustive]`, so that a new kind of
/// failure is not a breaking change. An error enum derives `Error` (thiserror's) or implements
/// `std::error::Error`.
pub fn error_enums_not_non_exhaustive(files: &[SourceFile]) -> Vec<String> {
    let mut violations = Vec::new();
    for file in files.iter().filter(|file| file.is_library_code()) {
        let code = file.code();
        let lines: Vec<&str> = code.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("pub enum ") else { continue };
            let name = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or_default();
            let attributes: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .map(|line| line.trim())
                .take_while(|line| line.starts_with("#[") || line.is_empty())
                .collect();
            let derives_error = attributes.iter().any(|a| a.starts_with("#[derive(") && a.contains("Error"));
            let implements_error = code.contains(&format!("Error for {name} "))
                || code.contains(&format!("Error for {name}{{"))
                || code.contains(&format!("Error for {name}\n"));
            if (derives_error || implements_error) && !attributes.contains(&"#[non_exhaustive]") {
                violations.push(format!("{}: public error enum {name} is not #[non_exhaustive]", file.path));
            }
        }
    }
    violations
}

/// The workspace's crate graph: each workspace package's normal (not dev, not build)
/// dependencies on other workspace packages, by package name.
pub type CrateGraph = BTreeMap<String, BTreeSet<String>>;

/// The [`CrateGraph`] of `cargo metadata --format-version 1` output (its `resolve`).
pub fn crate_graph(metadata: &serde_json::Value) -> CrateGraph {
    let members: BTreeSet<&str> =
        metadata["workspace_members"].as_array().into_iter().flatten().filter_map(serde_json::Value::as_str).collect();
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|package| Some((package["id"].as_str()?, package["name"].as_str()?)))
        .collect();
    let mut graph = CrateGraph::new();
    for node in metadata["resolve"]["nodes"].as_array().into_iter().flatten() {
        let Some(id) = node["id"].as_str().filter(|id| members.contains(id)) else { continue };
        let deps = graph.entry(names[id].to_owned()).or_default();
        for dep in node["deps"].as_array().into_iter().flatten() {
            let Some(pkg) = dep["pkg"].as_str().filter(|pkg| members.contains(pkg)) else { continue };
            let normal = dep["dep_kinds"].as_array().into_iter().flatten().any(|kind| kind["kind"].is_null());
            if normal {
                deps.insert(names[pkg].to_owned());
            }
        }
    }
    graph
}

/// What a crate must never reach through its normal dependencies: each rule a crate (or `*`
/// for every crate of the list after it) and the crates it must not depend on, directly or not.
pub const CRATE_GRAPH_RULES: &[(&str, &[&str])] = &[
    // A worker charm compiles no coordinator code, and a coordinator charm no worker code.
    ("pyroscope-worker", &["pyroscope-cluster-provider", "pyroscope-cluster-coordinator"]),
    ("pyroscope-worker-k8s", &["pyroscope-cluster-provider", "pyroscope-cluster-coordinator"]),
    ("pyroscope-cluster-worker", &["pyroscope-cluster-provider", "pyroscope-cluster-coordinator"]),
    ("pyroscope-coordinator", &["pyroscope-cluster-requirer", "pyroscope-cluster-worker"]),
    ("pyroscope-cluster-coordinator", &["pyroscope-cluster-requirer", "pyroscope-cluster-worker"]),
    // The pure crates reach no crate that does IO.
    ("pyroscope-cluster-model", IO_CRATES),
    ("pyroscope-cluster-release", IO_CRATES),
    ("pyroscope-cluster-provider", IO_CRATES),
    ("pyroscope-cluster-requirer", IO_CRATES),
    ("pyroscope-cluster-schema", IO_CRATES),
];

/// The library crates that do IO for a charm.
const IO_CRATES: &[&str] = &["pyroscope-cluster-juju", "pyroscope-cluster-pebble", "pyroscope-cluster-fake-juju"];

/// The generic layers: they depend on no other crate of the workspace (they know no Pyroscope).
pub const GENERIC_CRATES: &[&str] = &["pyroscope-cluster-juju", "pyroscope-cluster-pebble"];

/// Architecture Invariant: the crate graph leans as ARCHITECTURE.md draws it
/// ([`CRATE_GRAPH_RULES`], [`GENERIC_CRATES`]). A rule about a crate the graph lacks is itself a
/// violation (a renamed crate must not turn a rule off).
pub fn crate_graph_violations(graph: &CrateGraph) -> Vec<String> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = graph.get(from).into_iter().flatten().map(String::as_str).collect();
        while let Some(next) = todo.pop() {
            if seen.insert(next.to_owned()) {
                todo.extend(graph.get(next).into_iter().flatten().map(String::as_str));
            }
        }
        seen
    };
    let mut violations = Vec::new();
    for (krate, forbidden) in CRATE_GRAPH_RULES {
        if !graph.contains_key(*krate) {
            violations.push(format!("{krate}: a crate-graph rule names it, but the workspace has no such crate"));
            continue;
        }
        let reached = reach(krate);
        for bad in forbidden.iter().filter(|bad| reached.contains(**bad)) {
            violations.push(format!("{krate} depends on {bad}, directly or not; it must not"));
        }
    }
    for krate in GENERIC_CRATES.iter().filter(|krate| graph.contains_key(**krate)) {
        for dep in reach(krate) {
            violations.push(format!("{krate} is generic, yet depends on the workspace's {dep}"));
        }
    }
    violations
}
