//! S3 from the coordinator's `s3` relation, as s3-integrator publishes it and the Canonical
//! coordinator takes it.

use pyroscope_cluster_juju::{HookTools, Runner, ToolError};
pub use pyroscope_cluster_provider::S3_ENDPOINT;
use pyroscope_cluster_provider::{S3DatabagError, S3Settings, s3_settings};

/// Why there is no S3 connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3Error {
    /// No `s3` relation.
    #[error(
        "no S3 relation: relate the coordinator to an S3 provider, e.g. `juju integrate <coordinator>:s3 s3-integrator`"
    )]
    NotRelated,
    /// More than one `s3` relation (the endpoint has `limit: 1`).
    #[error("{count} S3 relations; the coordinator uses one: remove the others")]
    TooMany {
        /// How many.
        count: usize,
    },
    /// The S3 provider's databag gives no connection (yet).
    #[error(transparent)]
    Databag(#[from] S3DatabagError),
    /// A hook tool failed.
    #[error("reading the S3 relation failed")]
    Tool(#[source] ToolError),
}

/// Reads the S3 settings from the relation on `endpoint` (three calls: `relation-ids`, the
/// remote app, its databag), read by the provider's [`s3_settings`].
pub fn read_s3<R: Runner>(tools: &mut HookTools<R>, endpoint: &str) -> Result<S3Settings, S3Error> {
    let relations = tools.relation_ids(endpoint).map_err(S3Error::Tool)?;
    let relation = match relations.as_slice() {
        [] => return Err(S3Error::NotRelated),
        [relation] => relation,
        _ => return Err(S3Error::TooMany { count: relations.len() }),
    };
    let app = tools.relation_app(relation).map_err(S3Error::Tool)?;
    let databag = tools.app_databag(relation, &app).map_err(S3Error::Tool)?;
    Ok(s3_settings(&app, &databag)?)
}
