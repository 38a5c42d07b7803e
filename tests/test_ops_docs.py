"""docs/ops: the Prometheus rules parse, and every metric they and the Grafana dashboard name
is one /metrics exports (a renamed metric would leave an alert that never fires)."""

import json
import re
from pathlib import Path

import pytest
import yaml
from prometheus_client import Counter, Histogram

from backend import metrics
from backend.metrics_view import STATE_METRICS

OPS = Path(__file__).resolve().parents[1] / "docs" / "ops"
SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def exported() -> set[str]:
    counted = {m._name for m in vars(metrics).values() if isinstance(m, Counter | Histogram)}
    return counted | set(STATE_METRICS)


def named_in(text: str) -> set[str]:
    found = set()
    for name in re.findall(r"\bdiary_[a-z_]+", text):
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        found.add(name)
    return found


@pytest.mark.parametrize("name", ["prometheus-rules.yml", "grafana-dashboard.json"])
def test_every_metric_the_ops_files_name_is_exported(name):
    text = (OPS / name).read_text()
    if name.endswith(".yml"):
        rules = yaml.safe_load(text)["groups"][0]["rules"]
        assert {"EmergencyUnacknowledged", "RemindersLate", "NoBeatTick"} <= {
            r["alert"] for r in rules
        }
    else:
        json.loads(text)

    assert named_in(text) - exported() == set()
