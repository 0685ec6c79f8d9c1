//! Validation against side schemas in the interface's layout, for [`Validator::new`].
//!
//! A JSON Schema validator takes `contentSchema` as an annotation: given a databag, it checks that
//! each value is a string and stops there. Here each databag field whose schema says
//! `contentMediaType: application/json` has its text decoded, and the decoded value is checked
//! against the field's `contentSchema` by a JSON Schema (2020-12) validator; a field without one
//! (the published schema's `s3_tls_ca_chain`) is checked as it is. Keys a databag's schema does
//! not name are ignored, as both peers ignore them.
//!
//! [`Validator::new`]: crate::Validator::new

use pyroscope_cluster_model::Shown;
use serde_json::{Value, json};

use crate::generate::Side;
use crate::state::{Input, Issue, Path, RelationDatabag};

/// A schema that a [`Validator`](crate::Validator) cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unusable {side} schema at `{pointer}`: {reason}")]
pub struct SchemaError {
    /// `provider` or `requirer`.
    pub side: &'static str,
    /// Where in the schema, as a JSON pointer.
    pub pointer: String,
    /// What is wrong.
    pub reason: String,
}

/// The checks of one side's schema.
#[derive(Debug)]
pub(crate) struct SideSchema {
    /// The databags the side's schema requires (`app`, `unit`).
    required: Vec<String>,
    app: DatabagSchema,
    unit: DatabagSchema,
}

impl SideSchema {
    pub(crate) fn compile(side: Side, root: &Value) -> Result<Self, SchemaError> {
        let error = |pointer: &str, reason: &str| SchemaError {
            side: side.as_str(),
            pointer: pointer.to_owned(),
            reason: reason.to_owned(),
        };
        let databag = |name: &str| -> Result<DatabagSchema, SchemaError> {
            let pointer = format!("/properties/{name}");
            let schema = root.pointer(&pointer).ok_or_else(|| error(&pointer, "no such databag"))?;
            let schema = object_schema(root, schema).ok_or_else(|| error(&pointer, "not an object schema"))?;
            DatabagSchema::compile(root, schema).map_err(|(pointer, reason)| error(&pointer, &reason))
        };
        Ok(Self { required: strings(root.get("required")), app: databag("app")?, unit: databag("unit")? })
    }

    /// Whether a relation state must hold the databag `name`.
    pub(crate) fn requires(&self, name: &str) -> bool {
        self.required.iter().any(|required| required == name)
    }

    pub(crate) fn check_databag(&self, databag: RelationDatabag, values: &[(&str, Input<'_>)]) -> Vec<Issue> {
        let schema = if databag.name() == "app" { &self.app } else { &self.unit };
        let path = Path::databag(databag);
        let mut issues = Vec::new();
        for key in &schema.required {
            if values.iter().all(|(k, _)| k != key) {
                issues.push(path.key(key).issue("is missing"));
            }
        }
        for (key, input) in values {
            if let Some((_, field)) = schema.fields.iter().find(|(k, _)| k == key) {
                field.check(*input, &path.key(key), Shown::is_secret(key), &mut issues);
            }
        }
        issues
    }
}

/// Follows `$ref`s, and picks the object branch of an `anyOf` (the published schema's optional
/// `unit` is `anyOf: [{$ref}, {type: null}]`).
fn object_schema<'a>(root: &'a Value, schema: &'a Value) -> Option<&'a Value> {
    let mut schema = schema;
    for _ in 0..16 {
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            schema = root.pointer(target.strip_prefix('#')?)?;
        } else if let Some(Value::Array(branches)) = schema.get("anyOf") {
            schema = branches.iter().find_map(|branch| object_schema(root, branch))?;
        } else {
            return (schema.get("type") == Some(&json!("object")) || schema.get("properties").is_some())
                .then_some(schema);
        }
    }
    None
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// The checks of one databag: its required keys, and one check per field it names.
#[derive(Debug)]
struct DatabagSchema {
    required: Vec<String>,
    fields: Vec<(String, FieldSchema)>,
}

impl DatabagSchema {
    fn compile(root: &Value, schema: &Value) -> Result<Self, (String, String)> {
        let mut fields = Vec::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (key, field) in properties {
                let checker =
                    FieldSchema::compile(root, field).map_err(|reason| (format!("/properties/{key}"), reason))?;
                fields.push((key.clone(), checker));
            }
        }
        Ok(Self { required: strings(schema.get("required")), fields })
    }
}

/// How one field's value is checked.
#[derive(Debug)]
enum FieldSchema {
    /// JSON text (`contentMediaType: application/json`) whose decoded value must match a content
    /// schema.
    Json(Content),
    /// The value itself, taken as it is (the published schema's `s3_tls_ca_chain`, or its `null`
    /// branches).
    Plain(Content),
    /// At least one of these.
    AnyOf(Vec<FieldSchema>),
}

impl FieldSchema {
    fn compile(root: &Value, field: &Value) -> Result<Self, String> {
        if let Some(Value::Array(branches)) = field.get("anyOf") {
            if field.get("contentSchema").is_none() {
                let branches =
                    branches.iter().map(|branch| FieldSchema::compile(root, branch)).collect::<Result<_, _>>()?;
                return Ok(FieldSchema::AnyOf(branches));
            }
        }
        let json = field.get("contentMediaType").and_then(Value::as_str) == Some("application/json");
        match field.get("contentSchema") {
            Some(content) if json => Ok(FieldSchema::Json(Content::compile(root, content)?)),
            _ => Ok(FieldSchema::Plain(Content::compile(root, field)?)),
        }
    }

    fn check(&self, input: Input<'_>, path: &Path, secret: bool, issues: &mut Vec<Issue>) {
        match (self, input) {
            (_, Input::Reported) => {}
            (FieldSchema::Json(content) | FieldSchema::Plain(content), Input::Decoded(value)) => {
                content.check(value, path, secret, issues);
            }
            (FieldSchema::Json(content), Input::Text(text)) => match serde_json::from_str::<Value>(text) {
                Ok(value) => content.check(&value, path, secret, issues),
                Err(err) => issues.push(path.issue(format!("is not JSON text: {err}"))),
            },
            (FieldSchema::Plain(content), Input::Text(text)) => {
                content.check(&Value::String(text.to_owned()), path, secret, issues);
            }
            (FieldSchema::AnyOf(branches), input) => {
                let mut found = Vec::with_capacity(branches.len());
                for branch in branches {
                    let mut branch_issues = Vec::new();
                    branch.check(input, path, secret, &mut branch_issues);
                    if branch_issues.is_empty() {
                        return;
                    }
                    found.push((matches!(branch, FieldSchema::Json(_)), branch_issues));
                }
                // The problems of the first branch that decodes JSON say the most.
                let best = found.iter().position(|(json, _)| *json).unwrap_or(0);
                issues.extend(found.into_iter().nth(best).map(|(_, issues)| issues).unwrap_or_default());
            }
        }
    }
}

/// A compiled schema for a field's (decoded) value.
#[derive(Debug)]
struct Content {
    validator: jsonschema::Validator,
}

impl Content {
    fn compile(root: &Value, schema: &Value) -> Result<Self, String> {
        let mut document = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(accept) => {
                return Self::compile(root, &if *accept { json!({}) } else { json!({"not": {}}) });
            }
            other => return Err(format!("a schema must be an object, not {other}")),
        };
        // The root's `$defs`, so that the content schema's `$ref`s resolve.
        if let Some(defs) = root.get("$defs") {
            document.entry("$defs").or_insert_with(|| defs.clone());
        }
        let validator = jsonschema::draft202012::new(&Value::Object(document)).map_err(|err| err.to_string())?;
        Ok(Self { validator })
    }

    /// Each error, in the validator's words, at its place in the value; nothing of a secret.
    fn check(&self, value: &Value, path: &Path, secret: bool, issues: &mut Vec<Issue>) {
        for error in self.validator.iter_errors(value) {
            let at = error.instance_path().iter().fold(path.clone(), |path, segment| match segment {
                jsonschema::paths::LocationSegment::Property(key) => path.key(&key),
                jsonschema::paths::LocationSegment::Index(index) => path.index(index),
            });
            let message = if secret { "is not valid (the value is not shown)".to_owned() } else { error.to_string() };
            issues.push(at.issue(message));
        }
    }
}
