//! The files `cargo xtask schema` writes, as text: generating them does no IO.

use pyroscope_cluster_schema::{Side, schema};

use crate::docs::interface_md;

/// A generated file: where it goes and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// The path from the workspace root, `/`-separated: `docs/schema/v0/provider.json`.
    pub path: &'static str,
    /// The file's whole text.
    pub contents: String,
}

/// Every generated file: `docs/schema/v0/provider.json`, `docs/schema/v0/requirer.json` and
/// `docs/interface.md`. The same types give the same bytes.
pub fn generated_files() -> Vec<GeneratedFile> {
    let json = |side: Side| {
        let mut text = serde_json::to_string_pretty(&schema(side)).expect("a JSON value serializes");
        text.push('\n');
        text
    };
    vec![
        GeneratedFile { path: "docs/schema/v0/provider.json", contents: json(Side::Provider) },
        GeneratedFile { path: "docs/schema/v0/requirer.json", contents: json(Side::Requirer) },
        GeneratedFile { path: "docs/interface.md", contents: interface_md() },
    ]
}
