//! Properties of the worker side over generated values: coordinator data decodes to what was
//! encoded, the change decision looks at the configuration and not at its YAML, the command line
//! does not depend on the order of the roles, and a publish plan once applied leaves nothing to do.

use std::collections::BTreeSet;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use pyroscope_cluster_model::strategies;
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, Role, Roles};
use pyroscope_cluster_requirer::{
    Announcement, Command, ConfigChange, CoordinatorState, InvalidData, Leadership, PortsToOpen, Seen, WorkerConfig,
};
use serde_json::{Map, Value};

fn config() -> ProptestConfig {
    ProptestConfig { cases: 96, ..ProptestConfig::default() }
}

/// A scalar of a configuration. Strings mix characters that YAML treats specially with non-ASCII.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9 _:./,'\"#!&*@%éü日😀-]{0,12}".prop_map(Value::String),
    ]
}

/// A key: never a YAML keyword, never `memberlist`, never upper case (reserved for the tests' own keys).
fn key() -> impl Strategy<Value = String> {
    "k[a-z0-9_]{0,6}"
}

/// A nested value: scalars, lists and maps, up to three levels deep.
fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(key(), inner, 0..4).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Gossip members, as the coordinator lists them.
fn members() -> impl Strategy<Value = Vec<Value>> {
    vec("[a-z][a-z0-9-]{0,8}\\.endpoints:7946".prop_map(Value::String), 1..4)
}

/// A configuration: random sections, plus `memberlist` with at least one member to join.
fn worker_config() -> impl Strategy<Value = Map<String, Value>> {
    (btree_map(key(), tree(), 0..5), members()).prop_map(|(sections, members)| {
        let mut config: Map<String, Value> = sections.into_iter().collect();
        let memberlist = serde_json::json!({ "bind_port": 7946, "join_members": members });
        config.insert("memberlist".into(), memberlist);
        config
    })
}

/// Block-style YAML, keys sorted, as the model's YAML writer gives it.
fn block_yaml(config: &Map<String, Value>) -> String {
    pyroscope_cluster_model::yaml::to_string(config).unwrap()
}

/// Flow-style YAML with a comment, keys in an order drawn from `seed`, and each string in a
/// quoting style drawn from `seed`: double-quoted, single-quoted or (when YAML allows) plain.
fn flow_yaml(config: &Map<String, Value>, seed: u64) -> String {
    let mut rng = seed | 1;
    let mut out = String::from("# the same configuration, in another style\n");
    write_flow(&Value::Object(config.clone()), &mut rng, &mut out);
    out.push('\n');
    out
}

fn next(rng: &mut u64) -> u64 {
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    *rng
}

fn write_flow(value: &Value, rng: &mut u64, out: &mut String) {
    match value {
        Value::Null => out.push_str(if next(rng) % 2 == 0 { "null" } else { "~" }),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => {
            let plain = s.len() >= 4
                && s.bytes().all(|b| b.is_ascii_lowercase())
                && !["null", "true", "false"].contains(&s.as_str());
            match next(rng) % 3 {
                0 if plain => out.push_str(s),
                1 => {
                    out.push('\'');
                    out.push_str(&s.replace('\'', "''"));
                    out.push('\'');
                }
                _ => out.push_str(&serde_json::to_string(s).unwrap()),
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(item, rng, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            for i in (1..entries.len()).rev() {
                entries.swap(i, (next(rng) % (i as u64 + 1)) as usize);
            }
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                write_flow(value, rng, out);
            }
            out.push('}');
        }
    }
}

fn parse(text: &str) -> WorkerConfig {
    text.parse().unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

/// Any coordinator databag whose `worker_config` is a valid configuration.
fn valid_provider_app_data() -> impl Strategy<Value = (ProviderAppData, Map<String, Value>)> {
    (strategies::provider_app_data(), worker_config())
        .prop_map(|(data, config)| (ProviderAppData { worker_config: block_yaml(&config), ..data }, config))
}

/// Keys a databag may hold besides the provider's: Juju's, and a newer coordinator's.
fn foreign_keys() -> impl Strategy<Value = RawDatabag> {
    btree_map(prop_oneof![Just("ingress-address".to_owned()), "x-[a-z]{1,8}"], strategies::text(10), 0..3)
}

fn seen() -> impl Strategy<Value = Seen> {
    prop_oneof![Just(Seen::Nothing), Just(Seen::ValidData)]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_valid_provider_databag_decodes_to_what_was_encoded(
        (data, tree) in valid_provider_app_data(),
        foreign in foreign_keys(),
        seen in seen(),
    ) {
        let mut databag = data.encode();
        for (key, value) in foreign {
            databag.entry(key).or_insert(value);
        }
        let state = CoordinatorState::read(&databag, seen);
        let Some(cluster) = state.data() else { panic!("{state:?}") };
        prop_assert_eq!(cluster.provider_data(), &data);
        prop_assert_eq!(cluster.config().tree(), &tree);
        prop_assert_eq!(cluster.config().text(), data.worker_config.as_str());
        let tls_complete = [&data.ca_cert, &data.server_cert, &data.privkey_secret_id]
            .iter()
            .all(|field| field.as_deref().is_some_and(|text| !text.is_empty()));
        prop_assert_eq!(cluster.tls().is_some(), tls_complete);
        if let Some(tls) = cluster.tls() {
            prop_assert_eq!(Some(tls.ca_cert), data.ca_cert.as_deref());
            prop_assert_eq!(Some(tls.server_cert), data.server_cert.as_deref());
            prop_assert_eq!(Some(tls.privkey_secret_id), data.privkey_secret_id.as_deref());
        }
        match (cluster.worker_ports(), &data.worker_ports) {
            (PortsToOpen::NotGiven, None) => {}
            (PortsToOpen::Exactly(got), Some(sent)) => prop_assert_eq!(got, sent.as_slice()),
            (got, sent) => prop_assert!(false, "worker ports {:?} read as {:?}", sent, got),
        }
        prop_assert_eq!(cluster.loki_endpoints(), data.loki_endpoints.as_ref());
        prop_assert_eq!(cluster.charm_tracing_receivers(), data.charm_tracing_receivers.as_ref());
        prop_assert_eq!(cluster.workload_tracing_receivers(), data.workload_tracing_receivers.as_ref());
        prop_assert_eq!(cluster.remote_write_endpoints(), data.remote_write_endpoints.as_deref().unwrap_or_default());
        prop_assert_eq!(cluster.worker_labels(), data.worker_labels.as_ref());
        prop_assert_eq!(cluster.s3_tls_ca_chain(), data.s3_tls_ca_chain.as_deref());
    }

    #[test]
    fn a_published_databag_is_never_taken_for_an_empty_one(data in strategies::provider_app_data(), seen in seen()) {
        // Whatever the `worker_config` text, the databag is there: ready, or invalid because of
        // the configuration, never "not published", "removed", or a databag decoding error.
        match CoordinatorState::read(&data.encode(), seen) {
            CoordinatorState::Ready(cluster) => prop_assert_eq!(cluster.provider_data(), &data),
            CoordinatorState::Invalid(InvalidData::WorkerConfig(_)) => {
                prop_assert!(data.worker_config.parse::<WorkerConfig>().is_err());
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn the_decision_does_not_depend_on_key_order_or_yaml_style(tree in worker_config(), seed in any::<u64>()) {
        let (block, flow) = (block_yaml(&tree), flow_yaml(&tree, seed));
        prop_assert_eq!(parse(&flow).tree().clone(), tree.clone(), "{}", flow);
        prop_assert_eq!(parse(&block).tree().clone(), tree.clone(), "{}", block);
        prop_assert!(matches!(ConfigChange::decide(Some(&block), &parse(&flow)), ConfigChange::Unchanged));
        prop_assert!(matches!(ConfigChange::decide(Some(&flow), &parse(&block)), ConfigChange::Unchanged));
        let reshuffled = flow_yaml(&tree, seed.wrapping_mul(31).wrapping_add(7));
        prop_assert!(matches!(ConfigChange::decide(Some(&flow), &parse(&reshuffled)), ConfigChange::Unchanged));
    }

    #[test]
    fn a_new_member_list_is_a_rewrite_without_restart(tree in worker_config(), members in vec("[a-z]{1,8}:7946", 0..4), seed in any::<u64>()) {
        let mut wanted = tree.clone();
        wanted["memberlist"]["join_members"] = Value::from(members);
        let decision = ConfigChange::decide(Some(&block_yaml(&tree)), &parse(&flow_yaml(&wanted, seed)));
        if wanted == tree {
            prop_assert!(matches!(decision, ConfigChange::Unchanged), "{}", decision);
        } else {
            prop_assert!(decision.needs_write() && !decision.needs_restart(), "{}", decision);
        }
    }

    #[test]
    fn any_other_change_is_a_restart(tree in worker_config(), new_value in tree(), seed in any::<u64>()) {
        // A new section.
        let mut wanted = tree.clone();
        wanted.insert("K_NEW".into(), new_value.clone());
        let decision = ConfigChange::decide(Some(&block_yaml(&tree)), &parse(&flow_yaml(&wanted, seed)));
        prop_assert!(decision.needs_restart(), "{}", decision);
        // Another value for an existing section, or a section gone.
        let first = tree.keys().next().cloned().unwrap();
        let mut wanted = tree.clone();
        if first != "memberlist" && tree[&first] != new_value {
            wanted[&first] = new_value;
        } else {
            wanted.remove(&first);
        }
        let decision = ConfigChange::decide(Some(&block_yaml(&tree)), &parse(&flow_yaml(&wanted, seed)));
        prop_assert!(decision.needs_restart(), "{}", decision);
    }

    #[test]
    fn target_does_not_depend_on_role_order(
        (roles, shuffled) in strategies::roles().prop_flat_map(|roles| {
            let given = roles.as_slice().to_vec();
            (Just(roles), Just(given).prop_shuffle())
        }),
    ) {
        let reordered = Roles::new(shuffled).unwrap();
        let command = Command::new("/etc/worker/config.yaml", &roles);
        prop_assert_eq!(&command, &Command::new("/etc/worker/config.yaml", &reordered));
        // What Python's `",".join(sorted(set(roles)))` gives.
        let mut names: Vec<&str> = roles.as_slice().iter().map(|role| role.as_str()).collect::<BTreeSet<_>>().into_iter().collect();
        names.sort_unstable();
        prop_assert_eq!(&command.args()[1], &format!("-target={}", names.join(",")));
        prop_assert!(command.args()[1].split('=').nth(1).unwrap().split(',').all(|name| name.parse::<Role>().is_ok()));
    }

    #[test]
    fn a_plan_once_applied_leaves_nothing_to_do(
        roles in proptest::option::of(strategies::roles()),
        unit_data in strategies::requirer_unit_data(),
        mut unit in foreign_keys(),
        mut app in foreign_keys(),
    ) {
        let me = Announcement { roles, address: unit_data.address, juju_topology: unit_data.juju_topology };
        let plan = me.plan(&unit, Leadership::Leader { app_databag: &app });
        plan.unit.apply(&mut unit);
        plan.app.unwrap().apply(&mut app);
        let again = me.plan(&unit, Leadership::Leader { app_databag: &app });
        prop_assert!(again.unit.is_empty());
        prop_assert!(again.app.unwrap().is_empty());
        prop_assert_eq!(&app, &me.app_data().map(|data| data.encode()).unwrap_or_default());
    }
}
