//! The in-memory Juju's order of hooks at a relation's end: a change written while the relation
//! is being removed reaches no unit after its `relation-broken`, as in Juju.

use pyroscope_cluster_juju::testing::{Charms, Model, State};

#[test]
fn no_hook_of_a_relation_after_its_relation_broken() {
    let mut charms = Charms::default();
    charms.insert("noop", |_, _| Ok(()));
    let mut model = Model::new(State::default(), charms);
    model.deploy("a", Some("noop"), 1);
    model.deploy("b", Some("noop"), 2);
    let id = model.relate("a", "x", "b", "y");
    model.settle().unwrap();
    model.remove_relation(id);
    // `a` writes while the removal is queued (as a coordinator may in relation-departed).
    model.set_app_data(id, "a", [("k".to_owned(), "\"v\"".to_owned())].into());
    let start = model.history.len();
    model.settle().unwrap();
    let hooks: Vec<String> = model.history[start..].iter().map(|record| record.spec.to_string()).collect();
    for unit in ["b/0", "b/1"] {
        let broken = hooks.iter().position(|hook| hook.starts_with(&format!("{unit} y-relation-broken")));
        let broken = broken.unwrap_or_else(|| panic!("{unit} saw no relation-broken: {hooks:?}"));
        let later: Vec<&String> = hooks[broken + 1..].iter().filter(|hook| hook.starts_with(unit)).collect();
        assert!(later.is_empty(), "{unit} ran {later:?} after its relation-broken");
    }
    assert!(!model.state.relations.contains_key(&id));
}
