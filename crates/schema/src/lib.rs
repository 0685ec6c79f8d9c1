//! JSON Schema of the Juju relation interface `pyroscope_cluster`, generated from the model's
//! types, and deep validation of databags and relation states against it.
//!
//! - [`schema`]: the JSON Schema (draft 2020-12) of one side, in the layout the interface
//!   ecosystem publishes: `ProviderSchema` (`app`, and an empty `unit`) and `RequirerSchema` (`app`,
//!   `unit`), every databag field a string with `contentMediaType: application/json` and a
//!   `contentSchema` for its decoded value. The Rust types of `pyroscope-cluster-model` are the
//!   source: their doc comments are the descriptions (the first paragraph of each).
//! - [`validate_databag`], [`validate_decoded_databag`], [`validate_relation_state`]: validation
//!   that decodes each value and checks it against its content schema (which a JSON Schema
//!   validator takes as a mere annotation), reporting every problem with its path. A
//!   [`Validator`] does the same for any pair of schemas in that layout, such as the published
//!   ones. The tests check that it accepts and rejects what the model's decoder does.
//!
//! The crate does no IO. The files generated from it (`docs/schema/v0/*.json`,
//! `docs/interface.md`) are rendered and written by the xtask (`cargo xtask schema`).
//!
//! ```
//! use pyroscope_cluster_schema::{Databag, Form, validate_databag, validate_relation_state};
//! use serde_json::json;
//!
//! // A databag as Juju holds it: every value JSON text.
//! let unit = [
//!     ("address".to_owned(), r#""pyroscope-worker-0.pyroscope-worker-endpoints""#.to_owned()),
//!     ("juju_topology".to_owned(), r#"{"unit": "pyroscope-worker/0", "charm_name": "pyroscope-worker-k8s"}"#.to_owned()),
//!     ("ingress-address".to_owned(), "10.1.2.3".to_owned()),
//! ];
//! let err = validate_databag(Databag::RequirerUnit, &unit.into()).unwrap_err();
//! assert_eq!(err.to_string(), "requirer.unit.juju_topology.application: missing");
//!
//! // A whole relation state, every value decoded, as the interface's README writes it.
//! let state = json!({
//!     "provider": {"app": {"worker_config": "server:\n  http_listen_port: 4040\n"}, "unit": {}},
//!     "requirer": {
//!         "app": {"role": "querier,ingester"},
//!         "unit": {
//!             "address": "fd00::1",
//!             "juju_topology": {"application": "w", "unit": "w/0", "charm_name": "pyroscope-worker-k8s"},
//!         },
//!     },
//! });
//! assert_eq!(validate_relation_state(&state, Form::Decoded), Ok(()));
//! ```

mod applicable;
mod generate;
mod json;
mod validate;

pub use generate::{GENERATED_MARKER, Side, provider_schema, requirer_schema, schema, schema_of};
pub use validate::{
    Databag, Form, Invalid, Issue, Reading, SchemaError, Validator, validate_databag, validate_decoded_databag,
    validate_relation_state,
};
