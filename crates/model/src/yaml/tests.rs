//! The YAML writer against serde_yaml: every string reads back as itself, every value round-trips,
//! and wherever both writers agree on how to write a string the documents are the same bytes.

use std::collections::BTreeMap;
use std::fmt;

use proptest::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use super::{from_str, to_string};

#[test]
fn style_and_order_do_not_change_the_value() {
    let block: Value = from_str("b: 1\na:\n  - x\n  - 'y'\n").unwrap();
    let flow: Value = from_str("{a: [x, \"y\"], b: 1}").unwrap();
    assert_eq!(block, flow);
    assert_eq!(block, json!({"a": ["x", "y"], "b": 1}));
}

#[test]
fn errors_say_where() {
    let err = from_str::<Value>("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(err.to_string().contains("line "), "{err}");
}

/// `value` is written as `expect`.
#[track_caller]
fn check<T: Serialize + ?Sized>(value: &T, expect: &str) {
    assert_eq!(to_string(value).unwrap(), expect);
}

/// `value` is written as serde_yaml writes it, byte for byte (or both fail alike).
#[track_caller]
fn same_as_serde_yaml<T: Serialize + ?Sized + fmt::Debug>(value: &T) {
    let ours = to_string(value).map_err(|err| err.to_string());
    let theirs = serde_yaml::to_string(value).map_err(|err| err.to_string());
    assert_eq!(ours, theirs, "{value:?}");
}

/// `s` reads back as itself wherever it stands: the document, a value, a key, a sequence item, a
/// nested mapping, a sequence of mappings.
#[track_caller]
fn round_trips(s: &str) {
    let text = to_string(s).unwrap();
    assert_eq!(from_str::<String>(&text).unwrap(), s, "{s:?} written as {text:?}");
    let value = json!({
        s: s,
        "k": [s, {s: [s], "n": {s: s}}, [s]],
        "nested": {"deeper": {s: {s: s}}},
    });
    let text = to_string(&value).unwrap();
    assert_eq!(from_str::<Value>(&text).unwrap(), value, "{s:?} written as {text:?}");
}

/// `s` is quoted, wherever it stands.
#[track_caller]
fn quoted(s: &str) {
    let text = to_string(s).unwrap();
    assert!(text.starts_with(['\'', '"']), "{s:?} written as {text:?}");
    let text = to_string(&json!({s: s})).unwrap();
    let key_quoted = text.trim_start_matches("? ").starts_with(['\'', '"']);
    assert!(key_quoted && text.trim_end().ends_with(['\'', '"']), "{s:?} as key and value: {text:?}");
}

/// Every case of a word: lower, upper, capitalized, and alternating.
fn cases(word: &str) -> Vec<String> {
    let capitalized = word[..1].to_uppercase() + &word[1..];
    let alternating =
        word.chars().enumerate().map(|(i, c)| if i % 2 == 0 { c } else { c.to_ascii_uppercase() }).collect();
    vec![word.to_owned(), word.to_uppercase(), capitalized, alternating]
}

/// Words some YAML version reads as null or a boolean.
const WORDS: &[&str] = &["null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"];

/// Numbers in every notation of YAML 1.1, 1.2, serde_yaml and Go's yaml.v3.
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "+1", "007", "0123", "-0", "+0", "1_000", "1__0", "12345678901234567890123", "0x1F", "0X1f",
    "0x_1F", "-0x1F", "+0x1F", "0o17", "0O17", "0o_7", "0b101", "0B1", "-0b1", "0b_1", "1.0", "1.", ".5", "+.5",
    "-.5", "1.5e3", "1e3", "1E3", "1e+3", "1e-3", "1.e5", ".5e3", "-1.5E-3", "1.2.3", "10.1.0.5", ".", "..", ".e+5",
    "1_000.5", "6.8523015e+5", "685.230_15e+03", "12:30", "1:20", "190:20:30", "190:20:30.15", "-12:30", "1:2:3.4",
    ".inf", ".Inf", ".INF", "-.inf", "+.inf", ".nan", ".NaN", ".NAN", ".iNf", ".nAn", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2002-1-2", "=", "<<",
];

/// Strings that start with an indicator, or hold one where it means something.
#[rustfmt::skip]
const INDICATORS: &[&str] = &[
    "-", "- a", "-a", "--", "---", "--- a", "...", "...a", "?", "? a", "?a", ":", ": a", ":a", ",", ",a", "[", "[a]",
    "]", "{", "{a: 1}", "}", "#", "#a", "# a", "&", "&a", "*", "*a", "!", "!a", "!!str", "|", "|a", ">", ">a", "'",
    "'a'", "\"", "\"a\"", "%", "%YAML", "@", "@a", "`", "`a`", "a:", "a::", "a: b", "a:b", "a :b", "a #b", "a#b",
    "a #", "a,b", "a, b", "a[0]", "a{b}", "a'b", "a\"b", "a\\b", "\\", "a|b", "a>b", "a&b", "a*b", "a!b", "a%b", "a@b",
    "a`b", "a?", "a?b", "a-", "a - b", "a -b", "<", "<a", "a=b", "==", "~a", "a~",
];

/// White space, line breaks, control characters, and Unicode.
#[rustfmt::skip]
const AWKWARD: &[&str] = &[
    "", " ", "  ", " a", "a ", " a ", "a  b", "\t", "\ta", "a\t", "a\tb", "\n", "\n\n", "a\n", "a\n\n", "a\n\n\n",
    "\na", "\n\na", " a\nb", "a\n b", "a \nb", "a\nb ", "a\n\nb", "a\n  \nb", "a\nb\n", "  a\n  b\n", "\r", "a\rb",
    "a\r\nb", "a\r\n", "\u{0}", "\u{1}", "\u{7}", "\u{8}", "\u{b}", "\u{c}", "\u{1b}", "\u{1f}", "\u{7f}", "\u{80}",
    "\u{85}", "a\u{85}b", "\u{9f}", "\u{a0}", "a\u{a0}", "\u{a0}a", "\u{2028}", "a\u{2028}b", "a\u{2029}b",
    "\u{feff}", "\u{feff}a", "a\u{feff}", "\u{fffe}", "\u{ffff}", "\u{e000}", "\u{fffd}", "\u{d7ff}", "café", "日本語",
    "Ελληνικά", "١٢٣", "１２３", "😀", "a😀b", "\u{10000}", "\u{10ffff}", "\u{1F600}\n\u{1F600}", "e\u{301}", "\u{200b}",
    "\u{202e}abc", "\u{3000}", "a\u{2003}b", "\"\\\n\t'", "'single'", "it's", "\\n", "\\u0041", "multi\nline\ntext\n",
    "# not a comment\n- not a list\nkey: not a map\n", "---\n...\n", "a\n---\nb", "trailing\n ",
    "lines\nwith trailing space \nx", "|\n>\n", "\n \n", " \n",
];

/// Realistic strings.
const REALISTIC: &[&str] = &[
    "[fd00::1]:7946",
    "fd00::1",
    "::1",
    "10.1.0.5:7946",
    "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946",
    "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
    "https://h/a/b?x=1#frag",
    "querier,query-frontend",
    "pyroscope-worker/0",
    "00000000-0000-4000-8000-000000000000",
    "12345678-1234-1234-1234-123456789012",
    "2h30m",
    "0s",
    "720h",
    "1h0m0s",
    "/pyroscope-data",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "v1.2.3",
    "1.2.3-rc1",
    "C:\\Windows",
    "$HOME",
    "a=b&c=d",
    "key=value; other",
];

fn tricky() -> impl Iterator<Item = String> {
    let words = WORDS.iter().flat_map(|w| cases(w));
    let strs = [NUMBERS, INDICATORS, AWKWARD, REALISTIC].into_iter().flatten().map(|s| (*s).to_owned());
    let controls = (0..0x20).chain(0x7f..0xa1).filter_map(char::from_u32).map(String::from);
    let long = ["k".repeat(128), "k".repeat(129), "é".repeat(100), "k ".repeat(600) + "k", "a\n".repeat(300)];
    words.chain(strs).chain(controls).chain(long)
}

#[test]
fn tricky_strings_round_trip() {
    for s in tricky() {
        round_trips(&s);
    }
}

#[test]
fn words_and_numbers_are_quoted_in_every_case() {
    for w in WORDS.iter().flat_map(|w| cases(w)) {
        quoted(&w);
    }
    for s in NUMBERS {
        quoted(s);
    }
    for indicator in "-?:,[]{}#&*!|>'\"%@`".chars() {
        quoted(&indicator.to_string());
        quoted(&format!("{indicator}a"));
    }
    for s in ["", " ", " a", "a ", "a: b", "a #b", "a:", "\t", "a\tb", "\u{85}", "\u{feff}", "😀", "\u{a0}"] {
        quoted(s);
    }
}

#[test]
fn quoting_styles() {
    // Plain where unambiguous, as serde_yaml.
    check("a", "a\n");
    check("10.1.0.5:7946", "10.1.0.5:7946\n");
    check("querier,query-frontend", "querier,query-frontend\n");
    check("café", "café\n");
    check("a#b", "a#b\n");
    check("it's", "it's\n");
    check("a\\b", "a\\b\n");
    // Single quotes for what would be read as something else, as serde_yaml.
    check("[fd00::1]:7946", "'[fd00::1]:7946'\n");
    check("", "''\n");
    check("true", "'true'\n");
    check("0123", "'0123'\n");
    check("1e3", "'1e3'\n");
    check("a: b", "'a: b'\n");
    check("'q'", "'''q'''\n");
    // ... and where serde_yaml would write plain but YAML 1.1 reads something else.
    check("yes", "'yes'\n");
    check("On", "'On'\n");
    check("y", "'y'\n");
    check("12:30", "'12:30'\n");
    check("1_000", "'1_000'\n");
    check("10.1.0.5", "'10.1.0.5'\n");
    check("2001-12-14", "'2001-12-14'\n");
    check("=", "'='\n");
    check("<<", "'<<'\n");
    check("-a", "'-a'\n");
    check("😀", "'😀'\n");
    // Double quotes with libyaml's escapes for the rest, as serde_yaml.
    check("a\tb", "\"a\\tb\"\n");
    check("\u{0}\u{7}\u{8}\u{b}\u{c}\r\u{1b}\u{85}", "\"\\0\\a\\b\\v\\f\\r\\e\\N\"\n");
    check("\u{1}\u{7f}\u{9f}\u{feff}\u{ffff}", "\"\\x01\\x7F\\x9F\\uFEFF\\uFFFF\"\n");
    check("a\u{2028}b\u{2029}", "\"a\\Lb\\P\"\n");
    check("\"\\\t", "\"\\\"\\\\\\t\"\n");
    check("a \nb", "\"a \\nb\"\n");
    // Literal blocks for lines, as serde_yaml.
    check("a\nb", "|-\n  a\n  b\n");
    check("a\nb\n", "|\n  a\n  b\n");
    check(&json!({"k": "a\n\nb\n\n"}), "k: |+\n  a\n\n  b\n\n");
    check(&json!({"k": " a\nb"}), "k: |2-\n   a\n  b\n");
    check(&json!(["\na"]), "- |2-\n\n  a\n");
    // At the root an indentation indicator would be read differently by YAML 1.2: double quotes.
    check(" a\nb", "\" a\\nb\"\n");
}

#[test]
fn layout() {
    check(&json!({}), "{}\n");
    check(&json!([]), "[]\n");
    check(&json!(null), "null\n");
    check(&(), "null\n");
    check(&None::<u8>, "null\n");
    check(&Some(true), "true\n");
    check(&json!({"a": {}, "b": [], "c": null, "d": false}), "a: {}\nb: []\nc: null\nd: false\n");
    check(&json!({"a": {"b": {"c": 1}}}), "a:\n  b:\n    c: 1\n");
    check(&json!({"a": ["x", "z"]}), "a:\n- x\n- z\n");
    check(&json!([{"a": 1, "b": [2]}, [3, [4]], [], {}]), "- a: 1\n  b:\n  - 2\n- - 3\n  - - 4\n- []\n- {}\n");
    check(&json!({"a": [{"b": "x\ny\n", "c": 1}]}), "a:\n- b: |\n    x\n    y\n  c: 1\n");
    check(&BTreeMap::from([(1, "a"), (-2, "b")]), "-2: b\n1: a\n");
    check(&BTreeMap::from([(true, 'x')]), "true: 'x'\n");
    check(&BTreeMap::from([(Some(()), ())]), "null: null\n");
    // Keys longer than 128 bytes, or on several lines, are explicit, as serde_yaml writes them.
    let long = "k".repeat(129);
    check(&json!({&long: {"a": [1]}}), &format!("? {long}\n: a:\n  - 1\n"));
    check(&json!({&long: [1, 2]}), &format!("? {long}\n: - 1\n  - 2\n"));
    check(&json!([{"a\nb": 1}]), "- ? |-\n    a\n    b\n  : 1\n");
    check(&BTreeMap::from([('\n', 1)]), "? \"\\n\"\n: 1\n");
}

#[test]
fn numbers_as_serde_yaml_writes_them() {
    check(
        &[1.0, 0.5, -0.0, 1e15, 1e16, 1e-5, 1.5e-7, 0.1 + 0.2],
        "- 1.0\n- 0.5\n- -0.0\n- 1000000000000000.0\n- 1e16\n- 0.00001\n- 1.5e-7\n- 0.30000000000000004\n",
    );
    check(&[f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY], "- .nan\n- .nan\n- .inf\n- -.inf\n");
    check(&[1e12f32, 1e13, 1e-6, 1e-5, f32::NAN], "- 1000000000000.0\n- 1e13\n- 0.000001\n- 0.00001\n- .nan\n");
    same_as_serde_yaml(&(u64::MAX, i64::MIN, u128::MAX, i128::MIN, 0u8, -1i8, 7u16, -7i32, 1.0f32, 2.5f64));
    same_as_serde_yaml(&[f64::MAX, f64::MIN, f64::MIN_POSITIVE, f64::EPSILON, 5e-324, 123456.789, 1e21, 1e22]);
    same_as_serde_yaml(&[f32::MAX, f32::MIN, f32::MIN_POSITIVE, f32::EPSILON, 1e-45, 0.1, 16777216.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn floats_as_serde_yaml_writes_them(bits in any::<u64>(), bits32 in any::<u32>()) {
        let (x, y) = (f64::from_bits(bits), f32::from_bits(bits32));
        prop_assert_eq!(to_string(&(x, y)).unwrap(), serde_yaml::to_string(&(x, y)).unwrap());
    }
}

/// Representative documents: both writers give the same bytes.
#[test]
fn representative_values_are_as_serde_yaml_writes_them() {
    let worker_config = "server:\n  http_listen_port: 4040\nmemberlist:\n  join_members:\n  - w-0:7946\n";
    let values = [
        json!({"provider": {"app": {"loki_endpoints": {"loki-0": "http://loki-0:3100/loki/api/v1/push"},
            "remote_write_endpoints": [{"url": "http://prometheus-0:9090/api/v1/write"}],
            "worker_config": worker_config, "worker_ports": [4040, 7946]}, "unit": {}},
            "requirer": {"app": {"role": "querier,query-frontend"},
            "unit": {"address": "pyroscope-worker-0.pyroscope-worker-endpoints", "juju_topology":
            {"application": "pyroscope-worker", "charm_name": "pyroscope-worker-k8s", "unit": "pyroscope-worker/0",
            "model_uuid": "00000000-0000-4000-8000-000000000000"}}}}),
        json!({"a": [1, [2, 3], {"b": [4], "c": {}}, [], {"d": "x\ny"}], "e": {"f": "g\n"}, "h": "a\n\nb", "i": "a\n\n"}),
        json!([[1, 2], {"a": 1, "b": [1]}, "x\ny", [[[]]], [{}], {"": ""}, {"k": [{"l": [{"m": null}]}]}]),
        json!({"strings": ["", "true", "null", "~", "0123", "1e3", "+1", ".5", "0x1F", "[fd00::1]:7946", "a: b",
            "a #b", "#x", "- x", "? x", "a\tb", "\u{1b}", " lead", "trail ", "it's", "'q'", "a\nb", "a\nb\n",
            "a\n\n", " a\nb", "\na", "café", "日本語", "-.inf", ".NaN"]}),
        json!({"true": 1, "1": 2, "": 3, "a b": 4, "a: b": 5, "[x]": 6, "a\tb": 7, "k".repeat(128): 8, "k".repeat(129): 9}),
        json!({"a\nb": [1], "c\nd\n": {"x": 1}}),
        json!("a\nb\n"),
        json!("plain"),
        json!(42),
        json!(1.5),
    ];
    for value in &values {
        same_as_serde_yaml(value);
    }
}

/// The provider's Pyroscope configurations, as its snapshots hold them: read, written again, the
/// same bytes, and the same bytes as serde_yaml's.
#[test]
fn provider_snapshots_are_written_back_byte_for_byte() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../provider/tests/snapshots");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let snap = std::fs::read_to_string(&path).unwrap();
        // An insta snapshot: a `---` header, `---`, then the document.
        let Some(yaml) = snap.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---\n")).map(|(_, body)| body)
        else {
            continue;
        };
        if !yaml.starts_with("api:") {
            continue;
        }
        let value: Value = from_str(yaml).unwrap();
        assert_eq!(to_string(&value).unwrap(), yaml, "{}", path.display());
        same_as_serde_yaml(&value);
        seen += 1;
    }
    assert!(seen >= 3, "only {seen} configuration snapshots in {}", dir.display());
}

/// Types shaped as the provider's configuration: renamed and skipped fields, unit enums as strings,
/// newtypes, values written with `collect_str`, `Option`s.
mod config {
    use std::fmt;

    use serde::{Serialize, Serializer};

    #[derive(Debug, Serialize)]
    pub(super) struct Config {
        pub(super) api: Api,
        pub(super) compactor: Compactor,
        pub(super) memberlist: Memberlist,
        pub(super) storage: Storage,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Api {
        #[serde(rename = "base-url", skip_serializing_if = "Option::is_none")]
        pub(super) base_url: Option<String>,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Compactor {
        pub(super) cleanup_interval: Period,
        pub(super) sharding_ring: Ring,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Ring {
        pub(super) kvstore: KvStore,
        pub(super) replication_factor: u32,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct KvStore {
        pub(super) store: Kind,
    }

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "lowercase")]
    pub(super) enum Kind {
        Memberlist,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Memberlist {
        pub(super) bind_port: Port,
        pub(super) join_members: Vec<String>,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Storage {
        pub(super) insecure: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub(super) region: Option<String>,
        pub(super) secret_access_key: String,
    }

    #[derive(Debug, Serialize)]
    pub(super) struct Port(pub(super) std::num::NonZeroU16);

    #[derive(Debug)]
    pub(super) struct Period(pub(super) u64);

    impl fmt::Display for Period {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{}h{}m", self.0 / 60, self.0 % 60)
        }
    }

    impl Serialize for Period {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(self)
        }
    }
}

fn config(units: usize, base_url: Option<&str>, region: Option<&str>) -> config::Config {
    use config::*;
    let port = std::num::NonZeroU16::new(7946).unwrap();
    let mut join_members: Vec<String> =
        (0..units).map(|u| format!("pyroscope-worker-{}-{u}.pyroscope-worker-endpoints.cos.svc:7946", u % 9)).collect();
    join_members.push("[fd00::17]:7946".into());
    join_members.push("10.1.2.3:7946".into());
    join_members.sort();
    Config {
        api: Api { base_url: base_url.map(str::to_owned) },
        compactor: Compactor {
            cleanup_interval: Period(150),
            sharding_ring: Ring { kvstore: KvStore { store: Kind::Memberlist }, replication_factor: 3 },
        },
        memberlist: Memberlist { bind_port: Port(port), join_members },
        storage: Storage {
            insecure: true,
            region: region.map(str::to_owned),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        },
    }
}

#[test]
fn config_shaped_values_are_as_serde_yaml_writes_them() {
    same_as_serde_yaml(&config(0, None, None));
    same_as_serde_yaml(&config(3, Some("/cos-pyroscope"), Some("eu-west-1")));
    same_as_serde_yaml(&config(10_000, Some("/a/b/"), None));
    check(
        &config(1, None, None),
        "api: {}\ncompactor:\n  cleanup_interval: 2h30m\n  sharding_ring:\n    kvstore:\n      store: memberlist\n    \
         replication_factor: 3\nmemberlist:\n  bind_port: 7946\n  join_members:\n  - 10.1.2.3:7946\n  - \
         '[fd00::17]:7946'\n  - pyroscope-worker-0-0.pyroscope-worker-endpoints.cos.svc:7946\nstorage:\n  insecure: \
         true\n  secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
}

#[derive(Debug, Serialize)]
enum Tagged {
    Newtype(u8),
    Tuple(u8, u8),
    Struct { x: u8 },
    Unit,
}

/// What this writer does not write goes to serde_yaml whole: the same bytes, or its error.
#[test]
fn unsupported_shapes_are_serde_yamls() {
    for value in [Tagged::Newtype(1), Tagged::Tuple(1, 2), Tagged::Struct { x: 1 }, Tagged::Unit] {
        same_as_serde_yaml(&value);
        same_as_serde_yaml(&[&value]);
    }
    // serde_yaml fails on some (a struct variant after another tagged item); so does this writer then.
    same_as_serde_yaml(&vec![Tagged::Newtype(1), Tagged::Tuple(1, 2), Tagged::Struct { x: 1 }, Tagged::Unit]);
    check(&vec![Tagged::Newtype(1)], "- !Newtype 1\n");
    same_as_serde_yaml(&BTreeMap::from([("a", Tagged::Newtype(1))]));
    same_as_serde_yaml(&BTreeMap::from([(vec![1, 2], "a")]));
    same_as_serde_yaml(&BTreeMap::from([(BTreeMap::from([("k", 1)]), "a")]));
    check(&Tagged::Unit, "Unit\n");
    struct Bytes;
    impl Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(b"abc")
        }
    }
    assert!(to_string(&Bytes).is_err());
}

#[test]
fn serialize_errors_are_returned() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("this value cannot be written"))
        }
    }
    let err = to_string(&BTreeMap::from([("a", vec![Fails])])).unwrap_err();
    assert_eq!(err.to_string(), "this value cannot be written");
}

/// Strings made to hit YAML's corners: pieces that mean something to YAML, and any character.
fn awkward_string() -> BoxedStrategy<String> {
    const PIECES: &[&str] = &[
        "", " ", "  ", ":", ": ", "#", " #", "-", "- ", "?", "? ", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">",
        "'", "\"", "%", "@", "`", "\\", "\n", "\n\n", "\t", "\r", "\u{85}", "\u{2028}", "\u{feff}", "\u{a0}", "~", "=",
        "<<", ".", "...", "---", "0", "1", "0x", "0o", "e", "e3", "_", "12:30", ".inf", "nan", "yes", "No", "null",
        "true", "y", "é", "😀", "a", "key",
    ];
    let piece = prop_oneof![
        3 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        2 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat()).boxed()
}

/// A JSON value: nested arrays and objects with awkward strings (and keys), integers, finite
/// floats, booleans and nulls.
fn value(string: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        string.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(string.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Strings both writers write alike: host names and `host:port`s, paths, words; and strings both
/// quote alike (numbers, `true`, IPv6 with a port, lines).
fn simple_string() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}(:[0-9]{1,5})?",
        "(/[a-z0-9_-]{1,6}){1,3}",
        "[a-zA-Z][a-zA-Z0-9_,/-]{0,12}",
        "[0-9]{1,6}",
        "\\[fd00::[0-9a-f]{1,4}\\]:[0-9]{1,5}",
        "[a-z]{1,6}(\n[a-z ]{0,6}[a-z]){1,3}\n?",
        proptest::sample::select(&["", "true", "false", "null", "~", "1e3", "+1", ".5", "0x1F", "a: b", "#x"][..])
            .prop_map(str::to_owned),
    ]
    .prop_filter("a word serde_yaml writes plain", |s| !plain_to_serde_yaml_only(s))
    .boxed()
}

/// Words serde_yaml writes plain and this writer quotes: YAML 1.1's booleans, and `null`, `true`
/// and `false` in cases YAML 1.2 does not read as null or booleans.
fn plain_to_serde_yaml_only(s: &str) -> bool {
    let yaml_12 = ["null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"];
    let word = ["null", "true", "false", "yes", "no", "on", "off", "y", "n"].iter().any(|w| s.eq_ignore_ascii_case(w));
    word && !yaml_12.contains(&s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_value_round_trips(v in value(awkward_string())) {
        let text = to_string(&v).unwrap();
        let back: Value = from_str(&text).map_err(|err| TestCaseError::fail(format!("{err}: {text:?}")))?;
        prop_assert_eq!(back, v, "written as {:?}", text);
    }

    #[test]
    fn any_string_round_trips(s in awkward_string()) {
        let text = to_string(&s).unwrap();
        prop_assert_eq!(from_str::<String>(&text).unwrap(), s.clone(), "written as {:?}", text);
        let map = BTreeMap::from([(s.clone(), vec![s.clone()])]);
        let text = to_string(&map).unwrap();
        prop_assert_eq!(from_str::<BTreeMap<String, Vec<String>>>(&text).unwrap(), map, "written as {:?}", text);
    }

    #[test]
    fn simple_values_are_as_serde_yaml_writes_them(v in value(simple_string())) {
        prop_assert_eq!(to_string(&v).unwrap(), serde_yaml::to_string(&v).unwrap());
    }
}

mod depth {
    use crate::yaml::{MAX_FLOW_DEPTH, flow_too_deep, from_str};

    #[track_caller]
    fn check(text: &str, expect: Option<usize>) {
        assert_eq!(flow_too_deep(text, 3), expect, "{text:?}");
    }

    #[test]
    fn flow_depth_table() {
        check("a: [[[1]]]", None);
        check("a: [[[[1]]]]", Some(1));
        check("a:\n  b: {c: [[[x]]]}", Some(2));
        check("a: '[[[[['", None);
        check("a: \"[[[[\\\"[[[[\"", None);
        check("a: \"\\\\\" \nb: [[[[1]]]]", Some(2));
        check("a: don't [[[[", Some(1));
        check("# [[[[[\na: 1", None);
        check("a: b#[[[[", Some(1));
        check("a: [1]]]]]]]] [[[", None);
        check("- '[fd00::1]:7946'\n- '[fd00::2]:7946'\n- '[fd00::3]:7946'\n- '[fd00::4]:7946'", None);
    }

    #[test]
    fn deep_flow_nesting_is_refused_at_once() {
        let deep = format!("a: {}{}", "[".repeat(40_000), "]".repeat(40_000));
        let err = from_str::<serde_json::Value>(&deep).unwrap_err();
        assert_eq!(err.to_string(), format!("flow collections nest deeper than {MAX_FLOW_DEPTH} levels at line 1"));
        let fine = format!("a: {}1{}", "[".repeat(100), "]".repeat(100));
        assert!(from_str::<serde_json::Value>(&fine).is_ok());
    }
}
