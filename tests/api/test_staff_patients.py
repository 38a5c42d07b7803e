"""Clinic staff register patients, hand out enrollment codes and sign in for a token."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from rest_framework.test import APIClient

from diary import services
from diary.models import AccessToken, CheckIn, Clinic, EnrollmentCode, Patient
from tests.factories import PatientFactory, UserFactory, make_procedure, patient_token

PATIENTS = "/api/v1/patients/"
NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)


def detail(patient):
    return f"{PATIENTS}{patient.id}/"


def enroll(code):
    return APIClient().post("/api/v1/enroll/", {"code": code}, format="json")


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# --- Ids and times in one reading only ---------------------------------------------------


# Zero in Arabic-Indic, Persian, Devanagari and full-width digits.
@pytest.mark.parametrize("zero", ["\u0660", "\u06f0", "\u0966", "\uff10"])
def test_an_id_in_other_digits_is_not_found_not_read_as_that_number(as_cole, anas_block, zero):
    # Python's int() reads any Unicode digit, so these would find Ana and her block.
    digits = str.maketrans("0123456789", "".join(chr(ord(zero) + n) for n in range(10)))
    for collection, pk in (
        (PATIENTS, anas_block.patient_id),
        ("/api/v1/procedures/", anas_block.id),
    ):
        assert as_cole.get(f"{collection}{pk}/").status_code == 200
        other_digits = f"{collection}{str(pk).translate(digits)}/"
        assert as_cole.get(other_digits).status_code == 404, other_digits


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quiet_start", "22:00+02:00"),
        ("quiet_start", "22:00Z"),
        ("quiet_end", "08:00-05:00"),
        ("checkin_time", "08:30+01:00"),
        ("checkin_time", "\u0660\u0668:\u0663\u0660"),
    ],
)
def test_a_time_of_day_with_an_offset_or_other_digits_is_refused(as_cole, ana, field, value):
    # Quiet hours and check-in times are the patient's wall clock, in her own zone: an
    # offset given here would be dropped silently, and the hours kept would not be hers.
    before = (ana.quiet_start, ana.quiet_end, ana.checkin_time)
    changes = {"quiet_start": "21:00", "quiet_end": "07:00", field: value}

    response = as_cole.patch(detail(ana), changes, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    ana.refresh_from_db()
    assert (ana.quiet_start, ana.quiet_end, ana.checkin_time) == before


# --- Registering a patient --------------------------------------------------------------


def test_dr_cole_registers_ana_and_gets_a_one_time_code_that_enrols_her_phone(as_cole, north):
    with time_machine.travel(NOW, tick=False):
        response = as_cole.post(
            PATIENTS, {"display_name": "Ana Silva", "phone": "+447700900123"}, format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["display_name"] == "Ana Silva"
    assert body["status"] == "active"
    assert body["checkin_time"] == "10:00:00"
    assert datetime.fromisoformat(body["enrollment_code_expires_at"]) == NOW + timedelta(days=14)
    ana = Patient.objects.get(pk=body["id"])
    assert ana.clinic == north

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        enrolled = enroll(body["enrollment_code"])
        assert enrolled.status_code == 201, enrolled.json()
        assert enrolled.json()["patient"]["id"] == ana.id
        assert enroll(body["enrollment_code"]).status_code == 400  # the code works once


def test_the_code_is_shown_only_when_the_patient_is_created(as_cole):
    created = as_cole.post(PATIENTS, {"display_name": "Ana Silva"}, format="json").json()
    again = as_cole.get(f"{PATIENTS}{created['id']}/").json()
    assert "enrollment_code" not in again
    assert created["enrollment_code"] not in str(as_cole.get(PATIENTS).json())
    assert created["enrollment_code"] not in str(
        EnrollmentCode.objects.values_list("code_hash", flat=True)
    )


def test_a_new_patient_s_time_zone_is_the_clinic_s_unless_given(as_cole, as_omar):
    at_north = as_cole.post(PATIENTS, {"display_name": "Ana Silva"}, format="json")
    at_south = as_omar.post(PATIENTS, {"display_name": "Ana Silva"}, format="json")
    abroad = as_cole.post(
        PATIENTS, {"display_name": "Ben Okafor", "timezone": "Asia/Tokyo"}, format="json"
    )
    assert at_north.json()["timezone"] == "Europe/London"
    assert at_south.json()["timezone"] == "America/New_York"
    assert abroad.json()["timezone"] == "Asia/Tokyo"


def test_a_patient_can_have_a_check_in_time_of_half_past_eight(as_cole):
    response = as_cole.post(
        PATIENTS, {"display_name": "Ana Silva", "checkin_time": "08:30"}, format="json"
    )
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).checkin_time == time(8, 30)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "07700 900123"),
        ("phone", "+0447700900123"),
        ("timezone", "Mars/Olympus_Mons"),
        ("timezone", "BST"),
        ("email", "ana-at-example"),
        ("checkin_time", "25:00"),
        ("status", "archived"),
        ("on_anticoagulants", "yes"),
        ("display_name", ""),
    ],
)
def test_a_wrong_value_is_refused_naming_its_field(as_cole, field, value):
    body = {"display_name": "Ana Silva", field: value}
    response = as_cole.post(PATIENTS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Patient.objects.exists()


def test_a_patient_needs_a_name(as_cole):
    response = as_cole.post(PATIENTS, {"phone": "+447700900123"}, format="json")
    assert response.status_code == 400
    assert "display_name" in response.json()["fields"]


@pytest.mark.parametrize(
    ("field", "value"), [("clinic", 1), ("id", 99), ("created_at", "2026-01-01T00:00:00Z")]
)
def test_a_field_staff_cannot_set_is_refused_not_ignored(as_cole, field, value):
    response = as_cole.post(PATIENTS, {"display_name": "Ana Silva", field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


# --- Reading and listing --------------------------------------------------------------


def test_nurse_nia_sees_north_s_patients_by_name_paginated(as_nia, ana, ben):
    response = as_nia.get(PATIENTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [p["display_name"] for p in body["results"]] == ["Ana Silva", "Ben Okafor"]
    assert body["next"] is None

    first_page = as_nia.get(PATIENTS, {"page_size": 1}).json()
    assert [p["display_name"] for p in first_page["results"]] == ["Ana Silva"]
    assert first_page["next"] is not None
    second_page = as_nia.get(PATIENTS, {"page_size": 1, "page": 2}).json()
    assert [p["display_name"] for p in second_page["results"]] == ["Ben Okafor"]


def test_a_page_holds_at_most_two_hundred_patients(as_nia, north):
    Patient.objects.bulk_create(
        Patient(clinic=north, display_name=f"Patient {n:03}", timezone="Europe/London")
        for n in range(205)
    )
    body = as_nia.get(PATIENTS, {"page_size": 1000}).json()
    assert body["count"] == 205
    assert len(body["results"]) == 200
    assert body["next"] is not None


def test_a_page_past_the_end_is_not_found(as_nia, ana):
    assert as_nia.get(PATIENTS, {"page": 5}).status_code == 404


def test_patients_can_be_filtered_by_status(as_nia, ana, ben, as_cole):
    as_cole.patch(detail(ben), {"status": "ended"}, format="json")
    ended = as_nia.get(PATIENTS, {"status": "ended"}).json()
    assert [p["display_name"] for p in ended["results"]] == ["Ben Okafor"]
    assert as_nia.get(PATIENTS, {"status": "gone"}).status_code == 400


def test_dr_cole_reads_ana_s_record(as_cole, ana):
    response = as_cole.get(detail(ana))
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ana Silva"
    assert response.json()["timezone"] == "Europe/London"


def test_dr_cole_signed_in_with_a_session_can_use_the_api(dr_cole, ana):
    client = APIClient()
    client.force_login(dr_cole)
    assert client.get(PATIENTS).json()["count"] == 1


# --- Changing a patient -----------------------------------------------------------------


def test_dr_cole_corrects_ana_s_phone_number(as_cole, ana):
    response = as_cole.patch(detail(ana), {"phone": "+447700900999"}, format="json")
    assert response.status_code == 200
    ana.refresh_from_db()
    assert ana.phone == "+447700900999"
    assert ana.display_name == "Ana Silva"


def test_a_wrong_phone_on_a_correction_is_refused_naming_it(as_cole, ana):
    response = as_cole.patch(detail(ana), {"phone": "call me"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["phone"]


def test_ana_moving_to_new_york_re_plans_her_daily_check_ins_at_ten_her_time(as_cole, ana):
    with time_machine.travel(NOW, tick=False):
        block = make_procedure(ana, performed_at=NOW - timedelta(hours=2))
        before = {c.key: c.due_at for c in block.checkins.all()}
        response = as_cole.patch(detail(ana), {"timezone": "America/New_York"}, format="json")
    assert response.status_code == 200, response.json()
    after = {c.key: c.due_at for c in CheckIn.objects.filter(procedure=block)}
    assert after["h3"] == before["h3"]
    assert after["d1"] - before["d1"] == timedelta(hours=5)
    assert after["d1"].astimezone(ZoneInfo("America/New_York")).time() == time(10, 0)


def test_a_new_check_in_time_re_plans_the_days(as_cole, ana):
    with time_machine.travel(NOW, tick=False):
        block = make_procedure(ana, performed_at=NOW - timedelta(hours=2))
        response = as_cole.patch(detail(ana), {"checkin_time": "08:30"}, format="json")
    assert response.status_code == 200
    day_three = CheckIn.objects.get(procedure=block, key="d3")
    assert day_three.due_at == datetime(2026, 6, 13, 7, 30, tzinfo=UTC)


def test_ending_ana_s_diary_locks_her_phone_out(as_cole, ana, ben):
    ana_phone = bearer(patient_token(ana))
    ben_phone = bearer(patient_token(ben))
    assert ana_phone.get("/api/v1/me/").status_code == 200

    response = as_cole.patch(detail(ana), {"status": "ended"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "ended"
    assert ana_phone.get("/api/v1/me/").status_code == 401
    assert not AccessToken.objects.filter(patient=ana).exists()
    assert ben_phone.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("method", ["put", "delete"])
def test_patients_are_not_replaced_or_deleted_through_the_api(as_cole, ana, method):
    response = getattr(as_cole, method)(detail(ana), {"display_name": "Anna"}, format="json")
    assert response.status_code == 405
    assert Patient.objects.get(pk=ana.pk).display_name == "Ana Silva"


def test_the_patient_list_takes_no_delete_or_put(as_cole, ana):
    assert as_cole.delete(PATIENTS).status_code == 405
    assert as_cole.put(PATIENTS, {}, format="json").status_code == 405


# --- A new enrollment code ---------------------------------------------------------------


def test_a_new_code_voids_the_old_one(as_cole, ana):
    first = as_cole.post(f"{detail(ana)}enrollment-code/")
    second = as_cole.post(f"{detail(ana)}enrollment-code/")
    assert (first.status_code, second.status_code) == (201, 201)
    old, new = first.json()["enrollment_code"], second.json()["enrollment_code"]
    assert old != new
    assert enroll(old).status_code == 400
    assert enroll(new).status_code == 201


def test_a_code_expires_after_fourteen_days(as_cole, ana):
    with time_machine.travel(NOW, tick=False):
        code = as_cole.post(f"{detail(ana)}enrollment-code/").json()["enrollment_code"]
    with time_machine.travel(NOW + timedelta(days=14, seconds=1), tick=False):
        response = enroll(code)
    assert response.status_code == 400
    assert "expired" in response.json()["fields"]["code"][0]


def test_an_ended_patient_gets_no_new_code_and_her_old_one_does_not_enrol(as_cole, ana):
    old_code, _ = services.issue_enrollment_code(ana)
    as_cole.patch(detail(ana), {"status": "ended"}, format="json")
    response = as_cole.post(f"{detail(ana)}enrollment-code/")
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    assert enroll(old_code).status_code == 400


# --- Staff tokens ----------------------------------------------------------------------


TOKEN = "/api/v1/auth/token/"


def test_dr_cole_trades_his_password_for_a_token_that_works(dr_cole, ana):
    response = APIClient().post(
        TOKEN, {"username": "dr.cole", "password": "correct horse battery"}, format="json"
    )
    assert response.status_code == 200
    assert bearer(response.json()["token"]).get(PATIENTS).json()["count"] == 1


def test_a_wrong_password_gets_no_token(dr_cole):
    response = APIClient().post(TOKEN, {"username": "dr.cole", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not AccessToken.objects.exists()


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(dr_cole):
    wrong = APIClient().post(TOKEN, {"username": "dr.cole", "password": "x"}, format="json")
    nobody = APIClient().post(TOKEN, {"username": "nobody", "password": "x"}, format="json")
    assert (wrong.status_code, nobody.status_code) == (400, 400)
    assert wrong.json() == nobody.json()


def test_a_user_of_no_clinic_gets_no_token(db):
    UserFactory(username="visitor")
    response = APIClient().post(
        TOKEN, {"username": "visitor", "password": "correct horse battery"}, format="json"
    )
    assert response.status_code == 400
    assert not AccessToken.objects.exists()


def test_a_user_of_no_clinic_with_a_session_sees_nothing(db):
    visitor = UserFactory(username="visitor")
    client = APIClient()
    client.force_login(visitor)
    assert client.get(PATIENTS).status_code == 404


def test_a_token_request_needs_both_fields(db):
    response = APIClient().post(TOKEN, {"username": "dr.cole"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["fields"]


def test_the_sixth_sign_in_within_a_minute_is_throttled(dr_cole):
    with time_machine.travel(NOW, tick=False):
        client = APIClient()
        answers = [
            client.post(TOKEN, {"username": "dr.cole", "password": "wrong"}, format="json")
            for _ in range(5)
        ]
        assert {r.status_code for r in answers} == {400}
        right = {"username": "dr.cole", "password": "correct horse battery"}
        throttled = client.post(TOKEN, right, format="json")
        assert throttled.status_code == 429
        assert "Retry-After" in throttled
    with time_machine.travel(NOW + timedelta(minutes=1, seconds=1), tick=False):
        assert client.post(TOKEN, right, format="json").status_code == 200


def test_a_patient_of_another_clinic_is_not_in_north_s_list(as_cole, ana, south):
    PatientFactory(clinic=south, display_name="Sam South")
    names = [p["display_name"] for p in as_cole.get(PATIENTS).json()["results"]]
    assert names == ["Ana Silva"]
    assert Clinic.objects.count() == 2
