"""The /metrics endpoint and where each process writes its counters (backend/metrics.py)."""

import os
from pathlib import Path

from backend.env import read_secret
from backend.settings_sections.base import VAR_DIR

# /metrics answers only with this bearer token; unset, it does not exist (404).
METRICS_TOKEN = read_secret("METRICS_TOKEN", default="")
# Where every process (gunicorn workers, prefork children, beat) writes its counters for
# /metrics to sum. Set here, before prometheus_client is first imported, when the environment
# does not say; an empty value keeps each process's counters to itself (the tests do).
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(VAR_DIR / "metrics")
if os.environ["PROMETHEUS_MULTIPROC_DIR"]:
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
else:  # prometheus_client goes multi-process on the variable's name alone, even empty
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]
