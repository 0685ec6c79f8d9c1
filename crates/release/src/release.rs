//! [`PyroscopeRelease`]: a Pyroscope release this crate has a key reference for.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Grafana Pyroscope release whose configuration file this crate knows: one of
/// [`PyroscopeRelease::ALL`], each with the key reference `reference/pyroscope/vX.Y.Z.json` it
/// was generated from. A release without a reference cannot be built, so every value of this type
/// can be checked against.
///
/// Parsed from `1.18.2`, or `1.18` for the newest 1.18 patch release there is a reference for
/// (a leading `v` is allowed). The default is 1.18 (1.18.2): the line of the Canonical worker
/// charm's OCI image (`ubuntu/pyroscope:1.18-26.04`, Pyroscope 1.18.1, whose keys are 1.18.2's),
/// which every deployed worker runs today.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyroscopeRelease {
    major: u8,
    minor: u8,
    patch: u8,
}

/// What one release's config-file decoder is, with where that is written.
struct Facts {
    release: PyroscopeRelease,
    /// The grafana/pyroscope commit of the tag, as the reference's `_source` records it.
    commit: &'static str,
    /// The YAML module `pkg/cfg/files.go` decodes the config file with, as `go.mod` resolves it.
    yaml_module: YamlModule,
}

/// The Go YAML module a release decodes its config file with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YamlModule {
    /// `gopkg.in/yaml.v3`, which `go.mod` replaces with `github.com/colega/go-yaml-yaml`
    /// v0.0.0-20220720105220-255a8d16d094: yaml.v3 v3.0.1 plus commit 255a8d1 "Accept int(0) as
    /// zero duration" (`decode.go`, `scalar`: `else if isDuration && resolved == 0`).
    ColegaFork,
    /// `go.yaml.in/yaml/v3` v3.0.4 (yaml/go-yaml): a YAML integer for a `time.Duration` is an error,
    /// 0 included (`decode.go`, `scalar`: "This used to work in v2, but it's very unfriendly").
    GoYamlV3,
}

const FACTS: [Facts; 7] = [
    Facts {
        release: PyroscopeRelease::V1_18_1,
        commit: "dd2622d2f760e170494569ee984315dc5e65c78f",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V1_18_2,
        commit: "7d3ceb66e913fd32cce18f50778c8789242e9ff1",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V1_19_3,
        commit: "a87f0e07037f4a81d76f5267a51e9b147135099a",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V1_20_4,
        commit: "2b49131fb821d9029514945bf13209c2917dede1",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V1_21_1,
        commit: "d6cb8c3db58edf6c0ea26daa1dd40d84f11a4ef0",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V2_0_6,
        commit: "e9c400392160b44c9d87caeeee4c14c124d71536",
        yaml_module: YamlModule::ColegaFork,
    },
    Facts {
        release: PyroscopeRelease::V2_2_1,
        commit: "df3c0391b7dfc9c9577a55be4ebfcf2f0ac65d71",
        yaml_module: YamlModule::GoYamlV3,
    },
];

impl PyroscopeRelease {
    /// Pyroscope 1.18.1: what the Canonical worker charm's image runs today
    /// (`ubuntu/pyroscope:1.18-26.04`, built from canonical/pyroscope-rock `1.18.1`); the same
    /// keys as 1.18.2.
    pub const V1_18_1: Self = Self { major: 1, minor: 18, patch: 1 };
    /// Pyroscope 1.18.2: the newest 1.18 patch release, what `1.18` (and the default) means.
    pub const V1_18_2: Self = Self { major: 1, minor: 18, patch: 2 };
    /// Pyroscope 1.19.3: the last 1.19 release.
    pub const V1_19_3: Self = Self { major: 1, minor: 19, patch: 3 };
    /// Pyroscope 1.20.4: the last 1.20 release; adds memberlist and server keys 1.18 lacks
    /// (`memberlist.rejoin_seed_nodes`, ...).
    pub const V1_20_4: Self = Self { major: 1, minor: 20, patch: 4 };
    /// Pyroscope 1.21.1: the last 1.x release (grafana/pyroscope has no 1.x tag after it); adds
    /// `compactor.shutdown_timeout` to 1.20's keys.
    pub const V1_21_1: Self = Self { major: 1, minor: 21, patch: 1 };
    /// Pyroscope 2.0.6: the first 2.x line; adds `architecture_storage`.
    pub const V2_0_6: Self = Self { major: 2, minor: 0, patch: 6 };
    /// Pyroscope 2.2.1: the newest release here; what the v2-architecture charms target.
    pub const V2_2_1: Self = Self { major: 2, minor: 2, patch: 1 };

    /// Every release there is a key reference for, oldest first.
    pub const ALL: [Self; 7] =
        [Self::V1_18_1, Self::V1_18_2, Self::V1_19_3, Self::V1_20_4, Self::V1_21_1, Self::V2_0_6, Self::V2_2_1];

    /// The default: 1.18 (1.18.2), the line deployed workers run (1.18.1, with the same keys).
    pub const DEFAULT: Self = Self::V1_18_2;

    /// The major version.
    pub const fn major(self) -> u8 {
        self.major
    }

    /// The minor version.
    pub const fn minor(self) -> u8 {
        self.minor
    }

    /// The patch version.
    pub const fn patch(self) -> u8 {
        self.patch
    }

    /// Whether the release has the `architecture_storage` key, which exists from 2.0.0 on
    /// (`pkg/pyroscope/pyroscope.go`); 1.x refuses a config that holds it.
    pub const fn has_architecture_storage(self) -> bool {
        self.major >= 2
    }

    /// Whether the release's YAML decoder takes the YAML integer `0` for a Go `time.Duration` key
    /// (`compactor.deletion_delay: 0`). 1.18 to 1.21 and 2.0 decode with a yaml.v3 fork that does
    /// (`github.com/colega/go-yaml-yaml`, commit 255a8d1); 2.2 decodes with `go.yaml.in/yaml/v3`
    /// v3.0.4, which refuses every integer there.
    pub fn takes_int_zero_for_go_duration(self) -> bool {
        self.facts().yaml_module == YamlModule::ColegaFork
    }

    /// The Go module that decodes the config file, as `go.mod` resolves it at the release's tag.
    pub fn yaml_decoder(self) -> &'static str {
        match self.facts().yaml_module {
            YamlModule::ColegaFork => "gopkg.in/yaml.v3 (replaced by github.com/colega/go-yaml-yaml 255a8d1)",
            YamlModule::GoYamlV3 => "go.yaml.in/yaml/v3 v3.0.4",
        }
    }

    /// The grafana/pyroscope commit of the release's tag, which its key reference was read at.
    pub fn commit(self) -> &'static str {
        self.facts().commit
    }

    /// The file name of its key reference in `reference/pyroscope/`: `v1.18.2.json`.
    pub fn reference_file(self) -> String {
        format!("v{self}.json")
    }

    /// Its position in [`Self::ALL`]: its bit in the generated key table.
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|known| *known == self).unwrap_or_default()
    }

    fn facts(self) -> &'static Facts {
        FACTS.iter().find(|facts| facts.release == self).unwrap_or(&FACTS[0])
    }
}

impl Default for PyroscopeRelease {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for PyroscopeRelease {
    /// `1.18.2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl fmt::Debug for PyroscopeRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PyroscopeRelease({self})")
    }
}

/// Why a text is not a [`PyroscopeRelease`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The text is not `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`.
    #[error("{given:?} is not a Pyroscope release: write `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, e.g. `1.18` or `2.2.1`")]
    NotAVersion {
        /// The text as given.
        given: String,
    },
    /// The text is a version, but there is no key reference for it.
    #[error("there is no key reference for Pyroscope {given}; known releases: {}", KnownList)]
    Unknown {
        /// The text as given.
        given: String,
    },
}

/// The known releases, and what a `MAJOR.MINOR` means: "1.18.1, 1.18.2, ..., 2.2.1 (`MAJOR.MINOR` means ...)".
struct KnownList;

impl fmt::Display for KnownList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = PyroscopeRelease::ALL.iter().map(ToString::to_string).collect();
        write!(f, "{} (`MAJOR.MINOR` means the newest of these with that major and minor)", all.join(", "))
    }
}

impl FromStr for PyroscopeRelease {
    type Err = ReleaseError;

    /// `1.18.2`, `1.18` (the newest known 1.18.x), with or without a leading `v`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let not_a_version = || ReleaseError::NotAVersion { given: s.to_owned() };
        let digits = s.strip_prefix('v').unwrap_or(s);
        let parts: Vec<&str> = digits.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || parts.iter().any(|part| part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(not_a_version());
        }
        // A number too large for a release is a version no reference has.
        let numbers: Option<Vec<u8>> = parts.iter().map(|part| part.parse().ok()).collect();
        let unknown = || ReleaseError::Unknown { given: digits.to_owned() };
        let numbers = numbers.ok_or_else(unknown)?;
        let matches = |release: &&Self| {
            release.major == numbers[0]
                && release.minor == numbers[1]
                && numbers.get(2).is_none_or(|patch| release.patch == *patch)
        };
        Self::ALL.iter().filter(matches).max().copied().ok_or_else(unknown)
    }
}

impl Serialize for PyroscopeRelease {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PyroscopeRelease {
    /// From a string as [`FromStr`] reads it (`"1.18"`, `"2.2.1"`).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PyroscopeRelease;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Pyroscope release as a string, e.g. \"1.18\" or \"2.2.1\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: Result<&str, &str>) {
        match (text.parse::<PyroscopeRelease>(), expect) {
            (Ok(release), Ok(want)) => assert_eq!(release.to_string(), want, "{text:?}"),
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want, "{text:?}"),
            (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parse_table() {
        let known = "known releases: 1.18.1, 1.18.2, 1.19.3, 1.20.4, 1.21.1, 2.0.6, 2.2.1 (`MAJOR.MINOR` means \
                     the newest of these with that major and minor)";
        check("1.18", Ok("1.18.2"));
        check("1.18.2", Ok("1.18.2"));
        check("v1.18", Ok("1.18.2"));
        check("v2.2.1", Ok("2.2.1"));
        check("2.2", Ok("2.2.1"));
        check("2.0", Ok("2.0.6"));
        check("1.19", Ok("1.19.3"));
        check("1.18.1", Ok("1.18.1"));
        check("1.20", Ok("1.20.4"));
        check("v1.20.4", Ok("1.20.4"));
        check("1.21", Ok("1.21.1"));
        check("1.21.1", Ok("1.21.1"));
        check("1.21.0", Err(&format!("there is no key reference for Pyroscope 1.21.0; {known}")));
        check("1.22", Err(&format!("there is no key reference for Pyroscope 1.22; {known}")));
        check("1.18.0", Err(&format!("there is no key reference for Pyroscope 1.18.0; {known}")));
        check("1.17", Err(&format!("there is no key reference for Pyroscope 1.17; {known}")));
        check("3.0", Err(&format!("there is no key reference for Pyroscope 3.0; {known}")));
        check("1.999", Err(&format!("there is no key reference for Pyroscope 1.999; {known}")));
        let not = |text: &str| {
            format!(
                "{text:?} is not a Pyroscope release: write `MAJOR.MINOR` or `MAJOR.MINOR.PATCH`, e.g. `1.18` or `2.2.1`"
            )
        };
        for text in ["", "1", "v", "1.", ".18", "1.18.2.0", "1.18-rc1", "latest", " 1.18", "1.x", "+1.18", "vv1.18"] {
            check(text, Err(&not(text)));
        }
    }

    #[test]
    fn default_is_what_deployed_workers_run() {
        assert_eq!(PyroscopeRelease::default(), PyroscopeRelease::V1_18_2);
        assert_eq!(PyroscopeRelease::default(), "1.18".parse().unwrap());
    }

    #[test]
    fn facts_per_release() {
        let table: Vec<(String, bool, bool)> = PyroscopeRelease::ALL
            .iter()
            .map(|r| (r.to_string(), r.has_architecture_storage(), r.takes_int_zero_for_go_duration()))
            .collect();
        assert_eq!(
            table,
            [
                ("1.18.1".to_owned(), false, true),
                ("1.18.2".to_owned(), false, true),
                ("1.19.3".to_owned(), false, true),
                ("1.20.4".to_owned(), false, true),
                ("1.21.1".to_owned(), false, true),
                ("2.0.6".to_owned(), true, true),
                ("2.2.1".to_owned(), true, false),
            ]
        );
        assert!(FACTS.iter().zip(PyroscopeRelease::ALL).all(|(facts, release)| facts.release == release));
        assert!(PyroscopeRelease::ALL.windows(2).all(|pair| pair[0] < pair[1]), "oldest first");
        assert_eq!(PyroscopeRelease::V2_2_1.reference_file(), "v2.2.1.json");
    }

    #[test]
    fn serde_as_a_string() {
        let release: PyroscopeRelease = serde_json::from_str(r#""2.2""#).unwrap();
        assert_eq!(release, PyroscopeRelease::V2_2_1);
        assert_eq!(serde_json::to_string(&release).unwrap(), r#""2.2.1""#);
        let err = serde_json::from_str::<PyroscopeRelease>(r#""1.17""#).unwrap_err().to_string();
        assert!(err.starts_with("there is no key reference for Pyroscope 1.17;"), "{err}");
        let err = serde_json::from_str::<PyroscopeRelease>("1.18").unwrap_err().to_string();
        assert!(err.contains("a Pyroscope release as a string"), "{err}");
    }
}
