//! The hook cache after a hook tool fails: a failed call may still have been applied by Juju (a
//! timeout after the agent took it), so what it would have changed is read or set again next
//! time, never assumed.

use pyroscope_cluster_juju::testing::{Caller, Fault, FaultAction, InMemory, Model, State};
use pyroscope_cluster_juju::{CachedRelation, HookCache, HookTools, RelationRef, StatusName, StatusTarget};

fn model() -> (State, u32) {
    let mut model = Model::new(State::default(), pyroscope_cluster_juju::testing::Charms::default());
    model.deploy("a", None, 1);
    model.deploy("b", None, 1);
    let id = model.relate("a", "x", "b", "y");
    model.state.apps.get_mut("a").unwrap().leader = Some("a/0".into());
    (model.state, id)
}

fn cached(id: u32) -> HookCache {
    let mut cache = HookCache { leader: Some(true), ..HookCache::default() };
    let known = CachedRelation {
        endpoint: "x".into(),
        own_app_data: Some(Default::default()),
        own_unit_data: Some(Default::default()),
        ..CachedRelation::default()
    };
    cache.relations.insert(id, known);
    cache.opened_ports = Some(Default::default());
    cache
}

#[test]
fn a_failed_write_is_not_assumed_either_way() {
    let (mut state, id) = model();
    let fail = FaultAction::Fail { code: 1, stderr: "ERROR timed out".into() };
    for tool in ["relation-set", "status-set", "open-port"] {
        state.faults.push(Fault::on(tool, fail.clone()));
    }
    let runner = InMemory::new(state, Caller { unit: "a/0".into(), relation: None });
    let mut tools = HookTools::with_cache(runner, "a/0", cached(id));
    assert!(tools.is_leader().unwrap());
    let relation = RelationRef::new("x", id);
    let data = [("k".to_owned(), "\"v\"".to_owned())].into();
    assert!(tools.set_app_databag(&relation, &data).is_err());
    assert!(tools.set_unit_databag(&relation, &data).is_err());
    assert!(tools.status_set(StatusTarget::Unit, StatusName::Active, "up").is_err());
    assert!(tools.open_port(4040).is_err());
    let cache = tools.take_cache().unwrap();
    let relation = &cache.relations[&id];
    assert_eq!((&relation.own_app_data, &relation.own_unit_data), (&None, &None), "read again next time");
    assert_eq!(cache.unit_status, None, "set again next time");
    assert_eq!(cache.opened_ports, None, "read again next time");
}

#[test]
fn a_successful_write_is_kept_and_leadership_unknown_is_not_trusted() {
    let (state, id) = model();
    let runner = InMemory::new(state, Caller { unit: "a/0".into(), relation: None });
    let mut tools = HookTools::with_cache(runner, "a/0", cached(id));
    let relation = RelationRef::new("x", id);
    tools.set_unit_databag(&relation, &[("k".to_owned(), "\"v\"".to_owned())].into()).unwrap();
    tools.status_set(StatusTarget::App, StatusName::Active, "up").unwrap();
    let cache = tools.take_cache().unwrap();
    assert_eq!(cache.relations[&id].own_unit_data.as_ref().unwrap()["k"], "\"v\"");
    // The hook never asked is-leader: the application's data and status are not trusted next time.
    assert_eq!((cache.leader, cache.app_status), (None, None));
}
