//! The JSON Schema of each side of the relation, generated from the model's types.
//!
//! The layout is the one the interface ecosystem publishes (`charm-relation-interfaces`): a root
//! `ProviderSchema` or `RequirerSchema` object whose properties `app` and `unit` are the databags,
//! and in each databag every field a string (Juju stores strings) with
//! `contentMediaType: application/json` and a `contentSchema` for the decoded value.

use std::borrow::Cow;
use std::marker::PhantomData;

use pyroscope_cluster_model::{ProviderAppData, RequirerAppData, RequirerUnitData};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// One side of the relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The Pyroscope coordinator.
    Provider,
    /// A Pyroscope worker application.
    Requirer,
}

impl Side {
    /// Both sides, provider first.
    pub const ALL: [Side; 2] = [Side::Provider, Side::Requirer];

    /// `provider` or `requirer`, as in a relation state and in file names.
    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Provider => "provider",
            Side::Requirer => "requirer",
        }
    }
}

/// The JSON Schema (draft 2020-12) of one side's databags, as written to
/// `docs/schema/v0/{provider,requirer}.json`.
pub fn schema(side: Side) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = match side {
        Side::Provider => generator.into_root_schema_for::<ProviderSchema>(),
        Side::Requirer => generator.into_root_schema_for::<RequirerSchema>(),
    };
    let mut value = schema.to_value();
    tidy_descriptions(&mut value);
    if let Some(root) = value.as_object_mut() {
        let comment =
            format!("{}: the source is the Rust types of crates/model and crates/schema", crate::docs::MARKER);
        root.insert("$comment".to_owned(), Value::String(comment));
    }
    value
}

/// The provider side's schema: see [`schema`].
pub fn provider_schema() -> Value {
    schema(Side::Provider)
}

/// The requirer side's schema: see [`schema`].
pub fn requirer_schema() -> Value {
    schema(Side::Requirer)
}

/// The schema for the provider side of this interface: the coordinator's databags.
#[derive(JsonSchema)]
#[allow(dead_code)] // only its schema is used
struct ProviderSchema {
    /// The coordinator's application databag, written by its leader, read by every worker unit.
    app: Databag<ProviderAppData>,
    /// A coordinator unit's databag: this interface puts nothing there (Juju adds its own keys).
    #[schemars(default)]
    unit: Databag<ProviderUnitData>,
}

/// The schema for the requirer side of this interface: a worker application's databags.
#[derive(JsonSchema)]
#[allow(dead_code)] // only its schema is used
struct RequirerSchema {
    /// The worker application's databag, written by its leader.
    app: Databag<RequirerAppData>,
    /// A worker unit's databag, written by that unit; one per unit.
    unit: Databag<RequirerUnitData>,
}

/// What a coordinator unit publishes: nothing (Juju adds its own keys, as to every unit databag).
#[derive(JsonSchema, Default, serde::Serialize)]
struct ProviderUnitData {}

/// The databag of the data type `T`: `T`'s schema with every field turned into the JSON text that
/// Juju stores, its decoded schema moved into `contentSchema`.
struct Databag<T>(PhantomData<T>);

impl<T> Default for Databag<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T> serde::Serialize for Databag<T> {
    /// An empty databag (the default of an optional one).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0)).and_then(serde::ser::SerializeMap::end)
    }
}

impl<T: JsonSchema> JsonSchema for Databag<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("pyroscope_cluster_schema::Databag<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            for field in properties.values_mut() {
                *field = envelope(std::mem::take(field));
            }
        }
        // Juju holds every value of a databag, known key or not, as a string.
        schema.insert("additionalProperties".to_owned(), json!({"type": "string"}));
        schema
    }
}

/// The wire form of one field whose decoded schema is `decoded`: a string of JSON text. The
/// field's metadata (its doc comment) stays on the field; the rest becomes its `contentSchema`.
fn envelope(decoded: Value) -> Value {
    let mut content = match decoded {
        Value::Object(map) => map,
        other => return other,
    };
    let mut field = Map::new();
    for keyword in ["title", "description"] {
        if let Some(value) = content.remove(keyword) {
            field.insert(keyword.to_owned(), value);
        }
    }
    field.insert("type".to_owned(), json!("string"));
    field.insert("contentMediaType".to_owned(), json!("application/json"));
    field.insert("contentSchema".to_owned(), Value::Object(content));
    Value::Object(field)
}

/// Turns doc comments into descriptions: the first paragraph only (rustdoc's summary; later
/// paragraphs are for Rust readers), its lines joined, rustdoc's link brackets removed.
fn tidy_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => *text = summary(text),
                    _ => tidy_descriptions(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy_descriptions),
        _ => {}
    }
}

/// The first paragraph of a doc comment as one line, with ``[`Type`]`` links shown as `` `Type` ``.
pub(crate) fn summary(doc: &str) -> String {
    let paragraph = doc.trim().split("\n\n").next().unwrap_or_default();
    let line = paragraph.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(line.len());
    let mut rest = line.as_str();
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find("`]") {
            Some(end) if !after[..end].contains(']') => {
                out.push_str(&after[..=end]);
                rest = &after[end + 2..];
                // A link with an explicit target, ``[`x`](url)``, loses its target too.
                if rest.starts_with('(') {
                    if let Some(close) = rest.find(')') {
                        rest = &rest[close + 1..];
                    }
                }
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_keeps_first_paragraph_and_unlinks() {
        assert_eq!(summary("One\ntwo [`Role::CORE`] three.\n\nRust only."), "One two `Role::CORE` three.");
        assert_eq!(summary("See [`x`](crate::x) and [not a link] and [`y`]."), "See `x` and [not a link] and `y`.");
        assert_eq!(summary("  padded  "), "padded");
    }

    #[test]
    fn envelope_moves_metadata_out_of_the_content() {
        let field = envelope(json!({"description": "d", "type": "integer", "minimum": 1}));
        assert_eq!(
            field,
            json!({
                "description": "d",
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"type": "integer", "minimum": 1},
            })
        );
    }
}
