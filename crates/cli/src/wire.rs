//! `decode` and `encode`: a raw databag to its decoded values, and back.

use std::collections::BTreeMap;

use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, RequirerAppData, RequirerUnitData};
use serde_json::value::RawValue;

use crate::input::Source;
use crate::{DatabagArg, Failure, Format, Secrets};

/// The databag of `kind` in `text` (a JSON object of string to string), decoded: one JSON object of
/// the known keys present, each with its JSON value, in the order the model declares them.
pub(crate) fn decode(
    kind: DatabagArg,
    source: &Source,
    text: &str,
    format: Format,
    secrets: Secrets,
) -> Result<String, Failure> {
    let databag: RawDatabag = serde_json::from_str(text).map_err(|err| {
        Failure::invalid(format!("{}: not a raw databag (a JSON object of string to string): {err}", source.name()))
    })?;
    let (keys, encoded) = match kind {
        DatabagArg::ProviderApp => model_round_trip::<ProviderAppData>(source, &databag)?,
        DatabagArg::RequirerApp => model_round_trip::<RequirerAppData>(source, &databag)?,
        DatabagArg::RequirerUnit => model_round_trip::<RequirerUnitData>(source, &databag)?,
    };
    let mut out = Vec::new();
    for key in keys {
        if let Some(raw) = encoded.get(*key) {
            let raw = match (*key, format, secrets) {
                // JSON: the configuration with its secrets redacted, unless they are shown; text
                // redacts as it shows it.
                ("worker_config", Format::Json, Secrets::Hide) => redacted_config(raw)?,
                _ => raw.clone(),
            };
            let value = RawValue::from_string(raw).map_err(|err| Failure::internal(err.to_string()))?;
            out.push((*key, value));
        }
    }
    Ok(match format {
        Format::Json => to_json_object(&out),
        Format::Text => to_text(&out, secrets),
    })
}

/// `worker_config`'s value (JSON text of a string) with the configuration's secrets redacted.
fn redacted_config(raw: &str) -> Result<String, Failure> {
    let text: String = serde_json::from_str(raw).map_err(|err| Failure::internal(err.to_string()))?;
    match crate::redact::redact_config(&text) {
        Some(redacted) => serde_json::to_string(&redacted).map_err(|err| Failure::internal(err.to_string())),
        None => Ok(raw.to_owned()),
    }
}

/// For a person: `key: value` lines (JSON values), and `worker_config` as the YAML it holds,
/// indented under its key, secret values not shown.
fn to_text(entries: &[(&str, Box<RawValue>)], secrets: Secrets) -> String {
    let mut lines = Vec::new();
    for (key, value) in entries {
        match serde_json::from_str::<String>(value.get()) {
            Ok(yaml) if *key == "worker_config" => {
                let shown = if secrets == Secrets::Show { "shown" } else { "not shown" };
                lines.push(format!("{key}: |  # secret values {shown}"));
                lines.extend(
                    crate::readable_config(&yaml, secrets)
                        .lines()
                        .map(|line| format!("  {line}").trim_end().to_owned()),
                );
            }
            _ => lines.push(format!("{key}: {}", value.get())),
        }
    }
    lines.join("\n")
}

/// What `decode` prints, back to the raw databag: each known key's value written as the Python
/// peer writes it.
pub(crate) fn encode(kind: DatabagArg, source: &Source, text: &str) -> Result<String, Failure> {
    let values: BTreeMap<String, Box<RawValue>> = serde_json::from_str(text).map_err(|err| {
        Failure::invalid(format!("{}: not a JSON object of decoded databag values: {err}", source.name()))
    })?;
    let databag: RawDatabag = values.into_iter().map(|(key, value)| (key, value.get().to_owned())).collect();
    let (_, encoded) = match kind {
        DatabagArg::ProviderApp => model_round_trip::<ProviderAppData>(source, &databag)?,
        DatabagArg::RequirerApp => model_round_trip::<RequirerAppData>(source, &databag)?,
        DatabagArg::RequirerUnit => model_round_trip::<RequirerUnitData>(source, &databag)?,
    };
    serde_json::to_string_pretty(&encoded).map_err(|err| Failure::internal(err.to_string()))
}

/// Decodes with the model (which validates), and encodes again: the one codec of the workspace.
fn model_round_trip<T: DatabagModel>(
    source: &Source,
    databag: &RawDatabag,
) -> Result<(&'static [&'static str], RawDatabag), Failure> {
    let value = T::decode(databag).map_err(|err| Failure::invalid(format!("{}: {err}", source.name())))?;
    Ok((T::KEYS, value.encode()))
}

/// A JSON object with keys in the given order, two-space indented; values are embedded verbatim.
fn to_json_object(entries: &[(&str, Box<RawValue>)]) -> String {
    if entries.is_empty() {
        return "{}".to_owned();
    }
    let body: Vec<String> =
        entries.iter().map(|(key, value)| format!("  {}: {}", serde_json::Value::from(*key), value.get())).collect();
    format!("{{\n{}\n}}", body.join(",\n"))
}
