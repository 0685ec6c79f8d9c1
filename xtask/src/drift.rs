//! Where this interface's schema parts from the published one, or from the README's example, and
//! why: the decisions `docs/interface.md` lists, each pinned by a test (the compatibility cases
//! of `compat-cases.json`, or the README example's test).

use pyroscope_cluster_model::RawDatabag;
use pyroscope_cluster_schema::RelationDatabag;
use serde::Deserialize;

/// What a [`Difference`] differs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The interface's published JSON schema (`charm-relation-interfaces`, `pyroscope_cluster/v0`),
    /// and the deployed Python peer where it agrees with neither. Pinned by compatibility cases.
    PublishedSchema,
    /// The example relation state in the interface's README. Pinned by the README example's test.
    ReadmeExample,
}

/// One deliberate difference, and the reason for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Difference {
    /// A short name, which compatibility cases refer to.
    pub id: &'static str,
    /// What it is about.
    pub topic: &'static str,
    /// What it differs from.
    pub source: Source,
    /// What the published document says.
    pub published: &'static str,
    /// What the deployed Python peer does.
    pub python: &'static str,
    /// What this schema says.
    pub here: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// Every deliberate difference, in the order `docs/interface.md` lists them.
pub const DIFFERENCES: &[Difference] = &[
    Difference {
        id: "config-key",
        topic: "Key of the configuration",
        source: Source::ReadmeExample,
        published: "The README's example names it `config`; the published schema says `worker_config`.",
        python: "`worker_config`.",
        here: "`worker_config`.",
        reason: "It is the key every deployed coordinator writes and every worker reads.",
    },
    Difference {
        id: "readme-example",
        topic: "The README's example relation state",
        source: Source::ReadmeExample,
        published: "Not valid YAML (a comma after each topology value); its configuration is only a YAML comment \
                    (so `null`); its unit databag has no `address`.",
        python: "Requires `address`, and a string for `worker_config`.",
        here: "The example on this page: commas dropped, `worker_config` a string of YAML, an `address` added. \
               It validates.",
        reason: "An example that does not validate teaches the wrong thing.",
    },
    Difference {
        id: "roles",
        topic: "`role`",
        source: Source::PublishedSchema,
        published: "One role, from eight names (no `tenant-settings`, no `ad-hoc-profiles`).",
        python: "Any string. The worker joins the names of its `role-X` options that are true, sorted, with `,` \
                 (`\",\".join(sorted(roles))`), so `\"all,querier\"` occurs; the coordinator splits on `,` and \
                 knows ten names.",
        here: "A comma-joined list of the ten names: no spaces, no empty element, repeats allowed. Any other \
               string is invalid.",
        reason: "Deployed workers send comma lists and ten roles. A name no coordinator knows means the worker \
                 is not part of the cluster (the interface's acceptance test 3), so it is invalid data, reported \
                 as such, not a role to skip.",
    },
    Difference {
        id: "s3-tls-ca-chain",
        topic: "`s3_tls_ca_chain`",
        source: Source::PublishedSchema,
        published: "A plain string: the PEM as it is, not JSON text.",
        python: "JSON text like every other field: a raw PEM fails `json.loads`.",
        here: "JSON text of a string, like every other field.",
        reason: "That is what is on the wire.",
    },
    Difference {
        id: "topology-required",
        topic: "`juju_topology`: `unit` and `charm_name`",
        source: Source::PublishedSchema,
        published: "Listed as required, but each may be `null`.",
        python: "Required strings; `null` is rejected.",
        here: "Required strings.",
        reason: "That is what the Python peer reads, and what the coordinator needs.",
    },
    Difference {
        id: "topology-model",
        topic: "`juju_topology`: `model` and `model_uuid`",
        source: Source::PublishedSchema,
        published: "Not mentioned (so anything passes).",
        python: "Ignored, whatever their value: the Python worker does not send them.",
        here: "Optional; when present, a string, or `null` (the same as absent).",
        reason: "The README's example has them, so readers must accept them; the model types them as what they \
                 are. This is stricter than the Python reader: a topology whose `model` is not a string is \
                 invalid here.",
    },
    Difference {
        id: "worker-labels",
        topic: "`worker_labels`",
        source: Source::PublishedSchema,
        published: "Missing (so anything passes, as an unknown key).",
        python: "Optional object of string to string.",
        here: "Optional object of string to string.",
        reason: "Deployed coordinators send it (service mesh labels).",
    },
    Difference {
        id: "worker-ports",
        topic: "`worker_ports`",
        source: Source::PublishedSchema,
        published: "An array of integers of any size; under draft 2020-12, `7946.0` is an integer.",
        python: "A list of `int`, coerced: `7946.0` and `\"7946\"` pass, and so do `0`, `-1` and `70000`.",
        here: "An array of integers from 1 to 65535, each written as an integer.",
        reason: "They are TCP ports the worker opens. No deployed writer sends anything else; a value that is \
                 no port is a broken coordinator, better reported than opened.",
    },
    Difference {
        id: "address",
        topic: "`address`",
        source: Source::PublishedSchema,
        published: "Any string.",
        python: "Any string; the Python worker publishes `socket.getfqdn()`.",
        here: "A host name (RFC 1123), an IPv4 literal or an IPv6 literal: no scheme, no port, no brackets, no \
               zone, no white space.",
        reason: "The coordinator puts `host:7946` into Pyroscope's memberlist and routes to the host: anything \
                 else breaks the ring, so it is rejected where it is written, with the reason.",
    },
    Difference {
        id: "null-optional",
        topic: "An optional field whose value is `null`",
        source: Source::PublishedSchema,
        published: "An optional field is a string of JSON text or JSON `null` itself (which a Juju databag cannot \
                    hold); the text `null` fails its content schema.",
        python: "The text `null` reads as absent.",
        here: "The content schema of every optional field admits `null`, which means absent.",
        reason: "That is what is on the wire and what the Python peer reads.",
    },
    Difference {
        id: "repeated-keys",
        topic: "A JSON object that repeats a key",
        source: Source::PublishedSchema,
        published: "Unspecified: a JSON Schema validator sees the parsed value, where the last entry wins.",
        python: "`json.loads` keeps the last entry.",
        here: "Invalid where the schema names the key: any key of a map of string to string, a field of a \
               topology or of a remote-write endpoint. A repeated key the schema does not name is ignored with \
               the rest of the unknown keys.",
        reason: "A writer that repeats a key does not know what it sent; `json.dumps` never does it. The Rust \
                 decoder refuses such an object, and the validator agrees with it.",
    },
];

/// A compatibility case: a raw databag, and what the published schema, the Python peer and this
/// schema make of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Case {
    /// What it shows.
    pub name: String,
    /// Which databag it is.
    pub databag: RelationDatabag,
    /// The databag as Juju holds it.
    pub data: RawDatabag,
    /// Whether the published schema accepts it (read deeply: each value decoded and checked
    /// against its `contentSchema`).
    pub published: bool,
    /// Whether the Python peer's `DatabagModel.load()` accepts it (recorded).
    pub python: bool,
    /// Whether this schema accepts it.
    pub ours: bool,
    /// The [`Difference::id`] it pins, when this schema parts from the published one or Python.
    pub difference: Option<String>,
}

#[derive(Deserialize)]
struct CaseFile {
    python: String,
    cases: Vec<Case>,
}

/// The compatibility cases, and the Python library versions their Python verdicts were recorded
/// with.
pub fn cases() -> (String, Vec<Case>) {
    let file: CaseFile = serde_json::from_str(include_str!("compat-cases.json"))
        .unwrap_or_else(|err| panic!("compat-cases.json is well-formed: {err}"));
    (file.python, file.cases)
}
