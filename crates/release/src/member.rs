//! [`JoinMember`]: one entry of `memberlist.join_members`, as Pyroscope's memberlist reads it.

use std::fmt;

/// One `memberlist.join_members` entry, read as dskit and memberlist read it:
///
/// - an entry with a `+` is a DNS service-discovery query (`dns+host:port`, `dnssrv+_memberlist._tcp.host`;
///   dskit `kv/memberlist`, `discoverMembers`), which this crate does not look into;
/// - otherwise an optional `name/` prefix (a node name), then `host`, `host:port`, `[ipv6]` or
///   `[ipv6]:port`; without a port memberlist uses its bind port (grafana/memberlist `memberlist.go`,
///   `resolveAddr`, and `util.go`, `ensurePort`/`hasPort`).
///
/// An IPv6 literal with a port needs brackets: memberlist takes a text with more than one colon
/// and no brackets for a whole IPv6 address without a port, so `2001:db8::1:7946` is the address
/// `2001:db8::1:7946` on the bind port, not `2001:db8::1` on port 7946. This reads such an entry
/// as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinMember<'a> {
    /// A DNS service-discovery query, as written.
    Discovery(&'a str),
    /// A host (name, IPv4, or IPv6 without its brackets) and a port, if one is written.
    Host {
        /// The host, without brackets.
        host: &'a str,
        /// The port, when the entry gives one (memberlist's bind port otherwise).
        port: Option<u16>,
    },
}

/// Why a text is not a `memberlist.join_members` entry. The message is a clause: "has no host".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemberError {
    /// Nothing, or only a port.
    #[error("has no host")]
    NoHost,
    /// A `/` with no node name before it.
    #[error("has an empty node name before `/`")]
    EmptyNodeName,
    /// More than one colon without brackets.
    #[error(
        "has more than one colon without brackets: memberlist reads it as one IPv6 address on its bind port; write an IPv6 member as `[address]:port`"
    )]
    UnbracketedIpv6,
    /// A `[` without its `]`, or text after `]` that is not `:port`.
    #[error("has unbalanced brackets: write an IPv6 member as `[address]:port`")]
    Brackets,
    /// A port that is not a number from 0 to 65535.
    #[error("has the port {0:?}, which is not a number from 0 to 65535")]
    Port(String),
}

impl<'a> JoinMember<'a> {
    /// Reads one entry.
    ///
    /// ```
    /// use pyroscope_cluster_release::{JoinMember, MemberError};
    /// assert_eq!(
    ///     JoinMember::parse("[fd00::1]:7946"),
    ///     Ok(JoinMember::Host { host: "fd00::1", port: Some(7946) })
    /// );
    /// assert_eq!(JoinMember::parse("fd00::1:7946"), Err(MemberError::UnbracketedIpv6));
    /// ```
    pub fn parse(text: &'a str) -> Result<Self, MemberError> {
        if text.contains('+') {
            return Ok(Self::Discovery(text));
        }
        let text = match text.split_once('/') {
            Some(("", _)) => return Err(MemberError::EmptyNodeName),
            Some((_, rest)) => rest,
            None => text,
        };
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or(MemberError::Brackets)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or(MemberError::Brackets)?)),
            }
        } else if text.contains(['[', ']']) {
            return Err(MemberError::Brackets);
        } else {
            match text.matches(':').count() {
                0 => (text, None),
                1 => text.split_once(':').map(|(host, port)| (host, Some(port))).unwrap_or((text, None)),
                _ => return Err(MemberError::UnbracketedIpv6),
            }
        };
        if host.is_empty() {
            return Err(MemberError::NoHost);
        }
        let port = match port {
            None => None,
            Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                Some(port.parse().map_err(|_| MemberError::Port(port.to_owned()))?)
            }
            Some(port) => return Err(MemberError::Port(port.to_owned())),
        };
        Ok(Self::Host { host, port })
    }
}

impl JoinMember<'_> {
    /// Whether this entry is the member `host` on `port`, where an entry without a port means
    /// `bind_port` (memberlist's default): host names compare without case, IP literals as
    /// addresses (`fd00::1` is `fd00:0::1`).
    pub fn is(&self, host: &str, port: u16, bind_port: u16) -> bool {
        let Self::Host { host: mine, port: given } = self else { return false };
        if given.unwrap_or(bind_port) != port {
            return false;
        }
        match (mine.parse::<std::net::IpAddr>(), host.parse::<std::net::IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => mine.eq_ignore_ascii_case(host),
            _ => false,
        }
    }
}

impl fmt::Display for JoinMember<'_> {
    /// As memberlist joins it: `host:port` with IPv6 in brackets, `host` without a port.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Discovery(text) => f.write_str(text),
            Self::Host { host, port } => {
                if host.contains(':') {
                    write!(f, "[{host}]")?;
                } else {
                    f.write_str(host)?;
                }
                match port {
                    Some(port) => write!(f, ":{port}"),
                    None => Ok(()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expect: Result<(&str, Option<u16>), MemberError>) {
        let got = JoinMember::parse(text).map(|member| match member {
            JoinMember::Host { host, port } => (host, port),
            JoinMember::Discovery(text) => (text, None),
        });
        assert_eq!(got, expect, "{text:?}");
    }

    #[test]
    fn parse_table() {
        use MemberError::*;
        check("worker-0.worker-endpoints:7946", Ok(("worker-0.worker-endpoints", Some(7946))));
        check("10.0.0.1:7946", Ok(("10.0.0.1", Some(7946))));
        check("[fd00::1]:7946", Ok(("fd00::1", Some(7946))));
        check("[fd00::1]", Ok(("fd00::1", None)));
        check("worker-0", Ok(("worker-0", None)));
        check("node-a/10.0.0.1:7946", Ok(("10.0.0.1", Some(7946))));
        check("dns+pyroscope-memberlist:7946", Ok(("dns+pyroscope-memberlist:7946", None)));
        check("dnssrvnoa+_memberlist._tcp.pyroscope", Ok(("dnssrvnoa+_memberlist._tcp.pyroscope", None)));
        check("h:0", Ok(("h", Some(0))));
        check("h:65535", Ok(("h", Some(65535))));
        check("2001:db8::1:7946", Err(UnbracketedIpv6));
        check("fd00::1", Err(UnbracketedIpv6));
        check("", Err(NoHost));
        check(":7946", Err(NoHost));
        check("[]:7946", Err(NoHost));
        check("/h:1", Err(EmptyNodeName));
        check("[fd00::1:7946", Err(Brackets));
        check("[fd00::1]7946", Err(Brackets));
        check("h]:1", Err(Brackets));
        check("h:", Err(Port(String::new())));
        check("h:65536", Err(Port("65536".into())));
        check("h:-1", Err(Port("-1".into())));
        check("h:http", Err(Port("http".into())));
    }

    #[test]
    fn is_a_member() {
        let is = |text: &str, host: &str, port: u16| JoinMember::parse(text).unwrap().is(host, port, 7946);
        assert!(is("w-0.w-endpoints:7946", "w-0.w-endpoints", 7946));
        assert!(is("W-0.W-Endpoints:7946", "w-0.w-endpoints", 7946));
        assert!(is("w-0.w-endpoints", "w-0.w-endpoints", 7946), "no port: the bind port");
        assert!(is("[fd00:0::1]:7946", "fd00::1", 7946));
        assert!(is("10.0.0.1:7946", "10.0.0.1", 7946));
        assert!(!is("w-0.w-endpoints:7947", "w-0.w-endpoints", 7946));
        assert!(!is("w-0:7946", "w-0.w-endpoints", 7946));
        assert!(!is("10.0.0.1:7946", "10.0.0.2", 7946));
        assert!(!is("dns+w-0.w-endpoints:7946", "w-0.w-endpoints", 7946));
        assert!(!is("[::ffff:10.0.0.1]:7946", "w", 7946));
    }

    #[test]
    fn display_brackets_ipv6() {
        for text in ["[fd00::1]:7946", "h:7946", "h", "10.0.0.1:1", "dns+h:1"] {
            assert_eq!(JoinMember::parse(text).unwrap().to_string(), text);
        }
    }
}
