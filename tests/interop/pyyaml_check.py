#!/usr/bin/env python3
"""What PyYAML makes of the YAML text our emitter wrote (`cargo xtask interop` runs it).

    pyyaml_check.py CASES OUT

CASES is a JSON list of `{"value": <JSON value>, "yaml": <yaml::to_string_pyyaml(value)>}`. For
each case OUT gets `{"loaded": yaml.safe_load(yaml), "dumped": yaml.dump(loaded)}`; the xtask
compares `loaded` with `value` and `dumped` with `yaml`. A loaded value that JSON cannot carry
(a date, a float, a set...) is written as `{"$python": "<type>: <repr>"}`, which never equals a
case's value.
"""

import json
import sys

import yaml


def jsonable(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {key: jsonable(item) for key, item in value.items()}
    return {"$python": f"{type(value).__name__}: {value!r}"}


def check(case):
    try:
        loaded = yaml.safe_load(case["yaml"])
    except yaml.YAMLError as err:
        return {"loaded": {"$python": f"error: {err}"}, "dumped": ""}
    try:
        dumped = yaml.dump(loaded)
    except yaml.YAMLError as err:
        dumped = f"error: {err}"
    return {"loaded": jsonable(loaded), "dumped": dumped}


def main():
    cases_path, out_path = sys.argv[1:]
    with open(cases_path, encoding="utf-8") as cases:
        results = [check(case) for case in json.load(cases)]
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(results, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
