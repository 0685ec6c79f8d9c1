//! [`check`]: would a Pyroscope release start with this configuration file?

use std::collections::HashSet;
use std::fmt;

use pyroscope_cluster_model::yaml::{self, YamlError};

use crate::duration::{DurationError, go_duration, prometheus_duration};
use crate::kind::KeyKind;
use crate::member::{JoinMember, MemberError};
use crate::node::{Node, NotANode};
use crate::release::PyroscopeRelease;
use crate::table::releases_with_key;

/// The longest value excerpt shown, in characters.
const EXCERPT: usize = 80;

/// How many problems a [`ConfigRefusal`]'s message lists; the value holds them all.
const LISTED: usize = 10;

/// One thing in a configuration that a Pyroscope release's decoder refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The dotted key path, with `[i]` for a list entry: `memberlist.join_members[2]`.
    pub path: String,
    /// The value (scalars only, cut at 80 characters), unless it is a secret (`secret_access_key`,
    /// `password`, ...), or the key is unknown (it may be a secret's key misspelled).
    pub value: Option<String>,
    /// What is wrong.
    pub problem: KeyProblem,
}

/// What is wrong at one key, for one release.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The document is not a mapping (Pyroscope's decoder needs one; an empty file is an error).
    NotAMapping {
        /// What it is instead.
        found: &'static str,
    },
    /// The release has no such key.
    UnknownKey {
        /// The releases (known here) that have it.
        known_in: Vec<PyroscopeRelease>,
    },
    /// The key is given more than once in its mapping.
    RepeatedKey,
    /// The value is not the kind of YAML node the key takes.
    WrongType {
        /// What the key takes: `an integer`, `a mapping`, ...
        expected: &'static str,
        /// What the value is: `a string`, ...
        found: &'static str,
    },
    /// A YAML integer for a Go `time.Duration`, which the release's decoder refuses.
    IntegerForGoDuration {
        /// Whether it is 0 (which the releases that decode with the yaml.v3 fork take).
        zero: bool,
    },
    /// A number for an integer key that go-yaml v3 will not put in a Go `int`: an integer beyond
    /// 64 bits, a float above `math.MaxInt64`, or NaN (`decode.go`, `scalar`; found by
    /// `cargo xtask live`).
    IntegerOutOfRange,
    /// A string that is not in Go's duration grammar.
    GoDuration(DurationError),
    /// A text that is not in Prometheus's duration grammar.
    PrometheusDuration(DurationError),
    /// A `memberlist.join_members` entry memberlist cannot join.
    Member(MemberError),
}

impl ConfigProblem {
    /// The problem as a sentence for `release`: "`key` = `value`: why".
    pub fn display(&self, release: PyroscopeRelease) -> impl fmt::Display + '_ {
        ProblemDisplay { problem: self, release, path: true }
    }

    /// The problem without its path, for a report that shows the path apart: "`value`: why".
    pub fn reason(&self, release: PyroscopeRelease) -> impl fmt::Display + '_ {
        ProblemDisplay { problem: self, release, path: false }
    }
}

struct ProblemDisplay<'a> {
    problem: &'a ConfigProblem,
    release: PyroscopeRelease,
    path: bool,
}

impl fmt::Display for ProblemDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ConfigProblem { path, value, problem } = self.problem;
        let release = self.release;
        if let KeyProblem::NotAMapping { found } = problem {
            return write!(f, "the document is {found}, but Pyroscope {release} reads a mapping of configuration keys");
        }
        match (self.path, value) {
            (true, Some(value)) => write!(f, "{} = {}: ", Quoted(path), Quoted(value))?,
            (true, None) => write!(f, "{}: ", Quoted(path))?,
            (false, Some(value)) => write!(f, "{}: ", Quoted(value))?,
            (false, None) => {}
        }
        match problem {
            KeyProblem::NotAMapping { .. } => Ok(()),
            KeyProblem::UnknownKey { known_in } if known_in.is_empty() => {
                write!(f, "Pyroscope {release} has no such key (nor has any release known here)")
            }
            KeyProblem::UnknownKey { known_in } => {
                let known: Vec<String> = known_in.iter().map(ToString::to_string).collect();
                let verb = if known.len() == 1 { "has" } else { "have" };
                write!(f, "Pyroscope {release} has no such key ({} {verb} it)", known.join(", "))
            }
            KeyProblem::RepeatedKey => write!(f, "is given more than once; Pyroscope {release} refuses a repeated key"),
            KeyProblem::WrongType { expected, found } => {
                write!(f, "Pyroscope {release} reads {expected} here, not {found}")
            }
            KeyProblem::IntegerForGoDuration { zero: true } => write!(
                f,
                "Pyroscope {release} ({}) refuses a YAML integer for a Go duration, even 0; write `0s`",
                release.yaml_decoder()
            ),
            KeyProblem::IntegerForGoDuration { zero: false } => write!(
                f,
                "Pyroscope {release} refuses a YAML integer for a Go duration; write it with a unit, e.g. `90s`"
            ),
            KeyProblem::IntegerOutOfRange => write!(
                f,
                "Pyroscope {release} reads a 64-bit integer here, and this is out of its range (or not a number)"
            ),
            KeyProblem::GoDuration(err) => write!(
                f,
                "Pyroscope {release} reads a Go duration here (time.ParseDuration), and this {err}; write numbers \
                 with units ns, us, ms, s, m, h, e.g. `90m`, `1h30m`, `24h`"
            ),
            KeyProblem::PrometheusDuration(err) => write!(
                f,
                "Pyroscope {release} reads a Prometheus duration here (model.ParseDuration), and this {err}; write \
                 whole numbers with units y, w, d, h, m, s, ms, largest first, e.g. `30d`, `1h30m`, or `0`"
            ),
            KeyProblem::Member(err) => write!(f, "memberlist cannot join this member: it {err}"),
        }
    }
}

/// A key path or a value as a message shows it: in backticks, each control character escaped
/// (`\n`, `\u{1b}`: nothing a coordinator sends moves a terminal's cursor or splits a log
/// line), and cut after [`EXCERPT`] characters with the full length noted, as the model's
/// `Shown` cuts a databag value: a 200 kB key is a short line.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.0.char_indices().nth(EXCERPT).map(|(at, _)| at);
        let shown = &self.0[..cut.unwrap_or(self.0.len())];
        f.write_str("`")?;
        for c in shown.chars() {
            if c.is_control() || is_bidi_control(c) {
                write!(f, "{}", c.escape_debug())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        match cut {
            None => f.write_str("`"),
            Some(_) => write!(f, "…` ({} bytes in all)", self.0.len()),
        }
    }
}

/// Unicode's bidirectional formatting characters, which reorder what a terminal shows.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl ConfigProblem {
    /// The key path as the problem's message shows it: control characters escaped, cut after 80
    /// characters with the full length noted, in backticks. For a report that shows the path
    /// apart from [`reason`](Self::reason) (the CLI's text output).
    pub fn shown_path(&self) -> String {
        Quoted(&self.path).to_string()
    }
}

/// A configuration a Pyroscope release would refuse at start, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", RefusalDisplay(self))]
pub struct ConfigRefusal {
    /// The release that would refuse it.
    pub release: PyroscopeRelease,
    /// Every problem, in document order; never empty.
    pub problems: Vec<ConfigProblem>,
}

struct RefusalDisplay<'a>(&'a ConfigRefusal);

impl fmt::Display for RefusalDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ConfigRefusal { release, problems } = self.0;
        write!(f, "Pyroscope {release} would refuse this configuration: ")?;
        for (i, problem) in problems.iter().take(LISTED).enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}", problem.display(*release))?;
        }
        if problems.len() > LISTED {
            write!(f, "; and {} more", problems.len() - LISTED)?;
        }
        Ok(())
    }
}

/// Why a configuration text was not checked, or what was wrong with it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The text is not YAML.
    #[error("the configuration is not valid YAML")]
    Yaml(#[source] YamlError),
    /// The release would refuse it.
    #[error(transparent)]
    Refused(#[from] ConfigRefusal),
    /// The value has no YAML node ([`check_value`]): it is no configuration file's content.
    #[error("the configuration is not a YAML document")]
    NotANode(#[source] NotANode),
}

/// Checks a configuration file's text against `release`: see [`check`].
///
/// ```
/// use pyroscope_cluster_release::{PyroscopeRelease, check_yaml};
///
/// let config = "architecture_storage: v1\ncompactor:\n  deletion_delay: 1d\n";
/// let err = check_yaml(PyroscopeRelease::V1_18_2, config).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Pyroscope 1.18.2 would refuse this configuration: `architecture_storage`: Pyroscope 1.18.2 has no such \
///      key (2.0.6, 2.2.1 have it); `compactor.deletion_delay` = `1d`: Pyroscope 1.18.2 reads a Go \
///      duration here (time.ParseDuration), and this has the unit \"d\", which this duration does not take; \
///      write numbers with units ns, us, ms, s, m, h, e.g. `90m`, `1h30m`, `24h`"
/// );
/// assert!(check_yaml(PyroscopeRelease::V1_18_2, "compactor:\n  deletion_delay: 24h\n").is_ok());
/// ```
pub fn check_yaml(release: PyroscopeRelease, text: &str) -> Result<(), CheckError> {
    let root: Node = yaml::from_str(text).map_err(CheckError::Yaml)?;
    check(release, &root).map_err(CheckError::Refused)
}

/// Checks the configuration file a value is written as ([`Node::from_value`]) against `release`,
/// without writing the text and reading it back: see [`check`]. No YAML parser runs.
///
/// The outcome is [`check_yaml`]'s on the text the YAML writers of `pyroscope_cluster_model::yaml`
/// write for the value, but for strings that a YAML 1.2 reader takes for a number although PyYAML
/// writes them plain (`1e3`, `0o17`): a string here, a number read back. On a key that takes any
/// scalar (a string key) both pass; on a number, boolean or duration key, give a value of that
/// type, not a string (the provider's configuration does).
///
/// ```
/// use pyroscope_cluster_release::{PyroscopeRelease, check_value};
///
/// #[derive(serde::Serialize)]
/// struct Compactor { deletion_delay: &'static str }
/// #[derive(serde::Serialize)]
/// struct Config { compactor: Compactor }
///
/// let config = Config { compactor: Compactor { deletion_delay: "1d" } };
/// let err = check_value(PyroscopeRelease::V1_18_2, &config).unwrap_err();
/// assert!(err.to_string().starts_with("Pyroscope 1.18.2 would refuse this configuration: `compactor.deletion_delay`"));
/// let config = Config { compactor: Compactor { deletion_delay: "24h" } };
/// assert!(check_value(PyroscopeRelease::V1_18_2, &config).is_ok());
/// ```
pub fn check_value<T: serde::Serialize + ?Sized>(release: PyroscopeRelease, value: &T) -> Result<(), CheckError> {
    let root = Node::from_value(value).map_err(CheckError::NotANode)?;
    check(release, &root).map_err(CheckError::Refused)
}

/// Checks a parsed configuration file against what `release` decodes, as its go-yaml v3 decoder
/// with `KnownFields(true)` does at start (grafana/pyroscope `pkg/cfg/files.go`): the document is a
/// mapping; every key is one the release has, once per mapping; every value is the kind of node
/// its Go type takes (a duration in the grammar of its type, Go's or Prometheus's; a YAML integer
/// for a Go duration only where the release takes 0); and every `memberlist.join_members` entry
/// is one memberlist can join (an IPv6 literal in brackets).
///
/// Null is taken everywhere (go-yaml leaves the default). Values are not checked further than the
/// decoder does: a URL's form or a port's range is Pyroscope's to validate after decoding.
pub fn check(release: PyroscopeRelease, root: &Node) -> Result<(), ConfigRefusal> {
    let mut problems = Vec::new();
    match root {
        Node::Map(entries) => mapping(release, "", entries, &mut problems),
        other => problems.push(ConfigProblem {
            path: String::new(),
            value: None,
            problem: KeyProblem::NotAMapping { found: other.kind() },
        }),
    }
    if problems.is_empty() { Ok(()) } else { Err(ConfigRefusal { release, problems }) }
}

fn mapping(release: PyroscopeRelease, prefix: &str, entries: &[(Node, Node)], out: &mut Vec<ConfigProblem>) {
    // A set, not a list: a mapping of n keys is checked in time linear in n (a list scanned for
    // each key took 7 s for 80,000 keys).
    let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
    for (key, value) in entries {
        let name = key.scalar_text().unwrap_or_else(|| key.kind().to_owned());
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        if !seen.insert(name) {
            out.push(ConfigProblem { path, value: None, problem: KeyProblem::RepeatedKey });
            continue;
        }
        match release.key(&path) {
            Some(kind) => node(release, &path, kind, value, out),
            None => out.push(ConfigProblem {
                value: None,
                problem: KeyProblem::UnknownKey { known_in: releases_with_key(&path) },
                path,
            }),
        }
    }
}

fn node(release: PyroscopeRelease, path: &str, kind: KeyKind, value: &Node, out: &mut Vec<ConfigProblem>) {
    let problem = |problem: KeyProblem| ConfigProblem { path: path.to_owned(), value: excerpt(path, value), problem };
    let wrong = || problem(KeyProblem::WrongType { expected: kind.expected(), found: value.kind() });
    if *value == Node::Null {
        return;
    }
    match (kind, value) {
        (KeyKind::Block, Node::Map(entries)) => mapping(release, path, entries, out),
        (KeyKind::OpenBlock, Node::Map(_)) => {}
        (KeyKind::Bool, Node::Bool(_)) => {}
        // go-yaml v3 decodes YAML 1.1's words into a `bool` field (`decode.go`, `scalar`).
        (KeyKind::Bool, Node::Str(text)) if is_yaml11_bool(text) => {}
        // go-yaml v3 puts an integer in a Go `int` when it fits 64 bits, and a float when it is at
        // most `math.MaxInt64` (truncated; NaN is not, -Inf is), as `cargo xtask live` shows.
        (KeyKind::Int, Node::Int(number)) if i64::try_from(*number).is_err() => {
            out.push(problem(KeyProblem::IntegerOutOfRange));
        }
        #[allow(clippy::cast_precision_loss)]
        (KeyKind::Int, Node::Float(number)) if number.is_nan() || *number > i64::MAX as f64 => {
            out.push(problem(KeyProblem::IntegerOutOfRange));
        }
        (KeyKind::Int | KeyKind::Float, Node::Int(_) | Node::Float(_)) => {}
        (KeyKind::String, Node::Seq(_) | Node::Map(_)) => out.push(wrong()),
        (KeyKind::String, _) => {}
        (KeyKind::GoDuration, _) => {
            if let Some(found) = go_duration_problem(release, value) {
                out.push(problem(found));
            }
        }
        (KeyKind::PrometheusDuration, Node::Seq(_) | Node::Map(_)) => out.push(wrong()),
        // The text of a YAML float (`0.0`, `1e3`, `.inf`) is never in Prometheus's grammar, though
        // its value's (`0`) may be: refused, as `cargo xtask live` shows.
        (KeyKind::PrometheusDuration, Node::Float(number)) => {
            let err = prometheus_duration(&number.to_string()).err().unwrap_or(DurationError::Fraction);
            out.push(problem(KeyProblem::PrometheusDuration(err)));
        }
        (KeyKind::PrometheusDuration, scalar) => {
            let text = scalar.scalar_text().unwrap_or_default();
            if let Err(err) = prometheus_duration(&text) {
                out.push(problem(KeyProblem::PrometheusDuration(err)));
            }
        }
        (KeyKind::StringList | KeyKind::Members | KeyKind::GoDurationList, Node::Seq(items)) => {
            // One pass per entry, without an allocation unless it is wrong: a cluster lists
            // thousands of members.
            for (i, item) in items.iter().enumerate() {
                let found = match (kind, item) {
                    (_, Node::Null) => None,
                    (_, Node::Seq(_) | Node::Map(_)) => {
                        Some(KeyProblem::WrongType { expected: "a string", found: item.kind() })
                    }
                    (KeyKind::GoDurationList, _) => go_duration_problem(release, item),
                    (KeyKind::Members, Node::Str(text)) => JoinMember::parse(text).err().map(KeyProblem::Member),
                    (KeyKind::Members, scalar) => {
                        let text = scalar.scalar_text().unwrap_or_default();
                        JoinMember::parse(&text).err().map(KeyProblem::Member)
                    }
                    _ => None,
                };
                if let Some(found) = found {
                    out.push(ConfigProblem {
                        path: format!("{path}[{i}]"),
                        value: excerpt(path, item),
                        problem: found,
                    });
                }
            }
        }
        (KeyKind::List, Node::Seq(_)) => {}
        _ => out.push(wrong()),
    }
}

/// What is wrong with `value` for a Go `time.Duration` key, as go-yaml v3 decodes it: a string in
/// Go's grammar, or (on the releases whose decoder takes it) the integer 0.
fn go_duration_problem(release: PyroscopeRelease, value: &Node) -> Option<KeyProblem> {
    match value {
        Node::Str(text) => go_duration(text).err().map(KeyProblem::GoDuration),
        Node::Int(0) if release.takes_int_zero_for_go_duration() => None,
        Node::Int(number) => Some(KeyProblem::IntegerForGoDuration { zero: *number == 0 }),
        Node::Null => None,
        other => Some(KeyProblem::WrongType { expected: KeyKind::GoDuration.expected(), found: other.kind() }),
    }
}

/// go-yaml v3's YAML 1.1 compatibility words for a `bool` field.
fn is_yaml11_bool(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF"
    )
}

/// The value to show for a problem at `path`: a scalar's text, cut short; nothing for a secret.
fn excerpt(path: &str, value: &Node) -> Option<String> {
    let leaf = path.rsplit('.').next().unwrap_or(path);
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    if crate::is_secret_config_key(leaf) {
        return None;
    }
    let text = value.scalar_text()?;
    if text.chars().count() <= EXCERPT {
        return Some(text);
    }
    let mut short: String = text.chars().take(EXCERPT - 1).collect();
    short.push('…');
    Some(short)
}
