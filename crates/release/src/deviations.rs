//! Where the Canonical coordinator's `worker_config` is refused by a release, and what this
//! interface's coordinator writes instead: the data (`cargo xtask schema` renders it into
//! `docs/interface.md`; the provider's tests hold it true).

use crate::release::PyroscopeRelease;

/// A case where the Canonical coordinator (canonical/pyroscope-operators, `coordinator/src/pyroscope.py`)
/// writes something a Pyroscope release refuses or misreads, and what a coordinator built on this
/// interface's crates writes instead. Everywhere else, its `worker_config` is the Python bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PythonDeviation {
    /// The input: a setting and value, or a kind of worker.
    pub input: &'static str,
    /// What the Canonical coordinator writes for it.
    pub python_writes: &'static str,
    /// The releases that refuse or misread it.
    pub refused_by: &'static [PyroscopeRelease],
    /// Why.
    pub why: &'static str,
    /// What is written instead.
    pub instead: &'static str,
}

const ALL: &[PyroscopeRelease] = &PyroscopeRelease::ALL;

/// Every deliberate difference from the Canonical coordinator's `worker_config`.
pub const PYTHON_DEVIATIONS: &[PythonDeviation] = &[
    PythonDeviation {
        input: "`deletion_delay` `0`",
        python_writes: "`deletion_delay: 0`, a YAML integer",
        refused_by: &[PyroscopeRelease::V2_2_1],
        why: "2.2 decodes with go.yaml.in/yaml/v3 v3.0.4, which refuses any integer for a Go duration (1.18 to 2.0 \
              decode with a yaml.v3 fork that takes 0)",
        instead: "`deletion_delay: 0s` for 2.2; `0`, as Python, for the others",
    },
    PythonDeviation {
        input: "`deletion_delay` or `cleanup_interval` in days, weeks or years (`1d`, `2w`, `1y`; the charm's options allow them)",
        python_writes: "`deletion_delay: 1d`",
        refused_by: ALL,
        why: "`compactor.*` are Go durations (time.ParseDuration), which have no `d`, `w` or `y`",
        instead: "the same time in hours: `24h`, `336h`, `8760h`",
    },
    PythonDeviation {
        input: "a worker unit with an IPv6 address",
        python_writes: "`- fd00::1:7946` in `memberlist.join_members`",
        refused_by: ALL,
        why: "memberlist reads a member with several colons and no brackets as one IPv6 address on its bind port",
        instead: "`- '[fd00::1]:7946'`",
    },
    PythonDeviation {
        input: "workers that run Pyroscope 2.x (`pyroscope: 2.0` or later)",
        python_writes: "no `architecture_storage` (its config is for 1.18)",
        refused_by: &[PyroscopeRelease::V2_0_6, PyroscopeRelease::V2_2_1],
        why: "2.x defaults to `v1-v2-dual`, which writes to segment-writers this interface's v1 roles do not run: \
              profiles would be accepted and not stored",
        instead: "`architecture_storage: v1`",
    },
];
