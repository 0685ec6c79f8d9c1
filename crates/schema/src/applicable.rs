//! Which subschemas of a schema apply at a position of an instance: what the strict reading of
//! JSON text needs to know beyond what a JSON Schema validator reports.

use serde_json::{Value, json};

use crate::json::Step;

/// The subschemas of `document` that apply at one position of an instance.
#[derive(Debug, Clone)]
pub(crate) struct Applicable<'a> {
    document: &'a Value,
    schemas: Vec<&'a Value>,
}

impl<'a> Applicable<'a> {
    /// Those at the instance's root.
    pub(crate) fn root(document: &'a Value) -> Self {
        let mut schemas = Vec::new();
        expand(document, document, 0, &mut schemas);
        Self { document, schemas }
    }

    /// Those at `at` below the root.
    pub(crate) fn at(document: &'a Value, at: &[Step]) -> Self {
        at.iter().fold(Self::root(document), |here, step| here.step(step))
    }

    /// Those one step further: following `properties`, `additionalProperties`, `prefixItems` and
    /// `items`.
    pub(crate) fn step(&self, step: &Step) -> Self {
        let mut schemas = Vec::new();
        for schema in &self.schemas {
            let child = match step {
                Step::Key(key) => schema
                    .get("properties")
                    .and_then(|properties| properties.get(key))
                    .or_else(|| schema.get("additionalProperties").filter(|s| s.is_object())),
                Step::Index(index) => {
                    schema.get("prefixItems").and_then(|items| items.get(index)).or_else(|| schema.get("items"))
                }
            };
            if let Some(child) = child {
                expand(self.document, child, 0, &mut schemas);
            }
        }
        Self { document: self.document, schemas }
    }

    /// Whether a schema here names `key` of an object: as one of its `properties`, or by giving
    /// every key a schema (`additionalProperties`, as a map does). The model's decoder reads the
    /// keys named so, and skips the others unread.
    pub(crate) fn declares(&self, key: &str) -> bool {
        self.schemas.iter().any(|schema| {
            schema.get("properties").and_then(|properties| properties.get(key)).is_some()
                || schema.get("additionalProperties").is_some_and(Value::is_object)
        })
    }

    /// Whether a schema here wants an integer (and no other number).
    pub(crate) fn expects_integer(&self) -> bool {
        self.schemas.iter().any(|schema| match schema.get("type") {
            Some(Value::String(name)) => name == "integer",
            Some(Value::Array(names)) => names.contains(&json!("integer")) && !names.contains(&json!("number")),
            _ => false,
        })
    }
}

/// `schema` and what it applies in place: `$ref` (within the document), `allOf`, `anyOf`, `oneOf`.
fn expand<'a>(document: &'a Value, schema: &'a Value, depth: usize, out: &mut Vec<&'a Value>) {
    if depth > 32 || !schema.is_object() {
        return;
    }
    out.push(schema);
    if let Some(target) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        if let Some(target) = document.pointer(target) {
            expand(document, target, depth + 1, out);
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for branch in schema.get(keyword).and_then(Value::as_array).into_iter().flatten() {
            expand(document, branch, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_refs_and_branches() {
        let document = json!({
            "anyOf": [{"$ref": "#/$defs/T"}, {"type": "null"}],
            "$defs": {
                "T": {"properties": {"ports": {"items": {"type": "integer"}}}},
                "M": {"additionalProperties": {"type": "string"}},
            },
        });
        let root = Applicable::root(&document);
        assert!(root.declares("ports"));
        assert!(!root.declares("other"));
        let port = Applicable::at(&document, &[Step::Key("ports".into()), Step::Index(3)]);
        assert!(port.expects_integer());
        assert!(!root.expects_integer());
        let map = Applicable::root(&document["$defs"]["M"]);
        assert!(map.declares("anything"));
    }
}
