//! A worker unit's network address: a host name, an IPv4 or an IPv6 literal.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest host name DNS allows (RFC 1035), without the optional trailing dot.
const MAX_HOST_NAME: usize = 253;
/// The longest DNS label (RFC 1035).
const MAX_LABEL: usize = 63;

/// Which kind of address an [`Address`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressKind {
    /// A DNS host name of RFC 1123 labels, e.g. `pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local`.
    HostName,
    /// An IPv4 literal in dotted-decimal form, e.g. `10.1.2.3`.
    Ipv4,
    /// An IPv6 literal without brackets or zone, e.g. `fd00::1`.
    Ipv6,
}

/// A worker unit's address as published in its unit databag: a host name (RFC 1123 labels), an
/// IPv4 literal or an IPv6 literal; no scheme, no port, no path, no brackets, no zone index, no
/// white space or control characters.
///
/// The text is kept exactly as given (no case folding or IPv6 compression), so it re-encodes to the
/// same bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, schemars::JsonSchema)]
#[schemars(title = "host name, IPv4 or IPv6 literal", transform = crate::schema::address)]
pub struct Address {
    #[schemars(skip)]
    text: String,
    #[schemars(skip)]
    kind: AddressKind,
}

impl Address {
    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Which kind of address this is.
    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    /// `host:port`, with an IPv6 literal in brackets: `[fd00::1]:7946`.
    pub fn with_port(&self, port: u16) -> HostPort<'_> {
        HostPort { address: self, port }
    }
}

/// An [`Address`] with a port, displayed as `host:port` (IPv6 in brackets). See [`Address::with_port`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort<'a> {
    address: &'a Address,
    port: u16,
}

impl fmt::Display for HostPort<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.address.kind {
            AddressKind::Ipv6 => write!(f, "[{}]:{}", self.address.text, self.port),
            AddressKind::HostName | AddressKind::Ipv4 => write!(f, "{}:{}", self.address.text, self.port),
        }
    }
}

impl From<HostPort<'_>> for String {
    /// `host:port` as [`Display`](fmt::Display) writes it, in one allocation large enough for
    /// any port (`to_string` sizes its buffer for the host, then doubles it for the `:`: a
    /// reallocation per member and twice the memory, 1.6 MB instead of 0.8 MB for the gossip ring
    /// of 10,000 units).
    fn from(host_port: HostPort<'_>) -> Self {
        let mut text = String::with_capacity(host_port.address.text.len() + "[]:65535".len());
        // Writing to a `String` cannot fail.
        let _ = fmt::Write::write_fmt(&mut text, format_args!("{host_port}"));
        text
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl AsRef<str> for Address {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Why a string is not an [`Address`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The string was empty.
    #[error("address is empty")]
    Empty,
    /// The string had a scheme (`http://...`): the address is a bare host.
    #[error("address has a URL scheme; give the bare host name or IP")]
    Scheme,
    /// The string was a bracketed IPv6 literal or had a port.
    #[error("address has brackets or a port; give the bare host name or IP (the port is added by the coordinator)")]
    Port,
    /// The string had a character no host name or IP literal has.
    #[error("address has the character {0:?}, which no host name or IP literal has")]
    Character(char),
    /// A host name longer than DNS allows.
    #[error("host name is {0} characters long; DNS allows at most 253")]
    TooLong(usize),
    /// A host name label that breaks RFC 1123.
    #[error("host name label {label:?} {why}")]
    Label {
        /// The offending label.
        label: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Looked like an IP literal but was not a valid one.
    #[error("{0:?} is not a valid IP literal")]
    BadIp(String),
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self { kind: classify(s)?, text: s.to_owned() })
    }
}

/// Which kind of address `s` is, or why it is none.
fn classify(s: &str) -> Result<AddressKind, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    // The common case, in one pass: only the characters of host names and IPv4 literals.
    if s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        if s.as_bytes()[s.len() - 1].is_ascii_digit() && s.parse::<Ipv4Addr>().is_ok() {
            return Ok(AddressKind::Ipv4);
        }
        validate_host_name(s)?;
        return Ok(AddressKind::HostName);
    }
    if s.contains("://") {
        return Err(AddressError::Scheme);
    }
    if s.contains(':') {
        if s.parse::<Ipv6Addr>().is_ok() {
            return Ok(AddressKind::Ipv6);
        }
        if s.starts_with('[') || s.matches(':').count() == 1 {
            return Err(AddressError::Port);
        }
        if let Some(bad) = s.chars().find(|c| !(c.is_ascii_hexdigit() || *c == ':' || *c == '.')) {
            return Err(AddressError::Character(bad));
        }
        return Err(AddressError::BadIp(s.to_owned()));
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.')) {
        return Err(match bad {
            '[' | ']' => AddressError::Port,
            other => AddressError::Character(other),
        });
    }
    if s.parse::<Ipv4Addr>().is_ok() {
        return Ok(AddressKind::Ipv4);
    }
    validate_host_name(s)?;
    Ok(AddressKind::HostName)
}

/// RFC 1123 host name: dot-separated labels of 1 to 63 letters, digits and hyphens, not starting or
/// ending with a hyphen; at most 253 characters; an absolute name's one trailing dot is allowed.
/// A name whose last label is all digits is rejected: it is a mistyped IPv4 literal, not a host.
fn validate_host_name(s: &str) -> Result<(), AddressError> {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.len() > MAX_HOST_NAME {
        return Err(AddressError::TooLong(name.len()));
    }
    let label_error = |label: &str, why| AddressError::Label { label: label.to_owned(), why };
    for label in name.split('.') {
        if label.is_empty() {
            return Err(label_error(label, "is empty"));
        }
        if label.len() > MAX_LABEL {
            return Err(label_error(label, "is longer than 63 characters"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(label_error(label, "starts or ends with a hyphen"));
        }
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    if last.bytes().all(|b| b.is_ascii_digit()) && name.contains('.') {
        return Err(label_error(last, "is numeric, so this is no host name, and it is no valid IPv4 literal either"));
    }
    Ok(())
}

impl TryFrom<String> for Address {
    type Error = AddressError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Ok(Self { kind: classify(&value)?, text: value })
    }
}

impl TryFrom<&str> for Address {
    type Error = AddressError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Ipv4Addr> for Address {
    fn from(ip: Ipv4Addr) -> Self {
        Self { text: ip.to_string(), kind: AddressKind::Ipv4 }
    }
}

impl From<Ipv6Addr> for Address {
    fn from(ip: Ipv6Addr) -> Self {
        Self { text: ip.to_string(), kind: AddressKind::Ipv6 }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Address::try_from(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Result<AddressKind, &str>) {
        match (input.parse::<Address>(), expect) {
            (Ok(address), Ok(kind)) => {
                assert_eq!(address.kind(), kind, "{input:?}");
                assert_eq!(address.as_str(), input);
            }
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want, "{input:?}"),
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parse_table() {
        use AddressKind::*;
        check("pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local", Ok(HostName));
        check("localhost", Ok(HostName));
        check("Worker-0.Example.COM.", Ok(HostName));
        check("1worker", Ok(HostName));
        check("10.1.2.3", Ok(Ipv4));
        check("fd00::1", Ok(Ipv6));
        check("::1", Ok(Ipv6));
        check("2001:db8::ffff:10.0.0.1", Ok(Ipv6));
        check("", Err("address is empty"));
        check("http://worker:4040", Err("address has a URL scheme; give the bare host name or IP"));
        let port =
            "address has brackets or a port; give the bare host name or IP (the port is added by the coordinator)";
        check("worker:7946", Err(port));
        check("10.1.2.3:7946", Err(port));
        check("[fd00::1]", Err(port));
        check("[fd00::1]:7946", Err(port));
        check("fe80::1%eth0", Err("address has the character '%', which no host name or IP literal has"));
        check("worker 0", Err("address has the character ' ', which no host name or IP literal has"));
        check("worker\n", Err("address has the character '\\n', which no host name or IP literal has"));
        check("worker\u{0}", Err("address has the character '\\0', which no host name or IP literal has"));
        check("wörker", Err("address has the character 'ö', which no host name or IP literal has"));
        check("under_score", Err("address has the character '_', which no host name or IP literal has"));
        check("worker/0", Err("address has the character '/', which no host name or IP literal has"));
        check("-worker", Err("host name label \"-worker\" starts or ends with a hyphen"));
        check("a..b", Err("host name label \"\" is empty"));
        check(".", Err("host name label \"\" is empty"));
        check(&"a".repeat(64), Err(&format!("host name label {:?} is longer than 63 characters", "a".repeat(64))));
        let long = vec!["abcdefghi"; 26].join(".");
        check(&long, Err("host name is 259 characters long; DNS allows at most 253"));
        let numeric = "is numeric, so this is no host name, and it is no valid IPv4 literal either";
        check("10.1.2.256", Err(&format!("host name label \"256\" {numeric}")));
        check("010.1.2.3", Err(&format!("host name label \"3\" {numeric}")));
        check("1:2:3:4:5:6:7:8:9", Err("\"1:2:3:4:5:6:7:8:9\" is not a valid IP literal"));
    }

    #[test]
    fn with_port_brackets_ipv6_only() {
        let v6: Address = "fd00::1".parse().unwrap();
        let v4: Address = "10.0.0.1".parse().unwrap();
        let host: Address = "worker-0.example".parse().unwrap();
        assert_eq!(v6.with_port(7946).to_string(), "[fd00::1]:7946");
        assert_eq!(v4.with_port(7946).to_string(), "10.0.0.1:7946");
        assert_eq!(host.with_port(4040).to_string(), "worker-0.example:4040");
    }

    #[test]
    fn a_host_port_string_is_its_display_in_one_allocation() {
        #[track_caller]
        fn check(address: &str, port: u16, expect: &str) {
            let address: Address = address.parse().unwrap();
            let text = String::from(address.with_port(port));
            assert_eq!(text, expect);
            assert_eq!(text, address.with_port(port).to_string());
            // Grown while written, the buffer would have doubled past this.
            assert!(text.capacity() <= address.as_str().len() + "[]:65535".len(), "{text}: {}", text.capacity());
        }
        check("fd00::1", 7946, "[fd00::1]:7946");
        check("fd00::1", 65535, "[fd00::1]:65535");
        check("10.0.0.1", 0, "10.0.0.1:0");
        check("worker-0.example", 65535, "worker-0.example:65535");
        let long = format!("{}.svc.cluster.local", "a".repeat(63));
        check(&long, 4040, &format!("{long}:4040"));
    }
}
