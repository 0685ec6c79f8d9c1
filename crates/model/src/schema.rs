//! JSON Schema of the types whose wire form `#[derive(schemars::JsonSchema)]` cannot see.
//!
//! [`Roles`](crate::Roles) (whose transform is beside it, in `role.rs`) and
//! [`Address`](crate::Address) are strings on the wire and
//! [`StringMap`](crate::StringMap) is an object, while their Rust fields are private and shaped
//! otherwise. They derive `JsonSchema` all the same, so that their name, title and description
//! come from the type and its doc comment like everywhere else, and a transform here replaces
//! the derived shape with the wire shape.
//!
//! The patterns must accept exactly the strings the types' parsers accept: the schema crate's
//! tests check that on generated data, both ways.

use schemars::Schema;
use serde_json::{Value, json};

/// Replaces what the derive wrote for the Rust struct (an object of its fields) with `shape`,
/// keeping the metadata (title, description).
pub(crate) fn reshape(schema: &mut Schema, shape: Value) {
    for keyword in ["type", "properties", "required", "additionalProperties"] {
        schema.remove(keyword);
    }
    if let Value::Object(shape) = shape {
        for (keyword, value) in shape {
            schema.insert(keyword, value);
        }
    }
}

/// [`StringMap`](crate::StringMap): an object of string to string. That a key may not repeat is
/// beyond JSON Schema (a parsed object has no repeated keys); the schema crate's validator checks
/// it on the JSON text.
pub(crate) fn string_map(schema: &mut Schema) {
    reshape(schema, json!({"type": "object", "additionalProperties": {"type": "string"}}));
}

/// [`Address`](crate::Address): a host name, an IPv4 literal or an IPv6 literal, each as its
/// parser in `address.rs` reads it.
pub(crate) fn address(schema: &mut Schema) {
    reshape(
        schema,
        json!({
            "type": "string",
            "anyOf": [
                {"title": "host name", "pattern": host_name_pattern()},
                {"title": "IPv4 literal", "pattern": format!("^{}$", ipv4())},
                {"title": "IPv6 literal", "pattern": ipv6_pattern()},
            ],
            "examples": ["pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local", "10.1.2.3", "fd00::1"],
        }),
    );
}

/// RFC 1123 labels of 1 to 63 letters, digits and hyphens, not starting or ending with a hyphen;
/// at most 253 characters without the one trailing dot an absolute name may have; and, as the
/// parser has it, a dotted name whose last label is all digits is no host name (a mistyped IPv4
/// literal). Lookaheads are ECMA 262, which JSON Schema's `pattern` is.
fn host_name_pattern() -> String {
    let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    format!(r"^(?=.{{1,253}}\.?$)(?!.*\.[0-9]+\.?$){label}(?:\.{label})*\.?$")
}

/// Dotted decimal, four octets of 0 to 255, no leading zero: what `Ipv4Addr::from_str` takes.
fn ipv4() -> String {
    let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    format!(r"(?:{octet}\.){{3}}{octet}")
}

/// What `Ipv6Addr::from_str` takes: eight groups of one to four hex digits, or fewer around one
/// `::` that stands for at least one group; the last two groups may be an IPv4 literal. No
/// brackets, no zone. Spelled out as one alternative per number of groups before the `::`.
fn ipv6_pattern() -> String {
    let g = "[0-9A-Fa-f]{1,4}";
    let v4 = ipv4();
    // Up to `n` groups, each followed by `:`.
    let groups_then_colon = |n: usize| if n == 0 { String::new() } else { format!("(?:{g}:){{0,{n}}}") };
    let mut alternatives = vec![format!("(?:{g}:){{7}}{g}"), format!("(?:{g}:){{6}}{v4}")];
    // `head` groups, `::`, then at most 7 - head groups in all (IPv4 counting as two).
    for head in 0..=7_usize {
        let prefix = if head == 0 { ":".to_owned() } else { format!("(?:{g}:){{{head}}}") };
        let tail = 6 - head.min(6);
        if head < 7 {
            alternatives.push(format!("{prefix}:(?:{}{g})?", groups_then_colon(tail)));
        } else {
            alternatives.push(format!("{prefix}:"));
        }
        if head <= 5 {
            alternatives.push(format!("{prefix}:{}{v4}", groups_then_colon(5 - head)));
        }
    }
    format!("^(?:{})$", alternatives.join("|"))
}
