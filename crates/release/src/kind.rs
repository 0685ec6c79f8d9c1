//! How Pyroscope decodes the value of one key: the kinds the generated key table (`keys.rs`) names.

/// How Pyroscope decodes the value of one key (go-yaml v3 into the Go type of the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum KeyKind {
    /// A struct: a mapping of the keys listed under it.
    Block,
    /// A mapping whose keys the reference does not list (`limits.distributor_usage_groups`): its
    /// content is not checked.
    OpenBlock,
    /// A `bool`: `true`/`false`, or a string among go-yaml's YAML 1.1 words (`yes`, `on`, `n`, ...).
    Bool,
    /// An integer type: a YAML integer (or float), never a string.
    Int,
    /// A float type: a YAML integer or float.
    Float,
    /// A string (or a type read from one, such as a secret or a comma-separated list): any scalar,
    /// whose text is taken.
    String,
    /// A Go `time.Duration`: a string in Go's grammar (see [`crate::go_duration`]); a YAML integer
    /// only where the release's decoder takes 0.
    GoDuration,
    /// A Prometheus `model.Duration`: the text of any scalar, in Prometheus's grammar (see
    /// [`crate::prometheus_duration`]).
    PrometheusDuration,
    /// A list of strings.
    StringList,
    /// `memberlist.join_members`: a list of `host:port` (see [`crate::JoinMember`]).
    Members,
    /// A list of Go durations (`compactor.block_ranges`).
    GoDurationList,
    /// A list of structured items (relabel configs, recording rules): not checked inside.
    List,
}

impl KeyKind {
    /// What the key takes, for a message: `a mapping`, `an integer`, `a Go duration`, ...
    pub fn expected(self) -> &'static str {
        match self {
            KeyKind::Block | KeyKind::OpenBlock => "a mapping",
            KeyKind::Bool => "a boolean",
            KeyKind::Int => "an integer",
            KeyKind::Float => "a number",
            KeyKind::String => "a string",
            KeyKind::GoDuration => "a Go duration",
            KeyKind::PrometheusDuration => "a Prometheus duration",
            KeyKind::StringList | KeyKind::Members => "a list of strings",
            KeyKind::GoDurationList => "a list of Go durations",
            KeyKind::List => "a list",
        }
    }

    /// The variant's name, as the generated key table (`keys.rs`) spells it.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Block => "Block",
            KeyKind::OpenBlock => "OpenBlock",
            KeyKind::Bool => "Bool",
            KeyKind::Int => "Int",
            KeyKind::Float => "Float",
            KeyKind::String => "String",
            KeyKind::GoDuration => "GoDuration",
            KeyKind::PrometheusDuration => "PrometheusDuration",
            KeyKind::StringList => "StringList",
            KeyKind::Members => "Members",
            KeyKind::GoDurationList => "GoDurationList",
            KeyKind::List => "List",
        }
    }
}
