#!/usr/bin/env python3
"""Records, in ../../src/compat-cases.json, whether the deployed Python peer accepts each case.

Each case is a raw databag (every value JSON text, as Juju holds it). The verdict is whether the
Python model's `DatabagModel.load()` returns (true) or raises (false). The Rust tests do not run
Python: they read the recorded verdicts. Run this after adding a case, with the real library
installed:

    python3 -m venv /tmp/cw && /tmp/cw/bin/pip install 'coordinated-workers>=4,<5'
    /tmp/cw/bin/python xtask/tests/python/record_verdicts.py          # rewrite verdicts
    /tmp/cw/bin/python xtask/tests/python/record_verdicts.py --check  # fail if one changed
"""

import json
import pathlib
import sys
from importlib.metadata import version

from coordinated_workers.interfaces.cluster import (
    ClusterProviderAppData,
    ClusterRequirerAppData,
    ClusterRequirerUnitData,
)

MODELS = {
    "provider.app": ClusterProviderAppData,
    "requirer.app": ClusterRequirerAppData,
    "requirer.unit": ClusterRequirerUnitData,
}

PATH = pathlib.Path(__file__).resolve().parents[2] / "src" / "compat-cases.json"


def accepts(databag: str, data: dict) -> bool:
    try:
        MODELS[databag].load(dict(data))
    except Exception:  # DataValidationError, and anything else a reader would die of
        return False
    return True


def main() -> int:
    check = "--check" in sys.argv[1:]
    document = json.loads(PATH.read_text())
    changed = []
    for case in document["cases"]:
        verdict = accepts(case["databag"], case["data"])
        if case.get("python") != verdict:
            changed.append(f'{case["name"]}: recorded {case.get("python")}, Python says {verdict}')
            case["python"] = verdict
    document["python"] = ", ".join(
        f"{name} {version(name)}" for name in ("coordinated-workers", "cosl", "pydantic")
    )
    if check:
        for line in changed:
            print(line, file=sys.stderr)
        return 1 if changed else 0
    PATH.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    for line in changed:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
