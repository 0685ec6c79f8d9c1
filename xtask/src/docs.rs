//! `docs/interface.md`: the interface for people, rendered from the generated schemas, the model's
//! roles, the example state, and the list of differences.

use std::fmt::Write;

use pyroscope_cluster_model::Role;
use pyroscope_cluster_release::{PYTHON_DEVIATIONS, PyroscopeRelease};
use pyroscope_cluster_schema::{
    Form, GENERATED_MARKER as MARKER, RelationDatabag, Side, schema, schema_of, validate_relation_state,
};
use serde_json::{Value, json};

use crate::drift::{DIFFERENCES, Source, cases};
use crate::example::example_state;

/// The text of `docs/interface.md`.
pub(crate) fn interface_md() -> String {
    let provider = schema(Side::Provider);
    let requirer = schema(Side::Requirer);
    let mut out = String::new();
    header(&mut out);
    databags(&mut out, &provider, &requirer);
    types(&mut out, &requirer, &provider);
    roles(&mut out);
    example(&mut out);
    validation(&mut out);
    out.push_str(&releases_md());
    differences(&mut out);
    out
}

fn header(out: &mut String) {
    out.push_str(&format!("<!-- {MARKER}: it is rendered from the Rust types (crates/model, crates/schema). -->\n\n"));
    out.push_str(
        "# The `pyroscope_cluster` relation interface, v0

A Grafana Pyroscope coordinator and its workers form a cluster over this Juju relation interface.
This page and the JSON Schemas beside it ([`schema/v0/provider.json`](schema/v0/provider.json),
[`schema/v0/requirer.json`](schema/v0/requirer.json)) are generated from the Rust types of
`pyroscope-cluster-model`: the descriptions below are their doc comments. The wire format is the one of
the deployed Python library (`coordinated-workers`, module `coordinated_workers.interfaces.cluster`), which
every Pyroscope charm runs today; where the interface's published schema says otherwise, the
[differences](#differences-from-the-published-schema) are listed at the end, each with its reason.

## Parties

- **Provider**: the Pyroscope coordinator application, on the endpoint `pyroscope-cluster`.
- **Requirer**: a Pyroscope worker application, which runs one or more [roles](#the-roles). A coordinator
  relates to many worker applications, one relation each.

Each relation has four databags:

| databag | written by | holds |
| --- | --- | --- |
| `provider.app` | the coordinator's leader unit | the configuration every worker runs, and where workers send telemetry |
| `provider.unit` | each coordinator unit | nothing (Juju's own keys only) |
| `requirer.app` | the worker application's leader unit | the worker application's roles |
| `requirer.unit` | each worker unit, its own | the unit's address and Juju topology |

A Juju databag maps strings to strings. Every value of this interface is **JSON text**: the role list
`querier` is stored as the 9 characters `\"querier\"`, quotes included, and the configuration (YAML) as a
JSON string. A writer leaves out a field that has no value; a reader ignores keys it does not know (Juju
adds `ingress-address`, `private-address` and `egress-subnets` to unit databags; later versions may add
fields) and accepts any JSON spacing.

## Flow

```mermaid
sequenceDiagram
    participant W as Worker application (requirer)
    participant C as Coordinator application (provider)
    W->>C: requirer.app: role (the leader, as soon as it can)
    W->>C: requirer.unit: address, juju_topology (each unit, as soon as it can)
    Note over C: A relation is ready when its role is valid<br/>and every unit's data is valid.<br/>A relation that is not ready gets nothing.
    C->>W: provider.app: worker_config, telemetry endpoints, TLS, ports, labels<br/>(the same bytes to every ready relation)
    Note over W: Runs Pyroscope with worker_config<br/>and -target set to its roles.
```

## Behaviour

What the two sides do with the data (the interface's contract, implemented by
`pyroscope-cluster-provider` and `pyroscope-cluster-requirer`).

The provider (coordinator):
- publishes only to a relation whose worker application has a valid `role` and whose every unit has
  valid data; a relation that is not ready gets nothing written, and the reason is reported, not just
  logged;
- sends the same provider app databag, byte for byte, to every ready relation, whatever its roles; in
  Pyroscope's v2 storage architecture (`settings.architecture: v2`) the databags differ between
  relations in `worker_ports` only (7946, 4040, 9095 for every worker; 9099, Raft, added for
  `metastore` and `all`), and `worker_config` is byte-identical everywhere;
- puts the address of every valid worker unit, whatever its roles, into Pyroscope's
  `memberlist.join_members` as `host:7946` (an IPv6 literal in brackets), de-duplicated and sorted, so
  that the bytes do not change when Juju lists the units in another order;
- counts the roles of the units (meta-roles expanded) against the minimal deployment (each of the nine
  concrete roles at least once) and the recommended one (`RECOMMENDED_DEPLOYMENT` in
  `pyroscope-cluster-provider`); in v2 against the eight v2 roles (`V2_RECOMMENDED_DEPLOYMENT`), with
  an even number of metastores reported (a Raft group wants an odd one); a worker app with a role of
  the other architecture is not ready, with that reason.

The requirer (worker):
- publishes `role` from its leader, and `address` and `juju_topology` from every unit, as soon as it can;
- runs `pyroscope -config.file=<file> -target=<its roles, sorted, comma-joined>`, the file holding
  `worker_config`;
- rewrites the file and restarts Pyroscope only when the configuration really changed (compared as
  parsed YAML); `pyroscope-cluster-requirer` goes further: when only `memberlist.join_members`
  changed (a worker unit came or went), it rewrites the file without a restart, since Pyroscope
  reads that list only at start-up to find the ring (its `RESTART_FREE_KEYS`);
- uses TLS only when `ca_cert`, `server_cert` and `privkey_secret_id` are all present.

",
    );
}

fn databags(out: &mut String, provider: &Value, requirer: &Value) {
    out.push_str("## Databags\n\n");
    out.push_str(
        "Each table lists a databag's keys. *Type* is the type of the decoded value (the databag holds its JSON \
         text); a field that is not required may be left out, and the text `null` means the same.\n\n",
    );
    let sections = [
        (RelationDatabag::RequirerApp, requirer),
        (RelationDatabag::RequirerUnit, requirer),
        (RelationDatabag::ProviderApp, provider),
        (RelationDatabag::ProviderUnit, provider),
    ];
    for (databag, root) in sections {
        let schema = resolve(root, &root["properties"][databag.name()]);
        let _ = writeln!(out, "### `{}`\n\n{}\n", databag.path(), text(schema.get("description")));
        let properties = schema.get("properties").and_then(Value::as_object);
        let Some(properties) = properties.filter(|p| !p.is_empty()) else {
            continue;
        };
        let required = strings(schema.get("required"));
        out.push_str("| key | type | required | meaning |\n| --- | --- | --- | --- |\n");
        for key in declaration_order(databag, properties.keys()) {
            let field = &properties[key.as_str()];
            let _ = writeln!(
                out,
                "| `{key}` | {} | {} | {} |",
                describe(&field["contentSchema"]),
                if required.contains(&key) { "yes" } else { "no" },
                cell(text(field.get("description"))),
            );
        }
        out.push('\n');
    }
}

/// The keys of a databag in the order the model declares (and the Python peer writes) them.
fn declaration_order<'a>(databag: RelationDatabag, keys: impl Iterator<Item = &'a String>) -> Vec<String> {
    use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RequirerAppData, RequirerUnitData};
    let order: &[&str] = match databag {
        RelationDatabag::ProviderApp => ProviderAppData::KEYS,
        RelationDatabag::RequirerApp => RequirerAppData::KEYS,
        RelationDatabag::RequirerUnit => RequirerUnitData::KEYS,
        RelationDatabag::ProviderUnit => &[],
    };
    let mut keys: Vec<String> = keys.cloned().collect();
    keys.sort_by_key(|key| order.iter().position(|k| k == key).unwrap_or(usize::MAX));
    keys
}

fn types(out: &mut String, requirer: &Value, provider: &Value) {
    out.push_str("## Types\n\nThe types of the decoded values.\n\n");
    let mut defs: Vec<(&String, &Value)> = Vec::new();
    for root in [requirer, provider] {
        // The databags are the roots' `app` and `unit`; every other definition is a value's type.
        let databags: Vec<&str> = ["app", "unit"]
            .iter()
            .filter_map(|name| root["properties"][name]["$ref"].as_str())
            .filter_map(|r| r.rsplit('/').next())
            .collect();
        for (name, def) in root["$defs"].as_object().into_iter().flatten() {
            if !databags.contains(&name.as_str()) && defs.iter().all(|(known, _)| *known != name) {
                defs.push((name, def));
            }
        }
    }
    for (name, def) in defs {
        let _ = writeln!(out, "### `{name}`\n\n{}\n", text(def.get("description")));
        let kind = describe(&strip_title(def));
        let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" };
        match def.get("title").and_then(Value::as_str) {
            Some(title) => {
                let _ = writeln!(out, "{article} {kind}: {title}.\n");
            }
            None => {
                let _ = writeln!(out, "{article} {kind}.\n");
            }
        }
        if let Some(properties) = def.get("properties").and_then(Value::as_object) {
            let required = strings(def.get("required"));
            out.push_str("| key | type | required | meaning |\n| --- | --- | --- | --- |\n");
            // Required first, in the order the type declares them, then the optional ones.
            let mut keys: Vec<&String> = properties.keys().collect();
            keys.sort_by_key(|key| required.iter().position(|r| r == *key).unwrap_or(usize::MAX));
            for key in keys {
                let field = &properties[key.as_str()];
                let _ = writeln!(
                    out,
                    "| `{key}` | {} | {} | {} |",
                    describe(field),
                    if required.contains(key) { "yes" } else { "no" },
                    cell(text(field.get("description"))),
                );
            }
            out.push('\n');
        }
        if let Some(pattern) = def.get("pattern").and_then(Value::as_str) {
            let _ = writeln!(out, "Pattern:\n\n```text\n{pattern}\n```\n");
        }
        if let Some(branches) = def.get("anyOf").and_then(Value::as_array) {
            out.push_str("One of:\n\n");
            for branch in branches {
                let title = text(branch.get("title"));
                match branch.get("pattern").and_then(Value::as_str) {
                    Some(pattern) => {
                        let _ = writeln!(out, "- {title}, matching\n\n  ```text\n  {pattern}\n  ```\n");
                    }
                    None => {
                        let _ = writeln!(out, "- {title}");
                    }
                }
            }
        }
        if let Some(examples) = def.get("examples").and_then(Value::as_array) {
            let shown: Vec<String> = examples.iter().map(|e| format!("`{e}`")).collect();
            let _ = writeln!(out, "Examples: {}.\n", shown.join(", "));
        }
    }
}

fn strip_title(def: &Value) -> Value {
    let mut def = def.clone();
    if let Some(map) = def.as_object_mut() {
        map.remove("title");
    }
    def
}

fn roles(out: &mut String) {
    out.push_str(
        "## The roles\n\nA worker application runs one or more of these Pyroscope components, named as Pyroscope's \
         `-target` flag names them. On the wire, `role` joins them with `,` (no spaces): `\"all\"`, \
         `\"querier,query-frontend\"`.\n\n| role | meaning |\n| --- | --- |\n",
    );
    let schema = schema_of::<Role>();
    let variants = schema.get("oneOf").and_then(Value::as_array).cloned().unwrap_or_default();
    for role in Role::KNOWN {
        let name = role.as_str();
        let variant = variants.iter().find(|v| v.get("const") == Some(&json!(name)));
        let meaning = variant.map(|v| text(v.get("description"))).unwrap_or_default();
        let _ = writeln!(out, "| `{name}` | {} |", cell(meaning));
    }
    out.push('\n');
}

fn example(out: &mut String) {
    let decoded = example_state(Form::Decoded);
    let wire = example_state(Form::Wire);
    let yaml = pyroscope_cluster_model::yaml::to_string(&decoded).expect("a JSON value is YAML");
    let _ = write!(
        out,
        "## Example\n\nA relation state that validates (the tests check it): a coordinator, and a worker application \
         of two roles with one unit. As the interface's README writes it, every value decoded, in YAML:\n\n\
         ```yaml\n{yaml}```\n\nThe same on the wire, as `relation-get --format=json` prints the databags: every \
         value JSON text, exactly as the Python peer writes it (separators `, ` and `: `, non-ASCII escaped):\n\n\
         ```json\n{}\n```\n\n",
        serde_json::to_string_pretty(&wire).expect("a JSON value is JSON"),
    );
}

fn validation(out: &mut String) {
    let mut state = example_state(Form::Wire);
    state["requirer"]["app"]["role"] = json!(r#""querier, ingester""#);
    state["requirer"]["unit"]["address"] = json!(r#""http://pyroscope-worker-0:4040""#);
    state["requirer"]["unit"]["juju_topology"] = json!(r#"{"unit": "pyroscope-worker/0", "charm_name": null}"#);
    state["provider"]["app"]["worker_ports"] = json!("[0, 7946.0]");
    state["provider"]["app"]["loki_endpoints"] = json!(r#"{"loki-0": "http://a", "loki-0": "http://b"}"#);
    let issues = match validate_relation_state(&state, Form::Wire) {
        Err(invalid) => invalid.to_string(),
        Ok(()) => unreachable!("the example of an invalid state is invalid"),
    };
    let _ = write!(
        out,
        "## Validation\n\nA JSON Schema validator takes `contentSchema` as an annotation: it checks that each \
         value is a string and stops there. `pyroscope-cluster-schema` (and the CLI's `validate`) reads each databag \
         with the Rust decoder that this interface's coordinator and workers read it with, so it reports what they \
         would: a problem for each key, in the decoder's words, with its path (the first problem of each value). \
         For the example above with a few values broken (`role` = `\"querier, ingester\"`, `address` = \
         `\"http://pyroscope-worker-0:4040\"`, `juju_topology` = `{{\"unit\": \"pyroscope-worker/0\", \
         \"charm_name\": null}}`, `worker_ports` = `[0, 7946.0]`, `loki_endpoints` repeating `loki-0`):\n\n\
         ```text\n{issues}\n```\n\nThe decoder is stricter than a JSON Schema validator reading the schemas of this \
         page in two ways that a schema cannot say: an object may not repeat a key the schema names, and a number \
         where the schema wants an integer must be written as one. Keys the schema does not name are ignored. The \
         tests check, on generated databags, that the schemas, read by a JSON Schema validator with each content \
         schema, accept and reject what the decoder does, but for those two.\n\n"
    );
}

fn differences(out: &mut String) {
    let (python, cases) = cases();
    let _ = write!(
        out,
        "## Differences from the published schema\n\nThe interface's published schema \
         (`charm-relation-interfaces`, `interfaces/pyroscope_cluster/v0`) was written by hand and has drifted from \
         the wire, and its README's example is not valid. Where they disagree with the deployed Python peer, \
         the Python peer is what is on the wire. These are the decisions taken here; each is pinned by a test. \
         In the examples, \"published\" is the published schema read deeply, \"Python\" what `DatabagModel.load()` \
         of the deployed library does ({python}), and \"here\" this schema.\n\n"
    );
    let verdict = |ok: bool| if ok { "accepts" } else { "rejects" };
    for difference in DIFFERENCES {
        let _ = write!(
            out,
            "### {}\n\n- Published: {}\n- Python peer: {}\n- Here: {}\n- Why: {}\n",
            difference.topic, difference.published, difference.python, difference.here, difference.reason
        );
        match difference.source {
            Source::ReadmeExample => out.push_str("- Pinned by: the README example's test.\n"),
            Source::PublishedSchema => {
                out.push_str("- Examples:\n");
                // The values every plain, valid case has are left out: what is left is the point.
                let plain: Vec<(&String, &String)> = cases
                    .iter()
                    .filter(|case| case.difference.is_none() && case.published && case.python && case.ours)
                    .flat_map(|case| case.data.iter())
                    .collect();
                for case in cases.iter().filter(|case| case.difference.as_deref() == Some(difference.id)) {
                    let data: Vec<String> = case
                        .data
                        .iter()
                        .filter(|entry| !plain.contains(entry))
                        .map(|(key, value)| format!("`{key}` = `{}`", value.replace('\n', "\\n")))
                        .collect();
                    let _ = writeln!(
                        out,
                        "  - {} (`{}`: {}): published {}, Python {}, here {}.",
                        case.name,
                        case.databag.path(),
                        data.join(", "),
                        verdict(case.published),
                        verdict(case.python),
                        verdict(case.ours),
                    );
                }
            }
        }
        out.push('\n');
    }
}

/// A schema's `$ref` followed, and an object branch of an `anyOf` picked.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

/// A short description of a schema's type, for a table cell.
fn describe(schema: &Value) -> String {
    if let Some(name) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()) {
        return format!("[`{name}`](#{})", name.to_lowercase());
    }
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        let kinds: Vec<String> =
            branches.iter().filter(|b| b.get("type") != Some(&json!("null"))).map(describe).collect();
        if kinds.iter().any(|k| !k.is_empty()) {
            return kinds.join(" or ");
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).filter(|n| *n != "null").collect(),
        _ => vec![],
    };
    let kinds: Vec<String> = types
        .iter()
        .map(|name| match *name {
            "integer" => match (schema.get("minimum"), schema.get("maximum")) {
                (Some(min), Some(max)) => format!("integer, {min} to {max}"),
                _ => "integer".to_owned(),
            },
            "array" => match schema.get("items") {
                Some(items) => format!("array of {}", describe(items)),
                None => "array".to_owned(),
            },
            "object" => match schema.get("additionalProperties") {
                Some(values) if values.is_object() => format!("object of string to {}", describe(values)),
                _ => "object".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect();
    kinds.join(" or ")
}

fn text(value: Option<&Value>) -> &str {
    value.and_then(Value::as_str).unwrap_or_default()
}

/// Text fit for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

/// The Markdown section of `docs/interface.md` on Pyroscope releases: which are supported, what
/// each decodes and gets, and the differences from the Canonical coordinator.
fn releases_md() -> String {
    let mut out = String::new();
    out.push_str(
        "## Pyroscope releases

Pyroscope decodes its configuration file strictly (go-yaml v3 with `KnownFields(true)`,
grafana/pyroscope `pkg/cfg/files.go`): one key its release does not know, or one value its decoder
refuses, and every worker exits at start. So the coordinator renders `worker_config` for the
release its workers run (the setting `pyroscope`, default `1.18`), checks it against that
release's key table before publishing, and a worker checks what it receives against its own
release before it writes the file. The key tables are generated from
`reference/pyroscope/vX.Y.Z.json` (`crates/release/src/keys.rs`).

| release | keys | decoder | a YAML integer 0 for a Go duration | `architecture_storage` | why it is here |
| --- | --- | --- | --- | --- | --- |
",
    );
    for release in PyroscopeRelease::ALL {
        let why = match release.to_string().as_str() {
            "1.18.1" => "what the Canonical worker image runs (`ubuntu/pyroscope:1.18-26.04`)",
            "1.18.2" => "the last 1.18 patch, the same keys as 1.18.1; `1.18` and the default",
            "1.19.3" => "the last 1.19 patch",
            "1.20.4" => "the last 1.20 patch (`1.20`)",
            "1.21.1" => "the newest 1.x release (`1.21`); a 1.18 worker takes what is rendered for it",
            "2.0.6" => "the first 2.x line",
            _ => "the newest release; what the v2-architecture charms target",
        };
        let _ = writeln!(
            out,
            "| {release} | {} | {} | {} | {} | {why} |",
            release.keys().count(),
            release.yaml_decoder(),
            if release.takes_int_zero_for_go_duration() { "taken" } else { "refused" },
            if release.has_architecture_storage() { "`v1` (rendered)" } else { "no such key (not rendered)" },
        );
    }
    out.push_str(
        "
`MAJOR.MINOR` means the newest release of that line here (`1.18` is 1.18.2); a release with no key
table is an error that lists these.

What the coordinator renders, for every release: the keys the Canonical coordinator renders
(`api`, `compactor`, `distributor`, `ingester`, `limits.compactor_blocks_retention_period`,
`memberlist`, `pyroscopedb`, `server`, `storage`, `store_gateway`), plus `architecture_storage: v1`
from 2.0 on. Durations keep the operator's spelling wherever the key's decoder takes it: the
retention is a Prometheus duration (`30d`, `2y`, and `0` written as the integer `0`), the
`compactor.*` keys Go durations (`90m`, `12h`, `1h30m`).

### Differences from the Canonical coordinator

Everywhere else the `worker_config` is byte-identical to what the Canonical coordinator
(canonical/pyroscope-operators, `coordinator/src/pyroscope.py`) renders, PyYAML's quoting and line
folding included. Where its output is refused or misread by the workers' release, the coordinator
writes instead:

| input | Python writes | refused or misread by | why | written instead |
| --- | --- | --- | --- | --- |
",
    );
    for deviation in PYTHON_DEVIATIONS {
        let releases: Vec<String> = deviation.refused_by.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            deviation.input,
            deviation.python_writes,
            releases.join(", "),
            deviation.why,
            deviation.instead
        );
    }
    out.push_str(
        "
Inputs the coordinator reads differently from coordinated-workers, on purpose: an S3 endpoint
without a scheme is HTTPS unless `insecure` says otherwise (coordinated-workers would say plain
HTTP when the s3 relation gives no CA chain; with `http://` or `https://` the derivation is
its, `not (tls_ca_chain or scheme == \"https\")`); an S3 endpoint with a path, even a lone
trailing `/`, is an error rather than a value passed on.
",
    );
    out.push('\n');
    out
}
