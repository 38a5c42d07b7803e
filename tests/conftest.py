"""The named people of every test: Ana and Ben at North, Dr Cole, nurse Nia, and Omar
of another clinic, who must see nothing of North."""

import os
import socket

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.settings_test import per_worker
from diary import services
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    StaffFactory,
    make_procedure,
    patient_token,
)

IN_CI = os.environ.get("CI", "").lower() == "true"


def _require(available: bool, reason: str) -> None:
    """Skip a server-backed test locally; in CI a missing server is a failure, not a skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test against a real server: {reason}")
    pytest.skip(reason)


@pytest.fixture
def requires_postgres():
    _require(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    reachable = False
    if url:
        import redis

        try:
            reachable = redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError:
            reachable = False
    _require(reachable, "needs a Redis server: set REDIS_URL=redis://…")
    return per_worker(url)  # the cache's database: this test process's own


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def north(db):
    return ClinicFactory(name="North", timezone="Europe/London", phone="+442079460001")


@pytest.fixture
def south(db):
    return ClinicFactory(name="South", timezone="America/New_York", phone="+12125550100")


@pytest.fixture
def dr_cole(north):
    return StaffFactory(
        user__username="dr.cole", clinic=north, is_clinician=True, is_oncall=False
    ).user


@pytest.fixture
def nurse_nia(north):
    return StaffFactory(user__username="nia", clinic=north, is_clinician=False, is_oncall=True).user


@pytest.fixture
def ravi(north):
    """North's backup nurse."""
    return StaffFactory(
        user__username="ravi", user__email="ravi@north.example.org", clinic=north
    ).user


@pytest.fixture
def mara(north):
    """North's clinic admin."""
    return StaffFactory(
        user__username="mara", user__email="mara@north.example.org", clinic=north, is_admin=True
    ).user


@pytest.fixture
def omar(south):
    return StaffFactory(user__username="omar", clinic=south, is_clinician=True, is_admin=True).user


@pytest.fixture
def ana(north):
    return PatientFactory(clinic=north, display_name="Ana Silva", timezone="Europe/London")


@pytest.fixture
def ben(north):
    return PatientFactory(clinic=north, display_name="Ben Okafor", timezone="Europe/London")


@pytest.fixture
def anas_block(ana, dr_cole):
    """Ana's diagnostic lidocaine block, performed two hours ago, baseline pain 8."""
    return make_procedure(ana, proceduralist=dr_cole)


@pytest.fixture
def bens_block(ben, dr_cole):
    return make_procedure(ben, proceduralist=dr_cole, side="right")


def _client(token=None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def anon():
    return _client()


@pytest.fixture
def as_ana(ana):
    return _client(patient_token(ana))


@pytest.fixture
def as_ben(ben):
    return _client(patient_token(ben))


@pytest.fixture
def as_cole(dr_cole):
    return _client(services.issue_staff_token(dr_cole))


@pytest.fixture
def as_nia(nurse_nia):
    return _client(services.issue_staff_token(nurse_nia))


@pytest.fixture
def as_omar(omar):
    return _client(services.issue_staff_token(omar))


# --- Patient app helpers (appended for tests/api/test_patient_*.py) -------------------


@pytest.fixture
def entry_for():
    """A valid diary entry body for a block: a fresh client_id, recorded now, pain 2."""
    import uuid

    from django.utils import timezone

    def build(block, **overrides):
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": block.id,
            "recorded_at": timezone.now().isoformat(),
            "pain_score": 2,
        }
        body.update(overrides)
        return body

    return build


@pytest.fixture
def paging_hosts_resolve(monkeypatch):
    """Paging systems' hosts under the reserved example names resolve to a public address,
    as a real one would; the webhook URL is checked when saved."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host.endswith((".example", ".example.org")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def bearer():
    """An API client sending the given bearer token (or none)."""
    return _client


def advance_clock(now=None) -> tuple[int, int]:
    """Run beat's tick as the clock says; returns (check-ins made due, check-ins missed)."""
    from notifications.services import tick

    result = tick(now)
    return result["reminded"] + result["due_without_reminder"], result["missed"]
