//! The worker charm's options: its roles (`role-*`) and the Pyroscope release it runs.

use pyroscope_cluster_juju::{CACHE_REFRESH_OPTION, CharmConfig, HookTools, OptionError, Runner, ToolError};
use pyroscope_cluster_model::Roles;
use pyroscope_cluster_requirer::{PyroscopeRelease, RoleOptionsError, roles_from_options};

/// The option that names the Pyroscope release this worker runs (`1.18`, the default, ...): the
/// worker checks the coordinator's configuration against that release before writing it.
pub const RELEASE_OPTION: &str = "pyroscope_release";

/// A worker charm's options, each read on its own: a bad one does not hide the others.
#[derive(Debug)]
pub struct WorkerOptions {
    /// The roles of the `role-*` options that are true (the Canonical worker's options).
    pub roles: Result<Roles, RoleOptionsError>,
    /// The Pyroscope release this worker runs.
    pub pyroscope: Result<PyroscopeRelease, OptionError>,
}

impl WorkerOptions {
    /// The options of `config`; a `role-*` option that is not a boolean counts as false, as
    /// Juju's own type check keeps such a value out.
    pub fn read(config: &CharmConfig) -> Self {
        let flags = config.options().map(|(option, value)| (option, value.as_bool().unwrap_or(false)));
        let roles = roles_from_options(flags);
        let pyroscope = config.parse(RELEASE_OPTION).map(Option::unwrap_or_default);
        Self { roles, pyroscope }
    }
}

/// Reads the worker's options (`config-get`), and applies the hook cache's periodic full read
/// when [`CACHE_REFRESH_OPTION`] asks for it ([`HookTools::refresh_cache_every`]).
pub fn read_options<R: Runner>(tools: &mut HookTools<R>) -> Result<WorkerOptions, ToolError> {
    let config = tools.config()?;
    if let Ok(Some(every)) = config.parse::<u32>(CACHE_REFRESH_OPTION) {
        tools.refresh_cache_every(every);
    }
    Ok(WorkerOptions::read(&config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_release_each_read_on_their_own() {
        let config = CharmConfig::new(
            serde_json::from_str(r#"{"role-querier": true, "role-all": false, "pyroscope_release": "9.9"}"#).unwrap(),
        );
        let options = WorkerOptions::read(&config);
        assert_eq!(options.roles.unwrap().to_string(), "querier");
        let err = options.pyroscope.unwrap_err();
        assert_eq!((err.option.as_str(), err.value.as_str()), (RELEASE_OPTION, "9.9"));
        let options = WorkerOptions::read(&CharmConfig::default());
        assert_eq!(options.pyroscope.unwrap(), PyroscopeRelease::default());
        assert!(options.roles.is_err());
    }
}
