//! The coordinator charm's options, read into the provider's [`Settings`].

use std::fmt;

use pyroscope_cluster_juju::{CharmConfig, OptionError};
use pyroscope_cluster_provider::{Architecture, Period, PyroscopeRelease, Settings};

/// The option that names the Pyroscope release the workers run (`1.18`, the default, ...).
pub const RELEASE_OPTION: &str = "pyroscope_release";

/// The option that names the storage architecture (`v1`, the default, or `v2`).
pub const ARCHITECTURE_OPTION: &str = "architecture";

/// The options that give [`Settings`] a period (the Canonical coordinator's, with its defaults).
pub const PERIOD_OPTIONS: [&str; 3] = ["retention_period", "deletion_delay", "cleanup_interval"];

/// The options that set only the v1 compactor (`compactor.*`): v2 has no compactor block (the
/// metastore schedules compaction-workers, and retention is `limits.retention_period`), so in v2
/// they are not read and a value they would refuse does not block the cluster.
pub const V1_ONLY_OPTIONS: [&str; 2] = ["deletion_delay", "cleanup_interval"];

/// The coordinator's settings from its options: the periods, the workers' Pyroscope release and
/// the storage architecture; every bad option is an error naming it and its value. In v2 the
/// [`V1_ONLY_OPTIONS`] are not read. S3 is not an option: it comes from the `s3` relation
/// ([`read_s3`](crate::read_s3)).
pub fn settings_from_options(config: &CharmConfig) -> Result<Settings, Vec<OptionError>> {
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    if let Some(value) = config.get(ARCHITECTURE_OPTION) {
        match serde_json::from_value(value.clone()) {
            Ok(architecture) => settings.architecture = architecture,
            Err(_) => problems.push(OptionError::new(
                ARCHITECTURE_OPTION,
                config.text(ARCHITECTURE_OPTION).unwrap_or_default(),
                NotAnArchitecture,
            )),
        }
    }
    for option in PERIOD_OPTIONS {
        if settings.architecture != Architecture::V1 && V1_ONLY_OPTIONS.contains(&option) {
            continue;
        }
        match config.parse::<Period>(option) {
            Ok(None) => {}
            Ok(Some(period)) => match option {
                "retention_period" => settings.retention_period = period,
                "deletion_delay" => settings.compactor_deletion_delay = period,
                _ => settings.compactor_cleanup_interval = period,
            },
            Err(err) => problems.push(err),
        }
    }
    match config.parse::<PyroscopeRelease>(RELEASE_OPTION) {
        Ok(release) => settings.pyroscope = release.unwrap_or_default(),
        Err(err) => problems.push(err),
    }
    if problems.is_empty() { Ok(settings) } else { Err(problems) }
}

#[derive(Debug)]
struct NotAnArchitecture;

impl fmt::Display for NotAnArchitecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"is not one of "v1", "v2""#)
    }
}

impl std::error::Error for NotAnArchitecture {}

#[cfg(test)]
mod tests {
    use pyroscope_cluster_juju::error_chain;

    use super::*;

    /// `options` (JSON) read as settings: `Ok` the architecture and the deletion delay, or
    /// `Err` the start of the problems, joined with `; `.
    #[track_caller]
    fn check(options: &str, expect: Result<(Architecture, &str), &str>) {
        let config = CharmConfig::new(serde_json::from_str(options).unwrap());
        let got = settings_from_options(&config);
        match (got, expect) {
            (Ok(settings), Ok((architecture, delay))) => {
                assert_eq!(
                    (settings.architecture, settings.compactor_deletion_delay.to_string().as_str()),
                    (architecture, delay)
                );
            }
            (Err(problems), Err(start)) => {
                let problems: Vec<String> = problems.iter().map(|err| error_chain(err)).collect();
                assert!(problems.join("; ").starts_with(start), "{problems:?}");
            }
            (got, expect) => panic!("{options}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn v1_only_options_are_ignored_in_v2() {
        check(r#"{"deletion_delay": "30m"}"#, Ok((Architecture::V1, "30m")));
        check(r#"{"deletion_delay": "soon"}"#, Err(r#"option deletion_delay = "soon": "#));
        check(r#"{"architecture": "v1", "cleanup_interval": "-1h"}"#, Err(r#"option cleanup_interval = "-1h": "#));
        check(r#"{"architecture": "v2", "deletion_delay": "30m"}"#, Ok((Architecture::V2, "12h")));
        check(
            r#"{"architecture": "v2", "deletion_delay": "soon", "cleanup_interval": "-1h"}"#,
            Ok((Architecture::V2, "12h")),
        );
        // Retention is v2's too (`limits.retention_period`): still checked.
        check(r#"{"architecture": "v2", "retention_period": "soon"}"#, Err(r#"option retention_period = "soon": "#));
        check(r#"{"architecture": "v3"}"#, Err(r#"option architecture = "v3": is not one of "v1", "v2""#));
        check(r#"{"pyroscope_release": "1.17"}"#, Err(r#"option pyroscope_release = "1.17": "#));
    }
}
