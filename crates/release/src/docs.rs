//! The releases and their differences, for people: the data, and the Markdown section of
//! `docs/interface.md` made from it ([`markdown`]).

use std::fmt::Write;

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

/// The Markdown section of `docs/interface.md` on Pyroscope releases: which are supported, what
/// each decodes and gets, and the differences from the Canonical coordinator.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "## Pyroscope releases

Pyroscope decodes its configuration file strictly (go-yaml v3 with `KnownFields(true)`,
grafana/pyroscope `pkg/cfg/files.go`): one key its release does not know, or one value its decoder
refuses, and every worker exits at start. So the coordinator renders `worker_config` for the
release its workers run (the setting `pyroscope`, default `1.18`), checks it against that
release's key table before publishing, and a worker checks what it receives against its own
release before it writes the file. The key tables are generated from
`reference/pyroscope/vX.Y.Z.json` (`crates/release/src/keys.rs`).

| release | keys | decoder | a YAML integer 0 for a Go duration | `architecture_storage` | why it is here |
| --- | --- | --- | --- | --- | --- |
",
    );
    for release in PyroscopeRelease::ALL {
        let why = match (release.major(), release.minor()) {
            (1, 18) => "what the Canonical worker charm runs (`ubuntu/pyroscope:1.18-26.04`); the default",
            (1, 19) => "the last 1.x release",
            (2, 0) => "the first 2.x line",
            _ => "the newest release; what the v2-architecture charms target",
        };
        let _ = writeln!(
            out,
            "| {release} | {} | {} | {} | {} | {why} |",
            release.keys().count(),
            release.yaml_decoder(),
            if release.takes_int_zero_for_go_duration() { "taken" } else { "refused" },
            if release.has_architecture_storage() { "`v1` (rendered)" } else { "no such key (not rendered)" },
        );
    }
    out.push_str(
        "
`MAJOR.MINOR` means the newest release of that line here (`1.18` is 1.18.2); a release with no key
table is an error that lists these.

What the coordinator renders, for every release: the keys the Canonical coordinator renders
(`api`, `compactor`, `distributor`, `ingester`, `limits.compactor_blocks_retention_period`,
`memberlist`, `pyroscopedb`, `server`, `storage`, `store_gateway`), plus `architecture_storage: v1`
from 2.0 on. Durations keep the operator's spelling wherever the key's decoder takes it: the
retention is a Prometheus duration (`30d`, `2y`, and `0` written as the integer `0`), the
`compactor.*` keys Go durations (`90m`, `12h`, `1h30m`).

### Differences from the Canonical coordinator

Everywhere else the `worker_config` is byte-identical to what the Canonical coordinator
(canonical/pyroscope-operators, `coordinator/src/pyroscope.py`) renders, PyYAML's quoting and line
folding included. Where its output is refused or misread by the workers' release, the coordinator
writes instead:

| input | Python writes | refused or misread by | why | written instead |
| --- | --- | --- | --- | --- |
",
    );
    for deviation in PYTHON_DEVIATIONS {
        let releases: Vec<String> = deviation.refused_by.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            deviation.input,
            deviation.python_writes,
            releases.join(", "),
            deviation.why,
            deviation.instead
        );
    }
    out.push_str(
        "
Inputs the coordinator reads differently from coordinated-workers, on purpose: an S3 endpoint
without a scheme is HTTPS unless `insecure` says otherwise (coordinated-workers would say plain
HTTP when the s3 relation gives no CA chain; with `http://` or `https://` the derivation is
its, `not (tls_ca_chain or scheme == \"https\")`); an S3 endpoint with a path, even a lone
trailing `/`, is an error rather than a value passed on.
",
    );
    out.push('\n');
    out
}
