#!/usr/bin/env python3
"""Writes ../fixtures/python-vectors.json: what the deployed Python peer writes and reads.

Run with the real library installed (it is not needed to run the Rust tests, which read the
committed output):

    python3 -m venv /tmp/cw && /tmp/cw/bin/pip install 'coordinated-workers>=4,<5'
    /tmp/cw/bin/python crates/model/tests/python/gen_vectors.py

`cargo xtask interop` runs it in its pinned venv with an output path (`gen_vectors.py OUT`) and
fails on any difference from the committed file.

Two kinds of vectors:
- "encode": a value, and the databag `DatabagModel.dump()` writes for it. The Rust encoder must
  write the same bytes, and the Rust decoder must read them back to the same value.
- "decode": a raw databag, and what `DatabagModel.load()` makes of it (the value as `model_dump`
  gives it in JSON mode, or `null` when it raises). Rust must agree, except where a vector says
  why Rust is deliberately stricter (`"rust_rejects"`).
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
    "requirer-app": ClusterRequirerAppData,
    "requirer-unit": ClusterRequirerUnitData,
    "provider-app": ClusterProviderAppData,
}

TOPOLOGY = {
    "application": "pyroscope-worker",
    "unit": "pyroscope-worker/0",
    "charm_name": "pyroscope-worker-k8s",
}

CONFIG = """api:
  base-url: /cos-pyroscope
memberlist:
  bind_port: 7946
  join_members:
  - pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946
  - '[fd00::1]:7946'
storage:
  backend: s3
  s3:
    bucket_name: "pyro\\tscope"
    secret_access_key: "s3cr\u00e9t/\U0001F600"
"""

ENCODE = [
    ("requirer-app", {"role": "querier"}),
    ("requirer-app", {"role": "all"}),
    # The Python worker publishes ",".join(sorted(roles)).
    ("requirer-app", {"role": "all,querier"}),
    ("requirer-app", {"role": "ad-hoc-profiles,compactor,distributor,ingester,querier"}),
    ("requirer-unit", {"address": "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local", "juju_topology": TOPOLOGY}),
    ("requirer-unit", {"address": "10.1.2.3", "juju_topology": TOPOLOGY}),
    ("requirer-unit", {"address": "fd00::1", "juju_topology": {"application": "w\u00f6rker", "unit": "w\u00f6rker/12", "charm_name": "\u65e5\u672c\U0001F600\x7f\x00\n"}}),
    ("provider-app", {"worker_config": "foo: bar"}),
    ("provider-app", {"worker_config": ""}),
    ("provider-app", {"worker_config": CONFIG}),
    ("provider-app", {"worker_config": CONFIG, "worker_ports": []}),
    ("provider-app", {"worker_config": CONFIG, "worker_ports": [7946, 4040, 65535, 1]}),
    (
        "provider-app",
        {
            "worker_config": CONFIG,
            "loki_endpoints": {"loki/1": "http://loki-1:3100/loki/api/v1/push", "loki/0": "http://loki-0:3100/loki/api/v1/push"},
            "charm_tracing_receivers": {"otlp_http": "http://tempo:4318"},
            "workload_tracing_receivers": {"otlp_grpc": "tempo:4317", "jaeger_thrift_http": "http://tempo:14268"},
            "remote_write_endpoints": [{"url": "http://p:9090/api/v1/write"}, {"url": "http://q:9090/api/v1/write"}],
            "worker_ports": [4040, 7946],
            "ca_cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "server_cert": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
            "privkey_secret_id": "secret:cmn0vhv7n3es7ag2k7ug",
            "s3_tls_ca_chain": "-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n",
            "worker_labels": {"z-label": "1", "app.kubernetes.io/part-of": "pyroscope", "\u00fcber": "\u00e9"},
        },
    ),
    ("provider-app", {"worker_config": "a: 1", "loki_endpoints": {}, "worker_labels": {}, "remote_write_endpoints": []}),
]

T = json.dumps(TOPOLOGY)
DECODE = [
    # Juju's own keys and keys of future versions are ignored.
    ("requirer-unit", {"address": '"w0"', "juju_topology": T, "ingress-address": "10.1.2.3", "private-address": "10.1.2.3", "egress-subnets": "10.1.2.3/32", "future_key": "{}"}, None),
    # Any JSON spacing.
    ("requirer-unit", {"address": ' \n"w0"\t', "juju_topology": '{ "application":"a","unit" : "a/0" ,\n"charm_name":"c"}'}, None),
    # model and model_uuid, as in the interface's example, are accepted (and dropped by Python).
    ("requirer-unit", {"address": '"w0"', "juju_topology": '{"model": "m", "model_uuid": "1231234120941234", "application": "a", "unit": "a/2", "charm_name": "c"}'}, None),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '{"application": "a", "unit": "a/0", "charm_name": "c", "extra": 1}'}, None),
    ("requirer-unit", {"address": '"w0"'}, None),
    ("requirer-unit", {"juju_topology": T}, None),
    ("requirer-unit", {"address": "w0", "juju_topology": T}, None),
    ("requirer-unit", {"address": "3", "juju_topology": T}, None),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '{"application": "a", "unit": "a/0"}'}, None),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '{"application": "a", "unit": null, "charm_name": "c"}'}, None),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '"a"'}, None),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '["a", "a/0", "c"]'}, None),
    ("requirer-unit", {"address": '""', "juju_topology": T}, "an empty address is no address"),
    ("requirer-unit", {"address": '"http://w0:4040"', "juju_topology": T}, "an address is a bare host, not a URL"),
    ("requirer-unit", {"address": '"w0:7946"', "juju_topology": T}, "the coordinator adds the port"),
    ("requirer-unit", {"address": '"w 0"', "juju_topology": T}, "no white space in a host name"),
    ("requirer-unit", {"address": '"under_score.example"', "juju_topology": T}, "a host name is RFC 1123 labels: letters, digits, hyphens"),
    ("requirer-unit", {"address": '"w0"', "juju_topology": '{"application": "a", "application": "b", "unit": "a/0", "charm_name": "c"}'}, "a repeated key in an object is ambiguous (Python keeps the last)"),
    ("requirer-unit", {"address": '"\\ud800"', "juju_topology": T}, None),
    ("requirer-app", {"role": '"querier"'}, None),
    ("requirer-app", {"role": ' "querier" '}, None),
    ("requirer-app", {"role": "querier"}, None),
    ("requirer-app", {"role": "null"}, None),
    ("requirer-app", {"role": '["querier"]'}, None),
    ("requirer-app", {}, None),
    ("requirer-app", {"role": '"imposter"'}, "an unknown role is not part of the cluster (SPEC.md)"),
    ("requirer-app", {"role": '"querier, ingester"'}, "an unknown role is not part of the cluster (SPEC.md)"),
    ("requirer-app", {"role": '""'}, "a worker with no role is not part of the cluster"),
    ("provider-app", {"worker_config": '"foo: bar"'}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "null", "loki_endpoints": "null", "ca_cert": "null"}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "[]"}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": '["4040"]'}, "Rust reads JSON types strictly (pydantic's lax mode turns \"4040\" into 4040)"),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "[4040.0]"}, "Rust reads JSON types strictly (pydantic's lax mode turns 4040.0 into 4040)"),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "[0]"}, "a port is 1..=65535"),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "[65536]"}, "a port is 1..=65535"),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "[-1]"}, "a port is 1..=65535"),
    ("provider-app", {"worker_config": '"foo: bar"', "worker_ports": "4040"}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "loki_endpoints": '{"a": 1}'}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "loki_endpoints": '{"a": "x", "a": "y"}'}, "a repeated key in an object is ambiguous (Python keeps the last)"),
    ("provider-app", {"worker_config": '"foo: bar"', "remote_write_endpoints": '[{"url": "u", "extra": 1}]'}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "remote_write_endpoints": '[{"uri": "u"}]'}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "remote_write_endpoints": '[["u"]]'}, None),
    ("provider-app", {"worker_config": '"foo: bar"', "ca_cert": "NaN"}, None),
    ("provider-app", {"worker_config": "NaN"}, None),
    ("provider-app", {"worker_config": "foo: bar"}, None),
    ("provider-app", {"worker_config": "null"}, None),
    ("provider-app", {"ca_cert": '"x"'}, None),
]


def dumped(model):
    return model.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def main():
    out = {
        "generated_by": "crates/model/tests/python/gen_vectors.py",
        "library": f"coordinated-workers {version('coordinated-workers')}, cosl {version('cosl')}, pydantic {version('pydantic')}",
        "encode": [],
        "decode": [],
    }
    for kind, value in ENCODE:
        model = MODELS[kind](**value)
        databag = model.dump()
        # What Python writes it reads back to the same value.
        assert dumped(MODELS[kind].load(databag)) == dumped(model), (kind, value)
        out["encode"].append({"databag_kind": kind, "value": dumped(model), "databag": dict(databag)})
    for kind, databag, rust_rejects in DECODE:
        try:
            value = dumped(MODELS[kind].load(databag))
        except Exception:  # DataValidationError, as the coordinator and worker catch it
            value = None
        vector = {"databag_kind": kind, "databag": databag, "python": value}
        if rust_rejects:
            assert value is not None, f"{databag}: Python rejects it too, drop rust_rejects"
            vector["rust_rejects"] = rust_rejects
        out["decode"].append(vector)
    default = pathlib.Path(__file__).parent.parent / "fixtures" / "python-vectors.json"
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(out['encode'])} encode and {len(out['decode'])} decode vectors to {path}")


if __name__ == "__main__":
    main()
