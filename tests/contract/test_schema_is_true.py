"""The schema says what is true: real answers of the phone's and the clinic's flows,
validated against the component each operation declares in the generated schema."""

import uuid

import pytest

from diary import services
from notifications.models import Alert
from tests.contract.schema_check import assert_matches

API = "/api/v1"


@pytest.fixture
def phone(anon, ana, anas_block):
    """Ana's phone, enrolled through the API; the enrolment answer is checked too."""
    code, _ = services.issue_enrollment_code(ana)
    enrolled = anon.post(f"{API}/enroll/", {"code": code}, format="json")
    assert_matches(enrolled, "/api/v1/enroll/", "POST")
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {enrolled.json()['token']}")
    return anon


def test_the_phone_flow_answers_as_the_schema_says(phone, anas_block, entry_for):
    assert_matches(phone.get(f"{API}/me/"), "/api/v1/me/")
    assert_matches(phone.get(f"{API}/me/procedures/"), "/api/v1/me/procedures/")
    assert_matches(
        phone.get(f"{API}/me/procedures/{anas_block.id}/"), "/api/v1/me/procedures/{id}/"
    )
    due = phone.get(f"{API}/me/checkins/", {"status": "due"})
    assert_matches(due, "/api/v1/me/checkins/")
    checkin = due.json()["results"][0]
    assert_matches(phone.get(f"{API}/me/checkins/{checkin['id']}/"), "/api/v1/me/checkins/{id}/")

    calm = entry_for(anas_block, checkin=checkin["id"], pain_score=1)
    created = phone.post(f"{API}/me/entries/", calm, format="json")
    assert created.status_code == 201 and created.json()["alert"] is None
    assert_matches(created, "/api/v1/me/entries/", "POST")
    retried = phone.post(f"{API}/me/entries/", calm, format="json")
    assert retried.status_code == 200
    assert_matches(retried, "/api/v1/me/entries/", "POST")

    red_flag = entry_for(anas_block, bowel_bladder_change=True, temperature_celsius="38.5")
    alerted = phone.post(f"{API}/me/entries/", red_flag, format="json")
    assert alerted.json()["alert"] is not None
    assert_matches(alerted, "/api/v1/me/entries/", "POST")
    conflict = phone.post(f"{API}/me/entries/", {**calm, "pain_score": 7}, format="json")
    assert conflict.status_code == 409
    assert_matches(conflict, "/api/v1/me/entries/", "POST")
    refused = phone.post(f"{API}/me/entries/", {"pain_score": 11}, format="json")
    assert refused.status_code == 400
    assert_matches(refused, "/api/v1/me/entries/", "POST")

    assert_matches(phone.get(f"{API}/me/entries/"), "/api/v1/me/entries/")
    entry_id = created.json()["id"]
    assert_matches(phone.get(f"{API}/me/entries/{entry_id}/"), "/api/v1/me/entries/{id}/")
    assert_matches(phone.get(f"{API}/me/entries/999999/"), "/api/v1/me/entries/{id}/")

    device = {"platform": "fcm", "token": "fcm-token-of-anas-phone"}
    assert_matches(phone.post(f"{API}/me/devices/", device), "/api/v1/me/devices/", "POST")
    assert_matches(phone.post(f"{API}/me/devices/", device), "/api/v1/me/devices/", "POST")
    assert_matches(phone.get(f"{API}/me/devices/"), "/api/v1/me/devices/")


def test_a_phone_signed_out_or_never_signed_in_is_told_so_as_the_schema_says(anon, db):
    assert_matches(anon.get(f"{API}/me/"), "/api/v1/me/")
    anon.credentials(HTTP_AUTHORIZATION="Bearer no-such-token")
    assert_matches(anon.get(f"{API}/me/checkins/"), "/api/v1/me/checkins/")


def test_a_throttled_enrolment_answers_as_the_schema_says(anon, db):
    for _ in range(20):
        response = anon.post(f"{API}/enroll/", {"code": "WRONG-CODE"}, format="json")
        assert_matches(response, "/api/v1/enroll/", "POST")
        if response.status_code == 429:
            return
    pytest.fail("never throttled")


def test_the_clinic_flow_answers_as_the_schema_says(as_cole, as_nia, as_ana, ana, anas_block):
    assert_matches(as_cole.get(f"{API}/patients/"), "/api/v1/patients/")
    patient = {"display_name": "Eve Adams", "phone": "+447700900456", "checkin_time": "09:30"}
    created = as_cole.post(f"{API}/patients/", patient, format="json")
    assert_matches(created, "/api/v1/patients/", "POST")
    quiet = {"quiet_start": "22:00", "quiet_end": "07:00"}
    patched = as_cole.patch(f"{API}/patients/{ana.id}/", quiet, format="json")
    assert patched.json()["quiet_start"] == "22:00:00"
    assert_matches(patched, "/api/v1/patients/{id}/", "PATCH")
    nurse_writes = as_nia.patch(f"{API}/patients/{ana.id}/", quiet, format="json")
    assert nurse_writes.status_code == 403
    assert_matches(nurse_writes, "/api/v1/patients/{id}/", "PATCH")

    assert_matches(as_cole.get(f"{API}/procedures/"), "/api/v1/procedures/")
    block = f"{API}/procedures/{anas_block.id}"
    assert_matches(as_cole.get(f"{block}/"), "/api/v1/procedures/{id}/")
    assert_matches(as_cole.get(f"{block}/response/"), "/api/v1/procedures/{id}/response/")
    assert_matches(
        as_cole.get(f"{API}/patients/{ana.id}/rfa-readiness/"),
        "/api/v1/patients/{id}/rfa-readiness/",
    )

    red_flag = {
        "client_id": str(uuid.uuid4()),
        "procedure": anas_block.id,
        "recorded_at": anas_block.performed_at.isoformat(),
        "pain_score": 3,
        "bowel_bladder_change": True,
    }
    assert as_ana.post(f"{API}/me/entries/", red_flag, format="json").status_code == 201
    assert_matches(as_cole.get(f"{block}/entries/"), "/api/v1/procedures/{id}/entries/")
    alert = Alert.objects.get()
    assert_matches(as_nia.get(f"{API}/alerts/"), "/api/v1/alerts/")
    unread = as_nia.get(f"{API}/alerts/{alert.pk}/")
    assert unread.json()["acknowledged_by"] is None
    assert_matches(unread, "/api/v1/alerts/{id}/")
    acknowledged = as_nia.post(f"{API}/alerts/{alert.pk}/acknowledge/")
    assert_matches(acknowledged, "/api/v1/alerts/{id}/acknowledge/", "POST")
    resolved = as_nia.post(f"{API}/alerts/{alert.pk}/resolve/", {"note": "Seen in A&E."})
    assert_matches(resolved, "/api/v1/alerts/{id}/resolve/", "POST")

    assert_matches(as_cole.get(f"{API}/oncall/"), "/api/v1/oncall/")
    assert_matches(as_cole.get(f"{API}/oncall/shifts/"), "/api/v1/oncall/shifts/")
    assert_matches(
        as_cole.get(f"{API}/patients/{ana.id}/contact/"), "/api/v1/patients/{patient_id}/contact/"
    )
    assert_matches(as_cole.post(f"{block}/cancel/"), "/api/v1/procedures/{id}/cancel/", "POST")
    assert_matches(as_cole.get(f"{API}/clinic/"), "/api/v1/clinic/")
    assert_matches(
        as_cole.get(f"{API}/patients/{ana.id}/deliveries/"),
        "/api/v1/patients/{patient_id}/deliveries/",
    )


def test_the_health_check_answers_as_the_schema_says(anon, db):
    assert_matches(anon.get(f"{API}/health/"), "/api/v1/health/")
