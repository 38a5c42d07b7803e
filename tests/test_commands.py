"""The management commands a new clinic and a new developer start with."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from diary import services
from diary.models import Clinic, DiaryEntry, Patient, Procedure, StaffMembership


def run(command, *args, **kwargs) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, **kwargs)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_loads_north_with_its_people_and_ana_s_block():
    output = run("seed_demo")
    north = Clinic.objects.get(name="North")
    assert set(north.patients.values_list("display_name", flat=True)) == {"Ana Silva", "Ben Okafor"}
    roles = {m.user.username: m for m in StaffMembership.objects.filter(clinic=north)}
    assert roles["dr.cole"].is_clinician and roles["nia"].is_oncall
    block = Procedure.objects.get(patient__display_name="Ana Silva")
    assert block.entries.count() == 4
    assert "dr.cole" in output and "Enrollment code for Ben Okafor" in output


@pytest.mark.django_db
def test_seed_demo_twice_adds_nothing_but_a_fresh_working_code():
    first = run("seed_demo")
    counts = (Patient.objects.count(), Procedure.objects.count(), DiaryEntry.objects.count())
    second = run("seed_demo")
    assert (
        Patient.objects.count(),
        Procedure.objects.count(),
        DiaryEntry.objects.count(),
    ) == counts
    old_code = first.rsplit("Ben Okafor: ", 1)[1].split()[0]
    new_code = second.rsplit("Ben Okafor: ", 1)[1].split()[0]
    assert old_code != new_code
    with pytest.raises(services.DiaryError):
        services.enroll(old_code)
    patient, _ = services.enroll(new_code)
    assert patient.display_name == "Ben Okafor"


@pytest.mark.django_db
def test_create_clinic_makes_an_admin_who_can_log_in(monkeypatch, client):
    monkeypatch.setenv("CLINIC_ADMIN_PASSWORD", "a-long-enough-pass-123")
    run("create_clinic", name="East", timezone="Europe/Paris", username="erin")
    membership = StaffMembership.objects.get(user__username="erin")
    assert membership.clinic.name == "East" and membership.clinic.timezone == "Europe/Paris"
    assert membership.is_clinician and membership.is_oncall and membership.is_admin
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "erin", "password": "a-long-enough-pass-123"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["token"]


@pytest.mark.django_db
def test_create_clinic_without_the_password_variable_says_so(monkeypatch):
    monkeypatch.delenv("CLINIC_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="CLINIC_ADMIN_PASSWORD"):
        run("create_clinic", name="East", timezone="Europe/Paris", username="erin")
    assert not Clinic.objects.filter(name="East").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("timezone", "password", "message"),
    [
        ("Mars/Base", "a-long-enough-pass-123", "timezone"),
        ("Europe/Paris", "short", "too short"),
    ],
)
def test_create_clinic_refuses_bad_input_and_creates_nothing(
    monkeypatch, timezone, password, message
):
    monkeypatch.setenv("CLINIC_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        run("create_clinic", name="East", timezone=timezone, username="erin")
    assert not Clinic.objects.filter(name="East").exists()
    assert not get_user_model().objects.filter(username="erin").exists()


@pytest.mark.django_db
def test_seed_demo_alerts_puts_nia_on_call_and_opens_bens_alert_once(
    django_capture_on_commit_callbacks,
):
    from notifications.models import Alert, OnCallShift

    run("seed_demo")
    with django_capture_on_commit_callbacks(execute=False):
        run("seed_demo_alerts")
        run("seed_demo_alerts")
    assert set(OnCallShift.objects.values_list("user__username", "role")) == {
        ("nia", "primary"),
        ("dr.cole", "backup"),
    }
    alert = Alert.objects.get()
    assert (alert.patient.display_name, alert.rule, alert.state) == (
        "Ben Okafor",
        "numbness_persisting",
        "open",
    )
    # pytest-django's e-mail backend counts as a working channel: Nia is paged once.
    # Ben's leg still numb after 4 h: the on-call nurse and the proceduralist (rules v2).
    assert sorted(alert.deliveries.values_list("staff__username", "channel")) == [
        ("dr.cole", "email"),
        ("nia", "email"),
    ]


def test_seed_demo_alerts_needs_seed_demo_first(db):
    with pytest.raises(CommandError, match="run seed_demo first"):
        run("seed_demo_alerts")
