"""A phone app's TypeScript client, generated from the schema with openapi-typescript, is
type-checked with ``tsc --strict`` against clients/typescript/phone-flow.ts, then that
script plays the phone flow against a live server.

Needs node and npm (and the npm registry for ``npm ci`` the first time): skipped locally
without them, a failure in CI (.ci/run installs them).
"""

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from diary import services
from tests.conftest import _require
from tests.factories import ClinicFactory, PatientFactory, StaffFactory, make_procedure

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "typescript"
BIN = PACKAGE / "node_modules" / ".bin"


def run(*command: str, timeout: int = 300) -> str:
    done = subprocess.run(
        command, cwd=PACKAGE, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """The schema as served, turned into TypeScript types inside the package."""
    tools = shutil.which("node") and shutil.which("npm")
    _require(bool(tools), "needs node and npm on PATH (the TypeScript client check)")
    # Under xdist the two tests can land on two workers: one installs and generates while
    # the other waits, rather than both writing node_modules and the types at once.
    with open(PACKAGE / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (BIN / "tsc").exists():
            run("npm", "ci", "--no-audit", "--no-fund")  # exactly package-lock.json's versions
        schema = tmp_path_factory.mktemp("schema") / "openapi.yml"
        call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
        run(str(BIN / "openapi-typescript"), str(schema), "--output", "generated/schema.d.ts")
    return PACKAGE


def test_the_generated_client_type_checks_against_the_phone_flow(generated_client):
    run(str(BIN / "tsc"), "--strict", "--noEmit", "-p", ".")


def test_the_phone_flow_script_plays_against_a_live_server(generated_client, live_server):
    north = ClinicFactory(name="North")
    dr_cole = StaffFactory(user__username="cole", clinic=north, is_clinician=True).user
    ana = PatientFactory(clinic=north, display_name="Ana Silva")
    make_procedure(ana, proceduralist=dr_cole)
    code, _ = services.issue_enrollment_code(ana)
    run(str(BIN / "tsc"), "--strict", "-p", ".")

    played = json.loads(run("node", "dist/phone-flow.js", live_server.url, code, timeout=60))

    assert played["patient"] == "Ana Silva"
    assert played["dueCheckins"] >= 1
    assert played["retryGaveSameEntry"] is True
    assert played["alertSeverity"] == "none"
    assert played["refusedFields"] == ["pain_score: Ensure this value is less than or equal to 10."]
    assert played["pushOpens"].startswith("checkin/")
    assert played["settingsCheckinTime"] == "18:30:00"
    assert played["settingsQuietHours"] == "22:00:00-07:00:00"
    assert played["batchStatuses"] == [201, 201, 200, 400]
    assert played["batchRefusedFields"] == [
        "pain_score: Ensure this value is less than or equal to 10."
    ]
    assert played["correctionOf"] == played["entryId"]
    assert played["correctedPainScore"] == 5
