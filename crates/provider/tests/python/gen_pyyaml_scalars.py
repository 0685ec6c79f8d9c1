#!/usr/bin/env python3
"""Writes ../fixtures/pyyaml-scalars.json: how PyYAML's `yaml.dump` writes each of a set of strings
as a value of the `storage.s3` section, where the Canonical coordinator puts the S3 strings.

The parity proptest (`tests/parity.rs`) builds the text the Python coordinator renders from these
forms, independently of this crate. Only strings written the same after `region:` and after
`secret_access_key:` are kept (none folds at the 80th column). Regenerate with PyYAML installed:

    python3 crates/provider/tests/python/gen_pyyaml_scalars.py
"""

import json
import pathlib
import random

import yaml

ODD = [
    "", " ", "a", "a b", " lead", "trail ", "-", "-dash", "- a", "?", "? a", ":", "a: b", "a:b", "#", "#hash",
    "a #b", "a#b", ",", "[x]", "{y}", "&amp", "*star", "!bang", "|", ">", "'", "it's", '"', 'dq"x', "%pct", "@at",
    "`tick", "=", "<<", "~", "null", "Null", "true", "True", "false", "yes", "NO", "on", "off", "y", "n", "0",
    "00", "0123", "08", "0o17", "0x1F", "0b101", "+1", "-1", "1_000", "1e3", "1.0", ".5", ".inf", ".nan", "1:30",
    "12:60", "2001-12-14", "2001-12-14 21:59:43.10 -5", "1h30m", "90m", "a\\b", "a\tb", "a\nb", "a\n", "\x85",
    "\xa0", "ümlaut", "é", "日本", "\u2028", "\U0001F600", "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "not-a-real-secret", "eu-west-1", "garage", "us-east-1",
    "pyroscope", "profiles-2026", "b",
]

ALPHABET = list("abcxyz019 -_:#,'\"[]{}&*!|>%@`?=~.+\\/\t\n") + ["é", "\x85"]


def form(key, s):
    text = yaml.dump({"storage": {"s3": {key: s}}})
    prefix = f"storage:\n  s3:\n    {key}: "
    assert text.startswith(prefix) and text.endswith("\n"), text
    return text[len(prefix):-1]


def main():
    rng = random.Random(20260402)
    strings = ODD + ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 16))) for _ in range(300)]
    forms = {}
    for s in strings:
        short, long = form("region", s), form("secret_access_key", s)
        if short == long:
            forms[s] = short
    path = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "pyyaml-scalars.json"
    path.write_text(json.dumps(forms, indent=0, ensure_ascii=True, sort_keys=True) + "\n")
    print(f"wrote {len(forms)} strings to {path}")


if __name__ == "__main__":
    main()
