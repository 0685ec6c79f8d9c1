//! A coordinator and its worker apps in the in-memory Juju of `pyroscope-cluster-juju`
//! (feature `testing`), for the tests of a coordinator charm.

use pyroscope_cluster_juju::testing::{Charms, Model, State};
use pyroscope_cluster_model::{DatabagModel, JujuTopology, RequirerUnitData};

/// A model of a coordinator `pyroscope` (one unit, the leader) related on `pyroscope-cluster` to
/// each worker app of `workers` (name, units), every worker unit having published its address
/// and topology and every worker leader its roles (`all`); the coordinator has published
/// nothing yet. Relation IDs are 1, 2, ... in the order given; addresses `10.<app>.x.y`.
pub fn worker_cluster(workers: &[(&str, u32)]) -> State {
    let mut model = Model::new(State::default(), Charms::default());
    model.deploy("pyroscope", Some("pyroscope-coordinator"), 1);
    for (app, units) in workers {
        model.deploy(app, Some("pyroscope-worker"), *units);
        let id = model.relate("pyroscope", "pyroscope-cluster", app, "pyroscope-cluster");
        let names: Vec<String> = model.state.apps[*app].units.keys().cloned().collect();
        let relation = model.state.relations.get_mut(&id).expect("just related");
        relation.views.insert("pyroscope/0".into(), names.iter().cloned().collect());
        relation.views.extend(names.iter().map(|unit| (unit.clone(), ["pyroscope/0".to_owned()].into())));
        relation.app_data.insert((*app).to_owned(), [("role".to_owned(), r#""all""#.to_owned())].into());
        for unit in &names {
            let address = model.state.unit(unit).expect("deployed").address.clone();
            let data = RequirerUnitData {
                address: address.parse().expect("an IPv4 address"),
                juju_topology: JujuTopology {
                    application: (*app).to_owned(),
                    unit: unit.clone(),
                    charm_name: "pyroscope-worker".into(),
                    model: None,
                    model_uuid: None,
                },
            };
            let relation = model.state.relations.get_mut(&id).expect("just related");
            let databag = relation.unit_data.entry(unit.clone()).or_default();
            databag.extend(data.encode());
        }
    }
    model.state
}
