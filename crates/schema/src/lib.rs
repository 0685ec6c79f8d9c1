//! JSON Schema of the Juju relation interface `pyroscope_cluster`, generated from the model's
//! types, and deep validation of databags and relation states against it.
//!
//! - [`schema`]: the JSON Schema (draft 2020-12) of one side, in the layout the interface
//!   ecosystem publishes: `ProviderSchema` (`app`, and an empty `unit`) and `RequirerSchema` (`app`,
//!   `unit`), every databag field a string with `contentMediaType: application/json` and a
//!   `contentSchema` for its decoded value. The Rust types of `pyroscope-cluster-model` are the
//!   source: their doc comments are the descriptions (the first paragraph of each).
//! - [`validate_databag`], [`validate_decoded_databag`], [`validate_relation_state`]: validation
//!   of databags and relation states by the model's decoder (the one decoder of the workspace),
//!   every problem reported in the decoder's words at its path: what a coordinator says of a
//!   databag, `validate` says too.
//! - [`Validator::new`]: validation against any pair of schemas in that layout, such as the
//!   published ones: each value decoded and checked against its content schema (which a plain
//!   JSON Schema validator takes as a mere annotation). The tests check that this interface's
//!   schema, read so, accepts what the model's decoder accepts.
//!
//! The crate does no IO. The files generated from it (`docs/schema/v0/*.json`,
//! `docs/interface.md`) are rendered and written by the xtask (`cargo xtask schema`).
//!
//! ```
//! use pyroscope_cluster_schema::{RelationDatabag, Form, validate_databag, validate_relation_state};
//! use serde_json::json;
//!
//! // A databag as Juju holds it: every value JSON text.
//! let unit = [
//!     ("address".to_owned(), r#""pyroscope-worker-0.pyroscope-worker-endpoints""#.to_owned()),
//!     ("juju_topology".to_owned(), r#"{"application": 7, "unit": "w/0", "charm_name": "c"}"#.to_owned()),
//!     ("ingress-address".to_owned(), "10.1.2.3".to_owned()),
//! ];
//! let err = validate_databag(RelationDatabag::RequirerUnit, &unit.into()).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     r#"requirer.unit.juju_topology.application: "{\"application\": 7, \"unit\": \"w/0\", \"charm_name\": \"c\"}": is not valid: invalid type: integer `7`, expected a string at line 1 column 17"#
//! );
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

mod generate;
mod schemas;
mod state;
mod validate;

pub use generate::{GENERATED_MARKER, Side, provider_schema, requirer_schema, schema, schema_of};
pub use schemas::SchemaError;
pub use state::{Form, Invalid, Issue, RelationDatabag};
pub use validate::{Validator, validate_databag, validate_decoded_databag, validate_relation_state};
