//! The Juju topology a worker unit publishes about itself.

use serde::{Deserialize, Deserializer, Serialize};

/// Where a worker unit sits in Juju: what `cosl.JujuTopology` calls a topology.
///
/// The Python worker writes `application`, `unit` and `charm_name`, in that order; readers must also
/// accept `model` and `model_uuid` (the interface's example has them), which this type writes after
/// the three when it knows them, and which Python readers ignore. Other keys are ignored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct JujuTopology {
    /// The worker application's name, e.g. `pyroscope-querier`.
    pub application: String,
    /// The worker unit's name, e.g. `pyroscope-querier/2`.
    pub unit: String,
    /// The name of the charm the unit runs, e.g. `pyroscope-worker-k8s`.
    pub charm_name: String,
    /// The Juju model's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The Juju model's UUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_uuid: Option<String>,
}

/// The topology's fields, as serde's derive reads them.
#[derive(Deserialize)]
struct Fields {
    application: String,
    unit: String,
    charm_name: String,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    model_uuid: Option<String>,
}

impl<'de> Deserialize<'de> for JujuTopology {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Fields { application, unit, charm_name, model, model_uuid } =
            crate::de::object_only(deserializer, "a Juju topology object")?;
        Ok(Self { application, unit, charm_name, model, model_uuid })
    }
}
