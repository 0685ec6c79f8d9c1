//! Deep validation: every databag value decoded and checked against its `contentSchema`.
//!
//! A JSON Schema validator takes `contentSchema` as an annotation: given a databag, it checks
//! that each value is a string and stops there. The [`Validator`] here reads the schema of each
//! databag field, parses the field's JSON text and validates the decoded value against the
//! field's content schema, and reports every problem with its path, e.g.
//! `requirer.unit.juju_topology.application: missing`.
//!
//! It is driven by the schema alone (the generated one, or any schema in the same layout, such
//! as the interface's published one), not by the model's decoder; the tests check that the two
//! accept and reject the same databags.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use pyroscope_cluster_model::{DatabagKind, RawDatabag};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

use crate::applicable::Applicable;
use crate::generate::{Side, schema};
use crate::json::{self, Step};

/// One of the four databags of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Databag {
    /// The coordinator's application databag.
    ProviderApp,
    /// A coordinator unit's databag (unused by this interface).
    ProviderUnit,
    /// A worker application's databag.
    RequirerApp,
    /// A worker unit's databag.
    RequirerUnit,
}

impl Databag {
    /// The four databags, in the order of a relation state.
    pub const ALL: [Databag; 4] =
        [Databag::ProviderApp, Databag::ProviderUnit, Databag::RequirerApp, Databag::RequirerUnit];

    /// The side that writes it.
    pub const fn side(self) -> Side {
        match self {
            Databag::ProviderApp | Databag::ProviderUnit => Side::Provider,
            Databag::RequirerApp | Databag::RequirerUnit => Side::Requirer,
        }
    }

    /// `app` or `unit`: its property in the side's schema and its key in a relation state.
    pub const fn name(self) -> &'static str {
        match self {
            Databag::ProviderApp | Databag::RequirerApp => "app",
            Databag::ProviderUnit | Databag::RequirerUnit => "unit",
        }
    }

    /// Its path in a relation state, which starts every [`Issue::path`] in it: `requirer.unit`.
    pub const fn path(self) -> &'static str {
        match self {
            Databag::ProviderApp => "provider.app",
            Databag::ProviderUnit => "provider.unit",
            Databag::RequirerApp => "requirer.app",
            Databag::RequirerUnit => "requirer.unit",
        }
    }

    fn of(side: Side, name: &str) -> Option<Databag> {
        Databag::ALL.into_iter().find(|databag| databag.side() == side && databag.name() == name)
    }
}

impl FromStr for Databag {
    type Err = String;

    /// Reads [`Databag::path`]: `requirer.unit`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Databag::ALL.into_iter().find(|databag| databag.path() == s).ok_or_else(|| {
            format!("unknown databag {s:?} (known: provider.app, provider.unit, requirer.app, requirer.unit)")
        })
    }
}

impl<'de> Deserialize<'de> for Databag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

impl From<DatabagKind> for Databag {
    fn from(kind: DatabagKind) -> Self {
        match kind {
            DatabagKind::ProviderApp => Databag::ProviderApp,
            DatabagKind::RequirerApp => Databag::RequirerApp,
            DatabagKind::RequirerUnit => Databag::RequirerUnit,
        }
    }
}

impl fmt::Display for Databag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// How the databags of a relation state are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// As Juju holds them: every value a string of JSON text (`"role": "\"querier\""`), as
    /// `relation-get --format=json` prints them.
    Wire,
    /// Every value decoded (`"role": "querier"`), as the interface's README writes its example.
    Decoded,
}

/// How the JSON text of a databag value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reading {
    /// As the model's decoder reads it, which is what this interface's Rust peers accept: beyond
    /// the schema, an object may not repeat a key the schema names (or any key, in a map of
    /// string to string), and a number where the schema wants an integer must be written as an
    /// integer (`7946`, not `7946.0` or `7.946e3`).
    Strict,
    /// As a JSON Schema 2020-12 validator reads it: a repeated key keeps its last value, and
    /// `7946.0` is an integer.
    Standard,
}

/// One problem found: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Issue {
    /// Where, from the relation state's root: `requirer.unit.juju_topology.application`,
    /// `provider.app.worker_ports[2]`, `provider.app.loki_endpoints["a.b"]`; empty for the root.
    pub path: String,
    /// What is wrong, e.g. `missing`.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() { "(relation state)" } else { &self.path };
        write!(f, "{path}: {}", self.message)
    }
}

/// A databag or relation state that is not valid, with every problem found, sorted by path
/// (then message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", DisplayIssues(.issues))]
pub struct Invalid {
    /// The problems; never empty.
    pub issues: Vec<Issue>,
}

struct DisplayIssues<'a>(&'a [Issue]);

impl fmt::Display for DisplayIssues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            issue.fmt(f)?;
        }
        Ok(())
    }
}

/// A schema that the [`Validator`] cannot work with.
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

/// Keys whose values an issue never shows: `worker_config` holds S3 credentials.
const SECRET_KEYS: &[&str] = &["worker_config"];

/// The longest excerpt of a value an issue shows, in characters.
const EXCERPT_CHARS: usize = 60;

/// Validates databags and relation states against a pair of side schemas in the interface's
/// layout (see the crate docs).
#[derive(Debug)]
pub struct Validator {
    provider: SideChecker,
    requirer: SideChecker,
    reading: Reading,
}

impl Validator {
    /// A validator for the given side schemas (for this interface's own, see [`Validator::ours`]).
    pub fn new(provider: &Value, requirer: &Value, reading: Reading) -> Result<Self, SchemaError> {
        Ok(Self {
            provider: SideChecker::compile(Side::Provider, provider)?,
            requirer: SideChecker::compile(Side::Requirer, requirer)?,
            reading,
        })
    }

    /// The validator of this interface's schemas (those [`crate::schema`] generates), reading
    /// strictly: it accepts what the model's decoder accepts.
    pub fn ours() -> &'static Validator {
        static OURS: OnceLock<Validator> = OnceLock::new();
        OURS.get_or_init(|| {
            Validator::new(&schema(Side::Provider), &schema(Side::Requirer), Reading::Strict)
                .unwrap_or_else(|err| panic!("the generated schemas are usable: {err}"))
        })
    }

    /// Validates a databag as Juju holds it (every value JSON text).
    pub fn validate_databag(&self, databag: Databag, raw: &RawDatabag) -> Result<(), Invalid> {
        let mut issues = Vec::new();
        let values: Vec<(&str, Input<'_>)> = raw.iter().map(|(k, v)| (k.as_str(), Input::Text(v))).collect();
        self.check_databag(databag, &values, &mut issues);
        finish(issues)
    }

    /// Validates a databag whose values are already decoded (`{"role": "querier"}`).
    pub fn validate_decoded_databag(&self, databag: Databag, decoded: &Map<String, Value>) -> Result<(), Invalid> {
        let mut issues = Vec::new();
        let values: Vec<(&str, Input<'_>)> = decoded.iter().map(|(k, v)| (k.as_str(), Input::Decoded(v))).collect();
        self.check_databag(databag, &values, &mut issues);
        finish(issues)
    }

    /// Validates a whole relation state: an object with `provider` and `requirer`, each with the
    /// databags `app` and `unit` (the provider's `unit` may be left out), in the given form.
    pub fn validate_state(&self, state: &Value, form: Form) -> Result<(), Invalid> {
        let mut issues = Vec::new();
        self.check_state(state, form, &mut issues);
        finish(issues)
    }

    fn side(&self, side: Side) -> &SideChecker {
        match side {
            Side::Provider => &self.provider,
            Side::Requirer => &self.requirer,
        }
    }

    fn check_state(&self, state: &Value, form: Form, issues: &mut Vec<Issue>) {
        let root = Path::default();
        let Some(state) = expect_object(state, &root, "an object with `provider` and `requirer`", issues) else {
            return;
        };
        for key in state.keys().filter(|key| Side::ALL.iter().all(|side| side.as_str() != key.as_str())) {
            issues.push(root.key(key).issue("is not part of a relation state (`provider`, `requirer`)"));
        }
        for side in Side::ALL {
            let path = root.key(side.as_str());
            let Some(value) = state.get(side.as_str()) else {
                issues.push(path.issue("missing"));
                continue;
            };
            let Some(databags) = expect_object(value, &path, "an object with `app` and `unit`", issues) else {
                continue;
            };
            for key in databags.keys().filter(|key| Databag::of(side, key).is_none()) {
                issues.push(path.key(key).issue("is not a databag (`app`, `unit`)"));
            }
            for databag in Databag::ALL.into_iter().filter(|databag| databag.side() == side) {
                match databags.get(databag.name()) {
                    Some(value) => self.check_databag_value(databag, value, form, issues),
                    None if self.side(side).required.iter().any(|name| name == databag.name()) => {
                        issues.push(path.key(databag.name()).issue("missing"));
                    }
                    None => {}
                }
            }
        }
    }

    fn check_databag_value(&self, databag: Databag, value: &Value, form: Form, issues: &mut Vec<Issue>) {
        let path = Path::databag(databag);
        let Some(object) = expect_object(value, &path, "an object (a databag)", issues) else {
            return;
        };
        let mut values = Vec::with_capacity(object.len());
        for (key, value) in object {
            match (form, value) {
                (Form::Decoded, value) => values.push((key.as_str(), Input::Decoded(value))),
                (Form::Wire, Value::String(text)) => values.push((key.as_str(), Input::Text(text))),
                (Form::Wire, other) => {
                    let shown = shown(other, SECRET_KEYS.contains(&key.as_str()));
                    issues
                        .push(path.key(key).issue(format!("expected a string of JSON text (wire form), got {shown}")));
                    values.push((key.as_str(), Input::Reported));
                }
            }
        }
        self.check_databag(databag, &values, issues);
    }

    fn check_databag(&self, databag: Databag, values: &[(&str, Input<'_>)], issues: &mut Vec<Issue>) {
        let checker = self.side(databag.side()).databag(databag);
        let path = Path::databag(databag);
        for key in &checker.required {
            if values.iter().all(|(k, _)| k != key) {
                issues.push(path.key(key).issue("missing"));
            }
        }
        for (key, input) in values {
            if let Some((_, field)) = checker.fields.iter().find(|(k, _)| k == key) {
                let context = Context { path: path.key(key), secret: SECRET_KEYS.contains(key), reading: self.reading };
                field.check(*input, &context, issues);
            }
        }
    }
}

/// Validates a databag as Juju holds it against this interface's schema; see [`Validator`].
pub fn validate_databag(databag: Databag, raw: &RawDatabag) -> Result<(), Invalid> {
    Validator::ours().validate_databag(databag, raw)
}

/// Validates a databag of decoded values against this interface's schema; see [`Validator`].
pub fn validate_decoded_databag(databag: Databag, decoded: &Map<String, Value>) -> Result<(), Invalid> {
    Validator::ours().validate_decoded_databag(databag, decoded)
}

/// Validates a relation state against this interface's schema; see [`Validator::validate_state`].
pub fn validate_relation_state(state: &Value, form: Form) -> Result<(), Invalid> {
    Validator::ours().validate_state(state, form)
}

fn finish(mut issues: Vec<Issue>) -> Result<(), Invalid> {
    if issues.is_empty() {
        return Ok(());
    }
    issues.sort();
    issues.dedup();
    Err(Invalid { issues })
}

fn expect_object<'v>(
    value: &'v Value,
    path: &Path,
    what: &str,
    issues: &mut Vec<Issue>,
) -> Option<&'v Map<String, Value>> {
    let object = value.as_object();
    if object.is_none() {
        issues.push(path.issue(format!("expected {what}, got {}", shown(value, false))));
    }
    object
}

/// A value as an issue shows it: a scalar as JSON, cut short; an array or object by its type
/// only (in strict reading, keys the schema does not name are not even read); nothing of a
/// secret.
fn shown(value: &Value, secret: bool) -> String {
    match value {
        _ if secret => "a value (not shown: it may hold secrets)".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        scalar => {
            let text = scalar.to_string();
            match text.char_indices().nth(EXCERPT_CHARS) {
                None => text,
                Some((cut, _)) => format!("{}...", &text[..cut]),
            }
        }
    }
}

/// A location in a relation state, as a dotted path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Path(String);

impl Path {
    fn databag(databag: Databag) -> Self {
        Self(databag.path().to_owned())
    }

    /// The path of `key` in the object at this path: `.key`, or `["a.b"]` when the key is not a
    /// plain name.
    fn key(&self, key: &str) -> Self {
        let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match (plain, self.0.is_empty()) {
            (true, true) => Self(key.to_owned()),
            (true, false) => Self(format!("{}.{key}", self.0)),
            (false, _) => Self(format!("{}[{}]", self.0, Value::from(key))),
        }
    }

    fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    fn step(&self, step: &Step) -> Self {
        match step {
            Step::Key(key) => self.key(key),
            Step::Index(index) => self.index(*index),
        }
    }

    fn issue(&self, message: impl Into<String>) -> Issue {
        Issue { path: self.0.clone(), message: message.into() }
    }
}

/// Where a field's value is being checked, and how.
struct Context {
    path: Path,
    secret: bool,
    reading: Reading,
}

/// A field's value: JSON text as Juju holds it, or already decoded.
#[derive(Debug, Clone, Copy)]
enum Input<'a> {
    Text(&'a str),
    Decoded(&'a Value),
    /// Present, but not checked further: a problem with it is already reported.
    Reported,
}

/// The checks of one side's schema.
#[derive(Debug)]
struct SideChecker {
    /// The databags the side's schema requires (`app`, `unit`).
    required: Vec<String>,
    app: DatabagChecker,
    unit: DatabagChecker,
}

impl SideChecker {
    fn compile(side: Side, root: &Value) -> Result<Self, SchemaError> {
        let error = |pointer: &str, reason: &str| SchemaError {
            side: side.as_str(),
            pointer: pointer.to_owned(),
            reason: reason.to_owned(),
        };
        let required = strings(root.get("required"));
        let databag = |name: &str| -> Result<DatabagChecker, SchemaError> {
            let pointer = format!("/properties/{name}");
            let schema = root.pointer(&pointer).ok_or_else(|| error(&pointer, "no such databag"))?;
            let schema = object_schema(root, schema).ok_or_else(|| error(&pointer, "not an object schema"))?;
            DatabagChecker::compile(root, schema).map_err(|(pointer, reason)| error(&pointer, &reason))
        };
        Ok(Self { required, app: databag("app")?, unit: databag("unit")? })
    }

    fn databag(&self, databag: Databag) -> &DatabagChecker {
        match databag.name() {
            "app" => &self.app,
            _ => &self.unit,
        }
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

/// The checks of one databag: its required keys, and one check per field it names. Keys it does
/// not name are ignored, as both peers ignore them.
#[derive(Debug)]
struct DatabagChecker {
    required: Vec<String>,
    fields: Vec<(String, FieldChecker)>,
}

impl DatabagChecker {
    fn compile(root: &Value, schema: &Value) -> Result<Self, (String, String)> {
        let mut fields = Vec::new();
        if let Some(Value::Object(properties)) = schema.get("properties") {
            for (key, field) in properties {
                let checker =
                    FieldChecker::compile(root, field).map_err(|reason| (format!("/properties/{key}"), reason))?;
                fields.push((key.clone(), checker));
            }
        }
        Ok(Self { required: strings(schema.get("required")), fields })
    }
}

/// How one field's value is checked.
#[derive(Debug)]
enum FieldChecker {
    /// JSON text (`contentMediaType: application/json`) whose decoded value must match a content schema.
    Json(Content),
    /// The value itself, taken as it is (the published schema's `s3_tls_ca_chain`, or its `null` branches).
    Plain(Content),
    /// At least one of these.
    AnyOf(Vec<FieldChecker>),
}

impl FieldChecker {
    fn compile(root: &Value, field: &Value) -> Result<Self, String> {
        if let Some(Value::Array(branches)) = field.get("anyOf") {
            if field.get("contentSchema").is_none() {
                let branches =
                    branches.iter().map(|branch| FieldChecker::compile(root, branch)).collect::<Result<_, _>>()?;
                return Ok(FieldChecker::AnyOf(branches));
            }
        }
        let json = field.get("contentMediaType").and_then(Value::as_str) == Some("application/json");
        match field.get("contentSchema") {
            Some(content) if json => Ok(FieldChecker::Json(Content::compile(root, content)?)),
            _ => Ok(FieldChecker::Plain(Content::compile(root, field)?)),
        }
    }

    fn check(&self, input: Input<'_>, context: &Context, issues: &mut Vec<Issue>) {
        if let Input::Reported = input {
            return;
        }
        match self {
            FieldChecker::Json(content) => match input {
                Input::Decoded(value) => content.check(value, &[], context, issues),
                Input::Reported => {}
                Input::Text(text) => {
                    let parsed = match context.reading {
                        Reading::Strict => json::parse(text, &content.document),
                        Reading::Standard => serde_json::from_str(text).map(json::Parsed::plain),
                    };
                    match parsed {
                        Ok(parsed) => content.check(&parsed.value, &parsed.repeated, context, issues),
                        Err(err) => issues.push(context.path.issue(format!("is not JSON text: {err}"))),
                    }
                }
            },
            FieldChecker::Plain(content) => match input {
                Input::Decoded(value) => content.check(value, &[], context, issues),
                Input::Reported => {}
                Input::Text(text) => content.check(&Value::String(text.to_owned()), &[], context, issues),
            },
            FieldChecker::AnyOf(branches) => {
                let mut found = Vec::with_capacity(branches.len());
                for branch in branches {
                    let mut issues = Vec::new();
                    branch.check(input, context, &mut issues);
                    if issues.is_empty() {
                        return;
                    }
                    found.push((matches!(branch, FieldChecker::Json(_)), issues));
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
    /// The schema, with the root's `$defs` so that its `$ref`s resolve.
    document: Value,
    validator: jsonschema::Validator,
}

impl Content {
    fn compile(root: &Value, schema: &Value) -> Result<Self, String> {
        let mut document = match schema {
            Value::Object(map) => map.clone(),
            Value::Bool(accept) => {
                return Self::compile(root, &json!(if *accept { json!({}) } else { json!({"not": {}}) }));
            }
            other => return Err(format!("a schema must be an object, not {other}")),
        };
        if let Some(defs) = root.get("$defs") {
            document.entry("$defs").or_insert_with(|| defs.clone());
        }
        let document = Value::Object(document);
        let validator = jsonschema::draft202012::new(&document).map_err(|err| err.to_string())?;
        Ok(Self { document, validator })
    }

    fn check(&self, value: &Value, repeated: &[(Vec<Step>, String)], context: &Context, issues: &mut Vec<Issue>) {
        let start = issues.len();
        for error in self.validator.iter_errors(value) {
            self.issues(&error, context, issues);
        }
        if context.reading == Reading::Standard {
            return;
        }
        let mut strict = Vec::new();
        for (object, key) in repeated {
            if Applicable::at(&self.document, object).declares(key) {
                let path = object.iter().fold(context.path.clone(), |path, step| path.step(step)).key(key);
                strict.push(path.issue("repeats a key"));
            }
        }
        let mut floats = Vec::new();
        float_positions(value, &mut Vec::new(), &mut floats);
        for (at, number) in floats {
            if Applicable::at(&self.document, &at).expects_integer() {
                let path = at.iter().fold(context.path.clone(), |path, step| path.step(step));
                strict.push(path.issue(format!("expected an integer literal, got {number}")));
            }
        }
        for issue in strict {
            if !issues[start..].iter().any(|found| found.path == issue.path) {
                issues.push(issue);
            }
        }
    }

    fn issues(&self, error: &jsonschema::ValidationError<'_>, context: &Context, out: &mut Vec<Issue>) {
        let mut path = context.path.clone();
        for segment in error.instance_path().iter() {
            path = match segment {
                jsonschema::paths::LocationSegment::Property(key) => path.key(&key),
                jsonschema::paths::LocationSegment::Index(index) => path.index(index),
            };
        }
        let value = shown(error.instance(), context.secret);
        let message = match error.kind() {
            ValidationErrorKind::Required { property } => {
                path = path.key(property.as_str().unwrap_or_default());
                "missing".to_owned()
            }
            ValidationErrorKind::Type { kind } => format!("expected {}, got {value}", type_names(kind)),
            ValidationErrorKind::Minimum { limit } => format!("{value} is less than the minimum, {limit}"),
            ValidationErrorKind::Maximum { limit } => format!("{value} is more than the maximum, {limit}"),
            ValidationErrorKind::AnyOf { context: branches }
            | ValidationErrorKind::OneOfNotValid { context: branches }
                if Self::only_fitting_branch(error, branches).is_some() =>
            {
                for inner in Self::only_fitting_branch(error, branches).into_iter().flatten() {
                    self.issues(inner, context, out);
                }
                return;
            }
            ValidationErrorKind::Pattern { .. }
            | ValidationErrorKind::AnyOf { .. }
            | ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::Enum { .. }
            | ValidationErrorKind::Constant { .. } => match self.title_of(error.schema_path().as_str()) {
                Some(what) => format!("{value} is not a valid {what}"),
                None => format!("{value} is not allowed here"),
            },
            _ if context.secret => "is not valid".to_owned(),
            _ => error.to_string(),
        };
        out.push(Issue { path: path.0, message });
    }

    /// Of the branches of a failed `anyOf` or `oneOf`, the only one whose type fits the value,
    /// if there is one: the `StringMap` of `anyOf: [StringMap, null]` when the value is an object.
    /// Its errors say more than "matches none of the branches".
    fn only_fitting_branch<'e>(
        error: &jsonschema::ValidationError<'_>,
        branches: &'e [Vec<jsonschema::ValidationError<'static>>],
    ) -> Option<&'e [jsonschema::ValidationError<'static>]> {
        let here = error.instance_path().as_str();
        let misfit = |errors: &Vec<jsonschema::ValidationError<'static>>| {
            errors
                .iter()
                .any(|e| e.instance_path().as_str() == here && matches!(e.kind(), ValidationErrorKind::Type { .. }))
        };
        let mut fitting = branches.iter().filter(|errors| !misfit(errors));
        match (fitting.next(), fitting.next()) {
            (Some(only), None) => Some(only),
            _ => None,
        }
    }

    /// The title of the schema that holds the keyword at `keyword_location`, or of its parent.
    fn title_of(&self, keyword_location: &str) -> Option<&str> {
        let mut pointer = keyword_location;
        while let Some(cut) = pointer.rfind('/') {
            pointer = &pointer[..cut];
            if let Some(title) = self.document.pointer(pointer).and_then(|s| s.get("title")).and_then(Value::as_str) {
                return Some(title);
            }
        }
        None
    }
}

fn type_names(kind: &TypeKind) -> String {
    let names: Vec<String> = match kind {
        TypeKind::Single(single) => vec![single.to_string()],
        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
    };
    names.join(" or ")
}

/// Every number of `value` that is a float, with its position.
fn float_positions(value: &Value, at: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, String)>) {
    match value {
        Value::Number(number) if number.is_f64() => out.push((at.clone(), number.to_string())),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                at.push(Step::Index(index));
                float_positions(item, at, out);
                at.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                at.push(Step::Key(key.clone()));
                float_positions(item, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}
