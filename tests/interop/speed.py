"""`pyroscope-cluster reconcile` beside the real Python library doing the same work, whole processes.

Writes a reconcile input of UNITS worker units over nine worker apps (the shape of the Rust
benchmarks' input, `crates/cli/benches/common/mod.rs`), then runs, ROUNDS times and interleaved so
that a machine's slow spell weighs on both alike:

- `BIN reconcile INPUT` (the release binary), three times per round;
- `reconcile_python.py INPUT` (coordinated-workers' `ClusterProvider`, in this interpreter's
  environment), once per round.

It prints each side's median wall time and their ratio. Run it in the environment of the Python
peer (`cargo xtask interop` makes one in `target/interop-venv`):

    cargo build --release -p pyroscope-cluster
    target/interop-venv/bin/python tests/interop/speed.py target/release/pyroscope-cluster

Pass `--json` for the figures as one JSON object.
"""

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent

sys.path.insert(0, str(HERE))
# The Pyroscope 1.x roles, one worker app each, as in the Rust benchmarks' input: the Python side's
# list (importing it loads the library, outside of any timing).
from reconcile_python import ROLES as APPS  # noqa: E402


def reconcile_input(units):
    """A reconcile input with `units` worker units over the nine apps, as the Python worker
    charm writes its databags (every value JSON text)."""
    relations = []
    for a, role in enumerate(APPS):
        app = f"pyroscope-{role}"
        count = units // len(APPS) + (1 if a < units % len(APPS) else 0)
        bags = {}
        for u in range(count):
            topology = {"application": app, "unit": f"{app}/{u}", "charm_name": "pyroscope-worker-k8s"}
            bags[f"{app}/{u}"] = {
                "address": json.dumps(f"{app}-{u}.{app}-endpoints.cos.svc.cluster.local"),
                "juju_topology": json.dumps(topology),
                "ingress-address": f"10.1.{a}.{u}",
            }
        relations.append(
            {"id": f"pyroscope-cluster:{a}", "app": app, "app_data": {"role": json.dumps(role)}, "units": bags}
        )
    s3 = {"endpoint": "minio:9000", "bucket_name": "p", "access_key_id": "a", "secret_access_key": "s"}
    return {"settings": {"s3": s3}, "relations": relations}


def timed(argv):
    """Wall time of one run of `argv`, its output discarded; a failure stops everything."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="the pyroscope-cluster release binary")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = pathlib.Path(scratch) / f"reconcile-{args.units}.json"
        path.write_text(json.dumps(reconcile_input(args.units)))
        rust, python = [], []
        for _ in range(args.rounds):
            python.append(timed([sys.executable, str(HERE / "reconcile_python.py"), str(path)]))
            rust.extend(timed([args.binary, "reconcile", str(path)]) for _ in range(3))
    figures = {
        "units": args.units,
        "rounds": args.rounds,
        "rust_median_s": statistics.median(rust),
        "python_median_s": statistics.median(python),
    }
    figures["ratio"] = figures["python_median_s"] / figures["rust_median_s"]
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{args.units} units, {args.rounds} rounds: Rust {figures['rust_median_s']:.3f} s, "
            f"Python {figures['python_median_s']:.2f} s (medians): {figures['ratio']:.1f}x"
        )


if __name__ == "__main__":
    main()
