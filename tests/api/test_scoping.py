"""The wrong-person walk: every endpoint, called by everyone who must not reach North's data.

Omar (staff of South) gets 404 for every North object and empty lists; Ben (a North
patient) gets 404 for Ana's things; a patient token on a staff endpoint and a staff
token on a patient endpoint get 404; no token gets 401. A 404 says nothing about
whether the object exists, so an id cannot be probed.

The walk is checked against the URL conf: an endpoint added without a place here fails
``test_the_walk_covers_every_endpoint_of_the_api``.
"""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from diary import services
from diary.models import (
    CheckIn,
    Device,
    DiaryEntry,
    EnrollmentCode,
    Patient,
    PatientLink,
    Procedure,
    StaffMembership,
)
from notifications import oncall
from notifications.models import (
    Alert,
    AlertEvent,
    AlertSettings,
    ContactPreference,
    Delivery,
    OnCallShift,
    StaffDevice,
)
from tests.factories import PatientFactory, make_procedure

API = "/api/v1/"


@pytest.fixture
def north_data(ana, ben, dr_cole, anas_block, bens_block):
    """Ana's block, an entry answering its 2 h check-in, her phone, and Ben's block."""
    entry, _ = services.record_entry(
        patient=ana,
        data={
            "client_id": uuid.uuid4(),
            "procedure": anas_block,
            "recorded_at": timezone.now(),
            "pain_score": 2,
        },
    )
    device, _ = services.register_device(patient=ana, platform="fcm", token="ana-phone-token")
    services.issue_enrollment_code(ana)
    alarming, _ = services.record_entry(
        patient=ana,
        data={
            "client_id": uuid.uuid4(),
            "procedure": anas_block,
            "recorded_at": timezone.now(),
            "pain_score": 2,
            "saddle_numbness": True,
        },
    )
    shift = OnCallShift.objects.create(
        clinic=ana.clinic,
        user=dr_cole,
        role="primary",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=12),
    )
    staff_device, _ = oncall.register_staff_device(
        user=dr_cole, platform="fcm", token="cole-phone-token"
    )
    return {
        "alert": alarming.outcome.alert["id"],
        "shift": shift.id,
        "staff_device": staff_device.id,
        "ana": ana.id,
        "ben": ben.id,
        "block": anas_block.id,
        "bens_block": bens_block.id,
        "entry": entry.id,
        "checkin": entry.checkin_id,
        "device": device.id,
        "cole": dr_cole.id,
        "member": dr_cole.membership.id,
    }


def call(client, method, path, body, ids):
    return getattr(client, method)(API + path.format(**ids), body, format="json")


def _entry(ids):
    return {
        "client_id": str(uuid.uuid4()),
        "procedure": ids["block"],
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 1,
    }


def _block(ids):
    return {
        "patient": ids["ana"],
        "kind": "diagnostic_mbb",
        "levels": "L4-L5",
        "side": "left",
        "anesthetic": "lidocaine",
        "concentration_percent": "2",
        "volume_ml_per_level": "0.5",
        "performed_at": timezone.now().isoformat(),
        "baseline_pain": 7,
    }


# (method, path under /api/v1/, body): every staff endpoint, aimed at North's objects.
STAFF_OBJECT_ENDPOINTS = [
    ("get", "patients/{ana}/", None),
    ("patch", "patients/{ana}/", {"display_name": "Changed by someone"}),
    ("patch", "patients/{ana}/", {"timezone": "America/New_York"}),
    ("patch", "patients/{ana}/", {"status": "ended"}),
    ("post", "patients/{ana}/enrollment-code/", None),
    ("post", "patients/{ana}/web-link/", None),
    ("post", "patients/{ana}/revoke-access/", None),
    ("post", "patients/{ana}/start-link/", {"channel": "sms"}),
    ("get", "procedures/{block}/", None),
    ("patch", "procedures/{block}/", {"performed_at": "2026-01-01T09:00:00+00:00"}),
    ("patch", "procedures/{block}/", {"steroid": True}),
    ("post", "procedures/{block}/cancel/", None),
    ("get", "procedures/{block}/entries/", None),
    ("get", "procedures/{block}/response/", None),
    ("get", "patients/{ana}/rfa-readiness/", None),
    ("get", "patients/{ana}/fhir/", None),
    ("get", "procedures/{block}/fhir/", None),
    ("get", "procedures/{block}/report/", None),
    ("get", "patients/{ana}/data-export/", None),
    ("post", "patients/{ana}/erase/", {"confirm": True}),
    ("get", "patients/{ana}/deliveries/", None),
    ("get", "patients/{ana}/contact/", None),
    ("patch", "patients/{ana}/contact/", {"channel_order": "email"}),
    ("get", "alerts/{alert}/", None),
    ("post", "alerts/{alert}/acknowledge/", None),
    ("post", "alerts/{alert}/resolve/", {"note": "Resolved by someone else"}),
    ("get", "oncall/shifts/{shift}/", None),
    ("patch", "oncall/shifts/{shift}/", {"role": "backup"}),
    ("delete", "oncall/shifts/{shift}/", None),
    ("delete", "staff/devices/{staff_device}/", None),
    ("get", "staff/{member}/", None),
    ("patch", "staff/{member}/", {"first_name": "Changed", "is_admin": True}),
    ("post", "staff/{member}/deactivate/", None),
    ("post", "staff/{member}/reactivate/", None),
    ("post", "staff/{member}/resend-invitation/", None),
    ("post", "staff/{member}/works-again/", {"address": "phone"}),
]
STAFF_LISTS = [
    "patients/",
    "patients/?status=active",
    "procedures/",
    "procedures/?patient={ana}",
    "procedures/?status=performed",
    "alerts/",
    "alerts/?state=open",
    "oncall/shifts/",
]
STAFF_ENDPOINTS = [
    *STAFF_OBJECT_ENDPOINTS,
    *(("get", path, None) for path in STAFF_LISTS),
    ("post", "patients/", {"display_name": "Someone new"}),
    ("post", "procedures/", "block"),
    ("get", "oncall/", None),
    ("get", "clinic/", None),
    ("patch", "clinic/", {"urgent_delay_seconds": 60}),
    ("post", "oncall/shifts/", "shift"),
    ("post", "staff/devices/", {"platform": "fcm", "token": "a-staff-phone"}),
    # Not in STAFF_LISTS: Omar's own list of staff holds Omar; his invitation is to South.
    ("get", "staff/", None),
    # Omar's own clinic's diaries: an empty CSV, with its header.
    ("get", "exports/diaries/", None),
    ("get", "exports/diaries/?identified=true", None),
    # Not in STAFF_LISTS: Omar's own trail holds his own sign-in and reads.
    ("get", "audit/", None),
    ("get", "audit/?patient={ana}", None),
    ("get", "audit/export/", None),
    ("post", "staff/", {"email": "someone@south.example.org", "first_name": "Someone"}),
]
# Every phone-app endpoint, aimed at Ana's things.
PATIENT_ENDPOINTS = [
    ("get", "me/", None),
    ("get", "me/procedures/", None),
    ("get", "me/procedures/{block}/", None),
    ("get", "me/checkins/", None),
    ("get", "me/checkins/?status=answered", None),
    ("get", "me/checkins/{checkin}/", None),
    ("get", "me/entries/", None),
    ("get", "me/entries/{entry}/", None),
    ("post", "me/entries/", "entry"),
    ("post", "me/entries/batch/", "batch"),
    ("post", "me/entries/{entry}/correct/", "entry"),
    ("patch", "me/", {"checkin_time": "07:00", "channel_order": "sms"}),
    ("get", "me/devices/", None),
    ("post", "me/devices/", {"platform": "apns", "token": "a-new-phone"}),
    ("delete", "me/devices/{device}/", None),
]
PUBLIC_ENDPOINTS = [
    ("post", "enroll/", {"code": "ABCDE-FGHJK"}, 400),
    ("post", "auth/token/", {"username": "dr.cole", "password": "guess"}, 400),
    ("post", "auth/sign-out/", None, 401),
    ("get", "schema/", None, 200),
    ("get", "docs/", None, 200),
    ("get", "health/", None, 200),
    # Twilio's status callback: no token, only Twilio's signature, which an unsigned post lacks.
    ("post", "channels/twilio/status/", None, 403),
]


def _shift(ids):
    start = timezone.now()
    return {
        "user": ids["cole"],
        "role": "backup",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(),
    }


def body_for(body, ids):
    makers = {
        "entry": _entry,
        "batch": lambda ids: {"entries": [_entry(ids)]},
        "block": _block,
        "shift": _shift,
    }
    return makers[body](ids) if isinstance(body, str) else body


def walk_id(endpoint):
    method, path = endpoint[0], endpoint[1]
    return f"{method.upper()} {path}"


def snapshot():
    """Everything of North's a wrong caller might have changed."""
    return {
        "patients": list(Patient.objects.order_by("id").values()),
        "codes": list(EnrollmentCode.objects.order_by("id").values()),
        "links": list(PatientLink.objects.order_by("id").values()),
        "deliveries": list(Delivery.objects.order_by("id").values()),
        "procedures": list(Procedure.objects.order_by("id").values()),
        "checkins": list(CheckIn.objects.order_by("id").values()),
        "entries": list(DiaryEntry.objects.order_by("id").values()),
        "devices": list(Device.objects.order_by("id").values()),
        "contacts": list(ContactPreference.objects.order_by("id").values()),
        "alerts": list(Alert.objects.order_by("id").values()),
        "alert_events": list(AlertEvent.objects.order_by("id").values()),
        "shifts": list(OnCallShift.objects.filter(clinic__name="North").order_by("id").values()),
        "alerting": list(AlertSettings.objects.filter(clinic__name="North").values()),
        "staff_devices": list(
            StaffDevice.objects.filter(user__membership__clinic__name="North").values()
        ),
        "staff": list(StaffMembership.objects.filter(clinic__name="North").order_by("id").values()),
        "staff_users": list(
            get_user_model()
            .objects.filter(membership__clinic__name="North")
            .order_by("id")
            .values()
        ),
    }


# --- The walk covers the whole API --------------------------------------------------------


def _api_url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_url_names(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and prefix.startswith("api/v1/"):
            yield pattern.name


def test_the_walk_covers_every_endpoint_of_the_api(db):
    ids = dict.fromkeys(
        ("ana", "ben", "block", "bens_block", "entry", "checkin", "device", "alert", "shift"), 1
    )
    ids["member"] = 1
    ids["staff_device"] = 1
    walked = {
        resolve(API + path.split("?")[0].format(**ids)).url_name
        for _, path, *_ in [*STAFF_ENDPOINTS, *PATIENT_ENDPOINTS, *PUBLIC_ENDPOINTS]
    }
    every = set(_api_url_names(get_resolver().url_patterns))
    assert "procedure-cancel" in every  # the URL conf was really read
    assert walked == every


# --- Omar, staff of South -----------------------------------------------------------------


@pytest.mark.parametrize("endpoint", STAFF_OBJECT_ENDPOINTS, ids=walk_id)
def test_omar_gets_not_found_for_every_north_object(as_omar, north_data, endpoint):
    method, path, body = endpoint
    before = snapshot()
    response = call(as_omar, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", STAFF_OBJECT_ENDPOINTS, ids=walk_id)
def test_omar_cannot_tell_a_north_object_from_one_that_does_not_exist(
    as_omar, north_data, endpoint
):
    method, path, body = endpoint
    real = call(as_omar, method, path, body_for(body, north_data), north_data)
    missing_ids = {key: value + 10_000 for key, value in north_data.items()}
    missing = call(as_omar, method, path, body_for(body, missing_ids), missing_ids)
    assert (real.status_code, real.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize("path", STAFF_LISTS)
def test_omar_s_lists_show_nothing_of_north(as_omar, north_data, path):
    response = call(as_omar, "get", path, None, north_data)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["results"], body["next"]) == (0, [], None)


def test_omar_s_lists_show_his_own_clinic_s_patients_only(as_omar, north_data, south):
    PatientFactory(clinic=south, display_name="Sam South")
    body = as_omar.get(API + "patients/").json()
    assert [p["display_name"] for p in body["results"]] == ["Sam South"]


def test_omar_cannot_register_a_block_for_ana(as_omar, north_data):
    before = snapshot()
    response = as_omar.post(API + "procedures/", _block(north_data), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["patient"]
    # The same answer as for a patient who does not exist: no way to probe Ana's id.
    nobody = {**_block(north_data), "patient": north_data["ana"] + 10_000}
    refused = as_omar.post(API + "procedures/", nobody, format="json").json()["fields"]["patient"][
        0
    ]
    assert refused.replace(str(north_data["ana"] + 10_000), "ID") == response.json()["fields"][
        "patient"
    ][0].replace(str(north_data["ana"]), "ID")
    assert snapshot() == before


def test_omar_cannot_name_dr_cole_as_proceduralist_of_his_own_patient(as_omar, north_data, south):
    sam = PatientFactory(clinic=south, display_name="Sam South")
    body = {**_block(north_data), "patient": sam.id, "proceduralist": north_data["cole"]}
    response = as_omar.post(API + "procedures/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["proceduralist"]
    assert not Procedure.objects.filter(patient=sam).exists()


def test_after_omar_s_whole_walk_nothing_of_north_has_changed(as_omar, north_data):
    ana = Patient.objects.get(pk=north_data["ana"])
    block = Procedure.objects.get(pk=north_data["block"])
    before = snapshot()
    for method, path, body in STAFF_ENDPOINTS:
        call(as_omar, method, path, body_for(body, north_data), north_data)
    after = snapshot()
    # Omar's own POST /patients/ made a South patient; nothing else may differ.
    new_patients = [p for p in after["patients"] if p not in before["patients"]]
    assert [p["display_name"] for p in new_patients] == ["Someone new"]
    assert {k: v for k, v in after.items() if k not in ("patients", "codes")} == {
        k: v for k, v in before.items() if k not in ("patients", "codes")
    }
    assert [p for p in after["patients"] if p["id"] != new_patients[0]["id"]] == before["patients"]
    assert [c for c in after["codes"] if c["patient_id"] != new_patients[0]["id"]] == before[
        "codes"
    ]
    ana.refresh_from_db()
    block.refresh_from_db()
    assert (ana.display_name, ana.timezone, ana.status) == ("Ana Silva", "Europe/London", "active")
    assert (block.status, block.steroid) == ("performed", False)


# --- Ben, another patient of North ---------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint",
    [
        ("get", "me/procedures/{block}/", None),
        ("get", "me/checkins/{checkin}/", None),
        ("get", "me/entries/{entry}/", None),
        ("delete", "me/devices/{device}/", None),
    ],
    ids=walk_id,
)
def test_ben_gets_not_found_for_ana_s_things(as_ben, north_data, endpoint):
    method, path, body = endpoint
    before = snapshot()
    response = call(as_ben, method, path, body, north_data)
    assert response.status_code == 404
    assert snapshot() == before
    assert Device.objects.filter(pk=north_data["device"], patient_id=north_data["ana"]).exists()


def test_ben_s_lists_hold_only_his_own_things(as_ben, north_data):
    def results(path):
        response = call(as_ben, "get", path, None, north_data)
        assert response.status_code == 200, path
        return response.json()["results"]

    bens_block = north_data["bens_block"]
    assert [p["id"] for p in results("me/procedures/")] == [bens_block]
    assert {c["procedure"] for c in results("me/checkins/")} == {bens_block}
    assert results("me/checkins/?procedure={block}") == []
    assert results("me/entries/") == []
    assert results("me/entries/?procedure={block}") == []
    assert results("me/devices/") == []


def test_ben_cannot_write_an_entry_into_ana_s_block(as_ben, north_data):
    response = as_ben.post(API + "me/entries/", _entry(north_data), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["procedure"]
    assert not DiaryEntry.objects.filter(patient_id=north_data["ben"]).exists()


def test_ben_cannot_answer_ana_s_check_in_from_his_own_block(as_ben, north_data):
    body = {**_entry(north_data), "procedure": north_data["bens_block"]}
    body["checkin"] = CheckIn.objects.get(procedure_id=north_data["block"], key="h3").id
    response = as_ben.post(API + "me/entries/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["checkin"]
    assert CheckIn.objects.get(pk=body["checkin"]).status == "upcoming"


def test_ben_registering_ana_s_push_token_moves_it_to_his_phone_not_hers(as_ben, north_data):
    """A push token belongs to the phone: whoever registers it last gets the reminders."""
    response = as_ben.post(
        API + "me/devices/", {"platform": "fcm", "token": "ana-phone-token"}, format="json"
    )
    assert response.status_code == 200
    assert Device.objects.get(pk=north_data["device"]).patient_id == north_data["ben"]


# --- The wrong kind of caller ---------------------------------------------------------------


@pytest.mark.parametrize("endpoint", STAFF_ENDPOINTS, ids=walk_id)
def test_a_patient_token_on_a_staff_endpoint_is_not_found(as_ana, north_data, endpoint):
    method, path, body = endpoint
    before = snapshot()
    response = call(as_ana, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", PATIENT_ENDPOINTS, ids=walk_id)
def test_a_staff_token_on_a_patient_endpoint_is_not_found(as_cole, north_data, endpoint):
    method, path, body = endpoint
    before = snapshot()
    response = call(as_cole, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", PATIENT_ENDPOINTS, ids=walk_id)
def test_a_staff_session_on_a_patient_endpoint_is_not_found(dr_cole, north_data, endpoint):
    method, path, body = endpoint
    client = APIClient()
    client.force_login(dr_cole)
    response = call(client, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", [*STAFF_ENDPOINTS, *PATIENT_ENDPOINTS], ids=walk_id)
def test_no_token_is_unauthorised_everywhere(anon, north_data, endpoint):
    method, path, body = endpoint
    before = snapshot()
    response = call(anon, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", [*STAFF_ENDPOINTS, *PATIENT_ENDPOINTS], ids=walk_id)
def test_a_made_up_token_is_unauthorised_everywhere(north_data, endpoint):
    method, path, body = endpoint
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    response = call(client, method, path, body_for(body, north_data), north_data)
    assert response.status_code == 401


@pytest.mark.parametrize("endpoint", PUBLIC_ENDPOINTS, ids=walk_id)
def test_enrolment_sign_in_schema_and_docs_need_no_token(anon, north_data, endpoint):
    method, path, body, expected = endpoint
    response = call(anon, method, path, body, north_data)
    assert response.status_code == expected


def test_ana_s_phone_is_locked_out_once_her_diary_ends(as_ana, as_cole, north_data):
    assert as_ana.get(API + "me/").status_code == 200
    as_cole.patch(API + "patients/{ana}/".format(**north_data), {"status": "ended"}, format="json")
    for method, path, body in PATIENT_ENDPOINTS:
        response = call(as_ana, method, path, body_for(body, north_data), north_data)
        assert response.status_code == 401, f"{method} {path}"


def test_a_token_of_a_deactivated_staff_member_stops_working(as_nia, nurse_nia, north_data):
    assert as_nia.get(API + "patients/").status_code == 200
    nurse_nia.is_active = False
    nurse_nia.save(update_fields=["is_active"])
    assert as_nia.get(API + "patients/").status_code == 401


def test_ben_s_block_is_his_own_to_read(as_ben, north_data):
    """The walk's control: the same calls on one's own things succeed."""
    assert as_ben.get(API + "me/procedures/{bens_block}/".format(**north_data)).status_code == 200
    later = make_procedure(Patient.objects.get(pk=north_data["ben"]))
    assert later.performed_at <= timezone.now() + timedelta(seconds=1)
    listed = [p["id"] for p in as_ben.get(API + "me/procedures/").json()["results"]]
    assert set(listed) == {north_data["bens_block"], later.id}
