//! Whole relation states: the README's example (as published, and fixed), the interface's
//! acceptance tests, and a table of invalid states with the paths of their problems. (The example
//! of `docs/interface.md` is the xtask's, and tested there.)

use std::path::PathBuf;

use pyroscope_cluster_model::{DatabagModel, JujuTopology, ProviderAppData, RequirerAppData, RequirerUnitData, yaml};
use pyroscope_cluster_schema::{Form, validate_relation_state};
use serde_json::{Value, json};

/// What the model's decoder says of an unknown role, after the role.
const KNOWN: &str = " (known roles: all, querier, query-frontend, query-scheduler, ingester, distributor, \
                     compactor, store-gateway, tenant-settings, ad-hoc-profiles, query-backend, segment-writer, metastore, compaction-worker)";

/// The problems `validate_relation_state` finds, one line each, or nothing.
fn issues(state: &Value, form: Form) -> Vec<String> {
    match validate_relation_state(state, form) {
        Ok(()) => Vec::new(),
        Err(invalid) => {
            assert!(!invalid.issues.is_empty(), "an error has issues");
            invalid.issues.iter().map(ToString::to_string).collect()
        }
    }
}

#[track_caller]
fn check(state: &Value, form: Form, expect: &[&str]) {
    assert_eq!(issues(state, form), expect, "{form:?} state: {state:#}");
}

/// The YAML example of the interface's README, as published.
fn readme_example() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reference/pyroscope_cluster-v0-README.md");
    let readme = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    let start = readme.find("```yaml\n").expect("the README has a YAML example") + "```yaml\n".len();
    let end = start + readme[start..].find("```").expect("the YAML example ends");
    readme[start..end].to_owned()
}

fn drop_trailing_commas(text: &str) -> String {
    text.lines().map(|line| line.trim_end().strip_suffix(',').unwrap_or(line.trim_end())).collect::<Vec<_>>().join("\n")
}

#[test]
fn readme_example_as_published_is_not_yaml() {
    let example = readme_example();
    assert!(yaml::from_str::<Value>(&example).is_err(), "trailing commas make it invalid YAML");
}

/// Pins the differences `config-key` and `readme-example`.
#[test]
fn readme_example_with_commas_dropped_is_invalid_where_the_docs_say() {
    let example = drop_trailing_commas(&readme_example());
    let state: Value = yaml::from_str(&example).unwrap();
    // `config` is no key of this interface (ignored, like any unknown key), and there is no address.
    check(&state, Form::Decoded, &["provider.app.worker_config: is missing", "requirer.unit.address: is missing"]);
    // Under its wire name, the configuration is the YAML comment the README leaves there: null.
    let renamed: Value = yaml::from_str(&example.replace("    config:", "    worker_config:")).unwrap();
    check(
        &renamed,
        Form::Decoded,
        &[
            "provider.app.worker_config: is not valid: not of the type the key takes (the value is not shown) at line 1 column 4",
            "requirer.unit.address: is missing",
        ],
    );
}

#[test]
fn seed_example_fixed_validates() {
    let fixed: Value = yaml::from_str(include_str!("../../../examples/seed-relation-state.yaml")).unwrap();
    check(&fixed, Form::Decoded, &[]);
    // It is the README's example, and only the fixes its comment lists.
    let published: Value = yaml::from_str(&drop_trailing_commas(&readme_example())).unwrap();
    assert_eq!(fixed["requirer"]["app"], published["requirer"]["app"]);
    assert_eq!(fixed["requirer"]["unit"]["juju_topology"], published["requirer"]["unit"]["juju_topology"]);
    assert_eq!(fixed["provider"]["unit"], published["provider"]["unit"]);
    assert!(published["provider"]["app"]["config"].is_null());
}

/// The seed example (values decoded), or the same with every value JSON text as on the wire.
fn valid_state(form: Form) -> Value {
    let mut state: Value = yaml::from_str(include_str!("../../../examples/seed-relation-state.yaml")).unwrap();
    if form == Form::Wire {
        for side in ["provider", "requirer"] {
            for databag in state[side].as_object_mut().unwrap().values_mut() {
                for value in databag.as_object_mut().unwrap().values_mut() {
                    *value = Value::String(value.to_string());
                }
            }
        }
    }
    state
}

#[test]
fn valid_states_validate_in_their_form_only() {
    check(&valid_state(Form::Wire), Form::Wire, &[]);
    check(&valid_state(Form::Decoded), Form::Decoded, &[]);
    // A form mixed up is reported, not guessed.
    assert!(!issues(&valid_state(Form::Decoded), Form::Wire).is_empty());
    assert!(!issues(&valid_state(Form::Wire), Form::Decoded).is_empty());
}

fn topology() -> JujuTopology {
    JujuTopology {
        application: "pyroscope-worker".into(),
        unit: "pyroscope-worker/0".into(),
        charm_name: "pyroscope-worker-k8s".into(),
        model: None,
        model_uuid: None,
    }
}

fn valid_unit() -> Value {
    let unit = RequirerUnitData {
        address: "pyroscope-worker-0.pyroscope-worker-endpoints".parse().unwrap(),
        juju_topology: topology(),
    };
    json!(unit.encode())
}

/// The interface's acceptance tests (charm-relation-interfaces, pyroscope_cluster v0), on the
/// databags they involve, in wire form.
#[test]
fn acceptance_tests() {
    let provider_app = json!(ProviderAppData::new("server:\n  http_listen_port: 4040\n").encode());
    let state = |role: Value, provider: Value| json!({"provider": {"app": provider, "unit": {}}, "requirer": {"app": role, "unit": valid_unit()}});
    // 1. The worker app databag is empty: not ready, so the provider writes nothing.
    check(&state(json!({}), provider_app.clone()), Form::Wire, &["requirer.app.role: is missing"]);
    // 2. Role "all", one valid unit: the provider app databag is written, and valid.
    let all = json!(RequirerAppData { role: "all".parse().unwrap() }.encode());
    check(&state(all.clone(), provider_app), Form::Wire, &[]);
    // 3. Role "imposter": not ready.
    check(
        &state(json!({"role": "\"imposter\""}), json!({"worker_config": "\"\""})),
        Form::Wire,
        &[&format!(r#"requirer.app.role: "\"imposter\"": is not a valid role list: unknown role "imposter"{KNOWN}"#)],
    );
    // 4. The coordinator's app databag is {"worker_config": "\"foo: bar\""}: the requirer's app
    //    and unit databags, as the requirer writes them, are valid.
    check(&state(all, json!({"worker_config": "\"foo: bar\""})), Form::Wire, &[]);
}

/// A valid wire state, changed by `change`.
fn wire(change: impl FnOnce(&mut Value)) -> Value {
    let mut state = valid_state(Form::Wire);
    change(&mut state);
    state
}

/// A valid decoded state, changed by `change`.
fn decoded(change: impl FnOnce(&mut Value)) -> Value {
    let mut state = valid_state(Form::Decoded);
    change(&mut state);
    state
}

#[test]
fn invalid_wire_states() {
    check(
        &json!([]),
        Form::Wire,
        &["(relation state): expected an object with `provider` and `requirer`, got an array"],
    );
    check(&json!({}), Form::Wire, &["provider: is missing", "requirer: is missing"]);
    check(
        &wire(|s| s["providr"] = json!({})),
        Form::Wire,
        &["providr: is not part of a relation state (`provider`, `requirer`)"],
    );
    check(
        &wire(|s| s["requirer"] = json!("x")),
        Form::Wire,
        &[r#"requirer: expected an object with `app` and `unit`, got "x""#],
    );
    check(
        &wire(|s| {
            s["requirer"].as_object_mut().unwrap().remove("unit");
            s["requirer"]["units"] = json!({});
        }),
        Form::Wire,
        &["requirer.unit: is missing", "requirer.units: is not a databag (`app`, `unit`)"],
    );
    // The provider's unit databag may be left out, and holds Juju's keys only.
    check(&wire(|s| _ = s["provider"].as_object_mut().unwrap().remove("unit")), Form::Wire, &[]);
    check(&wire(|s| s["provider"]["unit"] = json!({"ingress-address": "10.1.2.3"})), Form::Wire, &[]);
    check(
        &wire(|s| s["requirer"]["app"] = json!("querier")),
        Form::Wire,
        &[r#"requirer.app: expected an object (a databag), got "querier""#],
    );
    check(
        &wire(|s| s["requirer"]["app"]["role"] = json!(5)),
        Form::Wire,
        &["requirer.app.role: expected a string of JSON text (wire form), got 5"],
    );
    check(
        &wire(|s| s["requirer"]["app"]["role"] = json!("querier")),
        Form::Wire,
        &[
            r#"requirer.app.role: "querier": is not valid: expected value at line 1 column 1; values are JSON text: did you mean '"querier"'?"#,
        ],
    );
    check(
        &wire(|s| s["requirer"]["app"]["role"] = json!("\"querier,\"")),
        Form::Wire,
        &[
            r#"requirer.app.role: "\"querier,\"": is not a valid role list: empty role name at position 2 of "querier,""#,
        ],
    );
    check(
        &wire(|s| s["requirer"]["unit"]["juju_topology"] = json!(r#"{"unit": "w/0", "charm_name": "c"}"#)),
        Form::Wire,
        &[
            r#"requirer.unit.juju_topology: "{\"unit\": \"w/0\", \"charm_name\": \"c\"}": is not valid: missing field `application` at line 1 column 34"#,
        ],
    );
    check(
        &wire(|s| {
            s["requirer"]["unit"]["juju_topology"] =
                json!(r#"{"application": 5, "unit": "w/0", "charm_name": "c", "model": 1}"#)
        }),
        Form::Wire,
        // The decoder stops at the first problem in a value.
        &[
            r#"requirer.unit.juju_topology.application: "{\"application\": 5, \"unit\": \"w/0\", \"charm_name\": \"c\", \"model\": 1}": is not valid: invalid type: integer `5`, expected a string at line 1 column 17"#,
        ],
    );
    check(
        &wire(|s| s["requirer"]["unit"]["juju_topology"] = json!(r#"["w", "w/0", "c"]"#)),
        Form::Wire,
        &[
            r#"requirer.unit.juju_topology: "[\"w\", \"w/0\", \"c\"]": is not valid: invalid type: sequence, expected a Juju topology object at line 1 column 0"#,
        ],
    );
    check(
        &wire(|s| s["requirer"]["unit"]["address"] = json!(r#""10.1.2.3:7946""#)),
        Form::Wire,
        &[
            r#"requirer.unit.address: "\"10.1.2.3:7946\"": is not a valid address: address has brackets or a port; give the bare host name or IP (the port is added by the coordinator)"#,
        ],
    );
    check(
        &wire(|s| s["provider"]["app"]["worker_ports"] = json!("[0, 4040, 70000, 7946.0]")),
        Form::Wire,
        &[
            r#"provider.app.worker_ports[0]: "[0, 4040, 70000, 7946.0]": is not valid: invalid value: integer `0`, expected a nonzero u16 at line 1 column 2"#,
        ],
    );
    check(
        &wire(|s| {
            s["provider"]["app"]["loki_endpoints"] = json!(r#"{"a": 1, "b.c": null, "a": "x", "d": "y", "d": "z"}"#)
        }),
        Form::Wire,
        &[
            r#"provider.app.loki_endpoints.a: "{\"a\": 1, \"b.c\": null, \"a\": \"x\", \"d\": \"y\", \"d\": \"z\"}": is not valid: invalid type: integer `1`, expected a string at line 1 column 7"#,
        ],
    );
    check(
        &wire(|s| s["provider"]["app"]["remote_write_endpoints"] = json!(r#"[{"url": "http://a"}, {}, {"url": 1}]"#)),
        Form::Wire,
        &[
            r#"provider.app.remote_write_endpoints[1]: "[{\"url\": \"http://a\"}, {}, {\"url\": 1}]": is not valid: missing field `url` at line 1 column 24"#,
        ],
    );
    check(
        &wire(|s| s["provider"]["app"]["s3_tls_ca_chain"] = json!("-----BEGIN CERTIFICATE-----")),
        Form::Wire,
        &[
            r#"provider.app.s3_tls_ca_chain: "-----BEGIN CERTIFICATE-----": is not valid: invalid number at line 1 column 2; values are JSON text: did you mean '"-----BEGIN CERTIFICATE-----"'?"#,
        ],
    );
    // Optional fields may be `null`, unknown keys hold anything.
    check(
        &wire(|s| {
            s["provider"]["app"]["loki_endpoints"] = json!("null");
            s["provider"]["app"]["future_field"] = json!("not even JSON");
        }),
        Form::Wire,
        &[],
    );
    // Every problem, in every databag, sorted by path.
    check(
        &wire(|s| {
            s["requirer"]["app"] = json!({});
            s["requirer"]["unit"]["juju_topology"] = json!("{}");
            s["provider"]["app"].as_object_mut().unwrap().remove("worker_config");
        }),
        Form::Wire,
        &[
            "provider.app.worker_config: is missing",
            "requirer.app.role: is missing",
            r#"requirer.unit.juju_topology: "{}": is not valid: missing field `application` at line 1 column 2"#,
        ],
    );
}

#[test]
fn invalid_decoded_states() {
    check(
        &decoded(|s| s["requirer"]["app"]["role"] = json!("querier, ingester")),
        Form::Decoded,
        &[&format!(
            r#"requirer.app.role: "\"querier, ingester\"": is not a valid role list: unknown role " ingester"{KNOWN}"#
        )],
    );
    check(
        &decoded(|s| s["requirer"]["app"]["role"] = json!(["querier"])),
        Form::Decoded,
        &[
            r#"requirer.app.role: "[\"querier\"]": is not valid: invalid type: sequence, expected a string at line 1 column 0"#,
        ],
    );
    check(
        &decoded(|s| s["requirer"]["unit"]["juju_topology"]["unit"] = json!(null)),
        Form::Decoded,
        &[
            r#"requirer.unit.juju_topology.unit: "{\"application\":\"pyroscope-querier\",\"charm_name\":\"pyroscope-worker-k8s\",\"model\":\""... (133 bytes in all): is not valid: invalid type: null, expected a string at line 1 column 132"#,
        ],
    );
    check(
        &decoded(|s| s["provider"]["app"]["worker_ports"] = json!([4040.0, -1])),
        Form::Decoded,
        &[
            r#"provider.app.worker_ports[0]: "[4040.0,-1]": is not valid: invalid type: floating point `4040.0`, expected a nonzero u16 at line 1 column 7"#,
        ],
    );
    // A value that is a string in decoded form is not JSON text to decode again.
    check(&decoded(|s| s["provider"]["app"]["ca_cert"] = json!("-----BEGIN CERTIFICATE-----")), Form::Decoded, &[]);
    check(
        &decoded(|s| s["provider"]["app"]["ca_cert"] = json!({"pem": "x"})),
        Form::Decoded,
        &[
            r#"provider.app.ca_cert: "{\"pem\":\"x\"}": is not valid: invalid type: map, expected a string at line 1 column 0"#,
        ],
    );
}

/// `worker_config` holds S3 credentials: no issue repeats any of it.
#[test]
fn issues_do_not_show_the_configuration() {
    let secret = "secret_access_key: hunter2";
    for (state, form) in [
        (wire(|s| s["provider"]["app"]["worker_config"] = json!(secret)), Form::Wire),
        (wire(|s| s["provider"]["app"]["worker_config"] = json!(format!("{{\"{secret}\": 1}}"))), Form::Wire),
        (wire(|s| s["provider"]["app"]["worker_config"] = json!({"s3": secret})), Form::Wire),
        (decoded(|s| s["provider"]["app"]["worker_config"] = json!([secret])), Form::Decoded),
        (decoded(|s| s["provider"]["app"]["worker_config"] = json!(7)), Form::Decoded),
    ] {
        let found = issues(&state, form);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("provider.app.worker_config: "), "{found:?}");
        assert!(!found[0].contains("hunter2") && !found[0].contains('7'), "{found:?}");
    }
}
