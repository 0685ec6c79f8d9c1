//! Validation of databags and relation states, every problem reported with its path.
//!
//! This interface's validation ([`validate_databag`], [`validate_decoded_databag`],
//! [`validate_relation_state`], [`Validator::ours`]) reads each databag with the model's decoder,
//! the one decoder of the workspace: each problem is the decoder's, in its words, at the path of
//! its key and of the place in the value (`requirer.unit.juju_topology.application`). So
//! `validate` and a coordinator's `reconcile` say the same about the same fault.
//!
//! A [`Validator`] of other schemas in the interface's layout (the published ones, or this
//! interface's as a plain JSON Schema validator reads them) decodes each value's JSON text and
//! checks it against its `contentSchema` instead: see `schemas.rs`.

use pyroscope_cluster_model::{
    DatabagModel, EXCERPT_CHARS, FieldError, PathStep, ProviderAppData, RawDatabag, RequirerAppData, RequirerUnitData,
    Shown,
};
use serde_json::{Map, Value};

use crate::generate::Side;
use crate::schemas::{SchemaError, SideSchema};
use crate::state::{Form, Input, Invalid, Issue, Path, RelationDatabag};

/// Validates databags and relation states: as this interface's peers read them
/// ([`Validator::ours`]), or against a pair of side schemas in the interface's layout
/// ([`Validator::new`]).
#[derive(Debug)]
pub struct Validator {
    /// The provider's and the requirer's schemas; `None` for the model's decoder.
    schemas: Option<[SideSchema; 2]>,
}

impl Validator {
    /// A validator of the given side schemas: each databag value's JSON text decoded and checked
    /// against its `contentSchema` by a JSON Schema (2020-12) validator.
    pub fn new(provider: &Value, requirer: &Value) -> Result<Self, SchemaError> {
        let provider = SideSchema::compile(Side::Provider, provider)?;
        let requirer = SideSchema::compile(Side::Requirer, requirer)?;
        Ok(Self { schemas: Some([provider, requirer]) })
    }

    /// This interface's validator: each databag read by the model's decoder.
    pub fn ours() -> &'static Validator {
        static OURS: Validator = Validator { schemas: None };
        &OURS
    }

    /// Validates a databag as Juju holds it (every value JSON text).
    pub fn validate_databag(&self, databag: RelationDatabag, raw: &RawDatabag) -> Result<(), Invalid> {
        let values: Vec<(&str, Input<'_>)> = raw.iter().map(|(k, v)| (k.as_str(), Input::Text(v))).collect();
        finish(self.check_databag(databag, &values))
    }

    /// Validates a databag whose values are already decoded (`{"role": "querier"}`).
    pub fn validate_decoded_databag(
        &self,
        databag: RelationDatabag,
        decoded: &Map<String, Value>,
    ) -> Result<(), Invalid> {
        let values: Vec<(&str, Input<'_>)> = decoded.iter().map(|(k, v)| (k.as_str(), Input::Decoded(v))).collect();
        finish(self.check_databag(databag, &values))
    }

    /// Validates a whole relation state: an object with `provider` and `requirer`, each with the
    /// databags `app` and `unit` (the provider's `unit` may be left out), in the given form.
    pub fn validate_state(&self, state: &Value, form: Form) -> Result<(), Invalid> {
        let mut issues = Vec::new();
        self.check_state(state, form, &mut issues);
        finish(issues)
    }

    fn requires(&self, databag: RelationDatabag) -> bool {
        match &self.schemas {
            Some([provider, requirer]) => match databag.side() {
                Side::Provider => provider.requires(databag.name()),
                Side::Requirer => requirer.requires(databag.name()),
            },
            None => databag != RelationDatabag::ProviderUnit,
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
                issues.push(path.issue("is missing"));
                continue;
            };
            let Some(databags) = expect_object(value, &path, "an object with `app` and `unit`", issues) else {
                continue;
            };
            for key in databags.keys().filter(|key| RelationDatabag::of(side, key).is_none()) {
                issues.push(path.key(key).issue("is not a databag (`app`, `unit`)"));
            }
            for databag in RelationDatabag::ALL.into_iter().filter(|databag| databag.side() == side) {
                match databags.get(databag.name()) {
                    Some(value) => self.check_databag_value(databag, value, form, issues),
                    None if self.requires(databag) => issues.push(path.key(databag.name()).issue("is missing")),
                    None => {}
                }
            }
        }
    }

    fn check_databag_value(&self, databag: RelationDatabag, value: &Value, form: Form, issues: &mut Vec<Issue>) {
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
                    let shown = shown(other, Shown::is_secret(key));
                    issues
                        .push(path.key(key).issue(format!("expected a string of JSON text (wire form), got {shown}")));
                    values.push((key.as_str(), Input::Reported));
                }
            }
        }
        issues.extend(self.check_databag(databag, &values));
    }

    fn check_databag(&self, databag: RelationDatabag, values: &[(&str, Input<'_>)]) -> Vec<Issue> {
        match &self.schemas {
            Some([provider, requirer]) => {
                let side = if databag.side() == Side::Provider { provider } else { requirer };
                side.check_databag(databag, values)
            }
            None => decoder_issues(databag, values),
        }
    }
}

/// What the model's decoder finds wrong with a databag, as issues.
fn decoder_issues(databag: RelationDatabag, values: &[(&str, Input<'_>)]) -> Vec<Issue> {
    let mut raw = RawDatabag::new();
    let mut reported = Vec::new();
    for (key, input) in values {
        match input {
            Input::Text(text) => raw.insert((*key).to_owned(), (*text).to_owned()),
            Input::Decoded(value) => raw.insert((*key).to_owned(), value.to_string()),
            Input::Reported => {
                reported.push(*key);
                None
            }
        };
    }
    let decoded = match databag {
        RelationDatabag::ProviderApp => ProviderAppData::decode(&raw).map(drop),
        RelationDatabag::RequirerApp => RequirerAppData::decode(&raw).map(drop),
        RelationDatabag::RequirerUnit => RequirerUnitData::decode(&raw).map(drop),
        // Juju's own keys only: nothing this interface reads.
        RelationDatabag::ProviderUnit => Ok(()),
    };
    let problems = decoded.err().map(|err| err.problems).unwrap_or_default();
    problems.iter().filter(|problem| !reported.contains(&problem.key)).map(|problem| issue(databag, problem)).collect()
}

/// A problem the decoder found, as an issue: at its key and the place in the value, in the
/// decoder's words (the value as the decoder quotes it, then the problem).
fn issue(databag: RelationDatabag, problem: &FieldError) -> Issue {
    let path = problem.path.iter().fold(Path::databag(databag).key(problem.key), |path, step| match step {
        PathStep::Key(key) => path.key(key),
        PathStep::Index(index) => path.index(*index),
    });
    match &problem.value {
        Some(value) => path.issue(format!("{value}: {}", problem.problem)),
        None => path.issue(problem.problem.to_string()),
    }
}

/// Validates a databag as Juju holds it, as this interface's peers read it; see [`Validator::ours`].
pub fn validate_databag(databag: RelationDatabag, raw: &RawDatabag) -> Result<(), Invalid> {
    Validator::ours().validate_databag(databag, raw)
}

/// Validates a databag of decoded values, as this interface's peers read it; see [`Validator::ours`].
pub fn validate_decoded_databag(databag: RelationDatabag, decoded: &Map<String, Value>) -> Result<(), Invalid> {
    Validator::ours().validate_decoded_databag(databag, decoded)
}

/// Validates a relation state, as this interface's peers read it; see [`Validator::validate_state`].
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

/// A JSON value where a relation state has no place for it, as an issue shows it: a scalar as
/// JSON, cut short; an array or object by its type only; nothing of a secret.
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
