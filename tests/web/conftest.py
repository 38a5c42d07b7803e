"""Patients and links for the web check-in's tests: Ana's block performed at 08:00, the
clock at 10:03 (her 2 h check-in open), and the link her 2 h reminder carried."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from diary import services
from diary.models import CheckIn
from notifications.models import OnCallShift
from tests.factories import PatientFactory, make_procedure

# The local SMTP server (aiosmtpd) the notifications tests page staff through.
from tests.notifications.conftest import smtp_server, smtp_settings  # noqa: F401

BLOCK = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
NOW = BLOCK + timedelta(hours=2, minutes=3)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def north_999(north):
    north.emergency_number = "999"
    north.save(update_fields=["emergency_number"])
    return north


@pytest.fixture
def ana(north_999):
    return PatientFactory(
        clinic=north_999, display_name="Ana Silva", timezone="Europe/London", phone="+447700900123"
    )


@pytest.fixture
def ben(north_999):
    return PatientFactory(
        clinic=north_999, display_name="Ben Okafor", timezone="Europe/London", phone="+447700900456"
    )


@pytest.fixture
def lucia(north_999):
    return PatientFactory(
        clinic=north_999, display_name="Lucía Romero", timezone="Europe/Madrid", language="es"
    )


@pytest.fixture
def block_of(clock, dr_cole):
    def make(patient, **fields):
        return make_procedure(patient, proceduralist=dr_cole, performed_at=BLOCK, **fields)

    return make


@pytest.fixture
def link_to():
    """The path of a fresh link for the patient (and check-in), as a reminder carries it."""

    def make(patient, checkin: CheckIn | None = None) -> str:
        (token,) = services.issue_links([(patient.pk, checkin.pk if checkin else None)])
        return f"/c/{token}"

    return make


@pytest.fixture
def browser():
    """A browser without JavaScript: plain GETs and form POSTs, with CSRF checks on."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def nia_on_call(north_999, nurse_nia):
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save(update_fields=["email"])
    return OnCallShift.objects.create(
        clinic=north_999,
        user=nurse_nia,
        role="primary",
        starts_at=BLOCK - timedelta(hours=12),
        ends_at=BLOCK + timedelta(days=3),
    )


def csrf_of(page) -> str:
    """The CSRF token of a form page, as the browser would send it back."""
    marker = b'name="csrfmiddlewaretoken" value="'
    start = page.content.index(marker) + len(marker)
    return page.content[start : page.content.index(b'"', start)].decode()


def client_id_of(page) -> str:
    marker = b'name="client_id" value="'
    start = page.content.index(marker) + len(marker)
    return page.content[start : page.content.index(b'"', start)].decode()
