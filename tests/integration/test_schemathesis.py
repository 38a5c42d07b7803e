"""Schemathesis against the live schema of a real gunicorn, as each kind of caller: no
operation answers a 5xx, and every answer is one the schema declares (status, content type
and body), whatever is sent; the seed and budget are in tests/fuzz/schemathesis.toml.

Minutes long, so it runs in CI (CI=true) and locally only with FUZZ=true.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diary import services
from tests.dashboard import emergency
from tests.factories import patient_token
from tests.integration.web_server import gunicorn

CONFIG = Path(__file__).resolve().parents[1] / "fuzz" / "schemathesis.toml"
RUN = os.environ.get("CI", "").lower() == "true" or os.environ.get("FUZZ", "").lower() == "true"

pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN, reason="minutes long: runs in CI, or with FUZZ=true"),
]

# What each answer is held to. Not positive_data_acceptance: a request valid by the schema
# is still refused, rightly, for what no schema can say (a block id that is not the
# caller's, a client_id already used, a check-in answered already, a throttle).
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",  # what breaks the schema is refused, not quietly taken
]

# Each caller signing itself out would end its own run early; what it does is tested apart.
EXCLUDED_PATHS = ["/api/v1/auth/sign-out/"]


def fuzz(server, tmp_path: Path, caller: str, token: str | None) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{server.base_url}/api/v1/schema/",
        "--url",
        server.base_url,
        "--checks",
        ",".join(CHECKS),
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path / f"report-{caller}"),
    ]
    for path in EXCLUDED_PATHS:
        command += ["--exclude-path", path]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


@pytest.fixture
def callers(ana, anas_block, dr_cole, mara, nurse_nia):
    """Who calls, in this order: the admin last, as her writes change most for others."""
    emergency(anas_block)  # an alert to read, acknowledge and resolve
    return {
        "anonymous": None,
        "patient": patient_token(ana),
        "staff": services.issue_staff_token(dr_cole),
        "clinic-admin": services.issue_staff_token(mara),
    }


def test_every_operation_answers_as_the_schema_says_for_any_caller(
    requires_postgres, tmp_path, callers
):
    failures = {}
    with gunicorn(tmp_path, workers=2, threads=4) as server:
        for caller, token in callers.items():
            result = fuzz(server, tmp_path, caller, token)
            (tmp_path / f"schemathesis-{caller}.txt").write_text(result.stdout + result.stderr)
            # Shown with the test's output: how much was sent, for each caller.
            print(caller, *[line for line in result.stdout.splitlines() if "generated," in line])
            if result.returncode != 0:
                failures[caller] = result.stdout[-6000:] + result.stderr[-2000:]
        log = server.log_text()

    assert not failures, "\n\n".join(f"== {who}\n{out}" for who, out in failures.items())
    assert "Internal Server Error" not in log, log[-6000:]
