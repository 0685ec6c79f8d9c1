#!/usr/bin/env python3
"""Writes ../fixtures/pyyaml-vectors.json: what PyYAML's `yaml.dump` writes for a set of values.

The Canonical Pyroscope coordinator renders `worker_config` with `yaml.dump(config)` (PyYAML,
default settings: keys sorted, width 80, ASCII only). `yaml::to_string_pyyaml` must write the same
bytes; the Rust tests read the committed output (they do not need Python). Regenerate with PyYAML
installed (the Python peer's environment has it):

    python3 crates/model/tests/python/gen_pyyaml_vectors.py

Each vector is `{"value": <JSON value>, "yaml": <yaml.dump(value)>}`. The strings are the odd ones
(every YAML 1.1 type word, indicators, quotes, escapes, non-ASCII, line breaks) and random ones
from a hostile alphabet, each as a document, a mapping value at several depths, a key, and a list
item, and long ones that fold at the 80th column.
"""

import json
import pathlib
import random

import yaml

ODD = [
    "", " ", "  ", "a", "a b", " a", "a ", "a  b", "-", "--", "---", "...", "- a", "-a", "-dash", "?", "? a",
    "?a", ":", ": a", "a:", "a: b", "a:b", "a :b", "#", "# a", "a #b", "a#b", ",", "a,b", "[x]", "{y}", "a[b]",
    "]", "}", "&a", "*a", "!a", "|", ">", "'", "''", "it's", '"', 'dq"x', "%pct", "@at", "`tick", "=", "<<",
    "~", "null", "Null", "NULL", "nULL", "true", "True", "TRUE", "tRUE", "false", "yes", "Yes", "YES", "no",
    "No", "on", "On", "ON", "off", "Off", "y", "Y", "n", "N", "0", "00", "07", "08", "09", "0123", "0o17", "0x1F",
    "0X1F", "0b101", "0b2", "+1", "-1", "1_000", "1__0", "_1", "1e3", "1e+3", "1.0e+3", "1.e3", "1.5", ".5", "5.",
    ".", "+.5", "-.5", ".inf", "-.inf", "+.inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "inf", "nan", "1:30",
    "1:30.5", "190:20:30", "12:60", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
    "2001-12-14 21:59:43.10", "2001-1-1", "2001-01-01x", "1h30m", "90m", "30d", "0s", "720h", "2y", "1w", "15m",
    "a\\b", "a\tb", "\t", "a\nb", "a\n", "\na", "a\n\nb", "a \nb", "a\n b", "\n", "\r", "a\rb", "\x00", "\x07",
    "\x1b", "\x7f", "\x85", "\xa0", "ümlaut", "é", "日本", "\u2028", "\u2029", "\ufeff", "\U0001F600",
    "\ue000", "\ufffd", "a\u00a0b", "fd00::1", "[fd00::1]:7946", "10.0.0.1:7946", "host:7946",
    "s3.eu-west-1.amazonaws.com", "http://minio:9000", "/cos-pyroscope", "/model-name-pyroscope/",
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "trail ", " lead", "a  ", "1 2",
    "a - b", "a ? b", "a | b", "a > b", "a % b", "a & b", "a * b", "a ! b", "a -", "a ?", "a :", "x: ", "x:  y",
]

ALPHABET = list("abcxyz019 -_:#,'\"[]{}&*!|>%@`?=~.+\\/\t\n") + ["é", "\x85", "\u2028", "日", "\x01"]


def random_strings(rng, count, max_len):
    for _ in range(count):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, max_len)))


def long_strings(rng):
    """Strings that fold: words around the 80th column, at several indents, in every style."""
    words = ["a", "bb", "ccc", "it's", "é", "x\"y", "longword" * 3, "  ", "12", "z"]
    for n in range(20):
        yield " ".join(rng.choice(words) for _ in range(rng.randint(10, 40)))
    for width in range(70, 90, 3):
        yield "w" * width
        yield ("w " * width)[:width]
        yield ("é " * width)[:width]
        yield ("' " * width)[:width]
    yield "a" * 200
    yield ("word " * 40).strip()
    yield ("word  " * 30).strip()
    yield "x " * 50
    yield "é" * 100
    yield "a\nb " * 30
    # Around the longest simple key: PyYAML writes a key as `? key` from 123 characters on
    # (`Emitter.check_simple_key`: the key plus its `!!str` tag under 128).
    for n in range(120, 131):
        yield "k" * n
        yield ("key " * 40)[:n]


def contexts(s):
    """`s` as a document, mapping values at depths 1 to 4, a key, list items."""
    yield s
    yield {"k": s}
    yield {"storage": {"s3": {"secret_access_key": s}}}
    yield {"a": {"b": {"c": {"d": s}}}}
    yield {s: 1}
    yield {"memberlist": {"join_members": [s, "x"]}}
    yield [s]


def some_contexts(s):
    """Fewer places, for the random strings."""
    yield {"k": s}
    yield {"storage": {"s3": {"secret_access_key": s}}}
    yield {s: [s]}


def main():
    rng = random.Random(20260401)
    strings = [(s, contexts) for s in ODD + list(long_strings(rng))]
    strings += [(s, some_contexts) for s in random_strings(rng, 300, 12)]
    strings += [(s, some_contexts) for s in random_strings(rng, 40, 90)]
    vectors = []
    seen = set()
    for s, places in strings:
        for value in places(s):
            text = yaml.dump(value)
            key = json.dumps(value, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            vectors.append({"value": value, "yaml": text})
    # Other scalars and shapes the coordinator's config has.
    for value in [
        {"api": {}, "b": [], "n": None, "t": True, "f": False, "i": 0, "j": 7946, "neg": -3},
        {"z": {"y": {"x": [1, 2, {"a": "b"}]}}, "l": [[1], [], {}]},
        [],
        {},
        0,
        None,
        True,
    ]:
        vectors.append({"value": value, "yaml": yaml.dump(value)})
    out = {
        "generator": "crates/model/tests/python/gen_pyyaml_vectors.py",
        "pyyaml": yaml.__version__,
        "vectors": vectors,
    }
    path = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "pyyaml-vectors.json"
    lines = [json.dumps(vector, ensure_ascii=True, separators=(",", ":")) for vector in vectors]
    head = json.dumps({k: v for k, v in out.items() if k != "vectors"}, ensure_ascii=True)[:-1]
    path.write_text(head + ', "vectors": [\n' + ",\n".join(lines) + "\n]}\n")
    print(f"wrote {len(vectors)} vectors to {path}")


if __name__ == "__main__":
    main()
