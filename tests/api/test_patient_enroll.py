"""Enrolling the phone: Ana trades the clinic's one-time code for her bearer token."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from diary import services
from diary.models import AccessToken, EnrollmentCode, Patient, PatientStatus

ENROLL = "/api/v1/enroll/"
WRONG_CODE = "AAAAA-AAAAA"


def enrol(client, code):
    return client.post(ENROLL, {"code": code}, format="json")


def assert_refused_on_code(response, reason_word):
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["code"]
    assert reason_word in response.json()["fields"]["code"][0]


def test_ana_enrols_with_her_code_and_the_token_opens_her_diary(anon, ana, bearer):
    code, _ = services.issue_enrollment_code(ana)

    response = enrol(anon, code)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"token", "patient"}
    assert body["patient"] == {
        "id": ana.id,
        "display_name": "Ana Silva",
        "timezone": "Europe/London",
        "language": "en",
        "checkin_time": "10:00:00",
        "quiet_start": "22:00:00",
        "quiet_end": "08:00:00",
        "channel_order": "push,sms,email",
        "clinic": {"name": "North", "phone": "+442079460001"},
    }
    me = bearer(body["token"]).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["id"] == ana.id


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(str.lower, id="lower-case"),
        pytest.param(lambda code: code.replace("-", ""), id="without-dash"),
        pytest.param(lambda code: code.replace("-", "").lower(), id="lower-case-without-dash"),
        pytest.param(lambda code: f"  {code} ", id="with-spaces-around"),
    ],
)
def test_ana_may_type_her_code_in_lower_case_or_without_the_dash(anon, ana, typed):
    code, _ = services.issue_enrollment_code(ana)

    response = enrol(anon, typed(code))

    assert response.status_code == 201, response.content
    assert response.json()["patient"]["id"] == ana.id


def test_a_used_code_does_not_enrol_a_second_phone(anon, ana):
    code, _ = services.issue_enrollment_code(ana)
    assert enrol(anon, code).status_code == 201

    assert_refused_on_code(enrol(anon, code), "already been used")
    assert AccessToken.objects.filter(patient=ana).count() == 1


def test_a_new_code_from_dr_cole_voids_the_old_one(anon, ana, as_cole):
    old_code, _ = services.issue_enrollment_code(ana)
    issued = as_cole.post(f"/api/v1/patients/{ana.id}/enrollment-code/")
    assert issued.status_code == 201
    new_code = issued.json()["enrollment_code"]

    assert_refused_on_code(enrol(anon, old_code), "not valid")
    assert enrol(anon, new_code).status_code == 201


@pytest.mark.parametrize(
    ("days_later", "expected_status"),
    [pytest.param(13, 201, id="13-days-works"), pytest.param(15, 400, id="15-days-expired")],
)
def test_a_code_expires_after_fourteen_days(anon, ana, days_later, expected_status):
    code, _ = services.issue_enrollment_code(ana)

    with time_machine.travel(timezone.now() + timedelta(days=days_later), tick=False):
        response = enrol(anon, code)

    assert response.status_code == expected_status, response.content
    if expected_status == 400:
        assert_refused_on_code(response, "expired")
        assert not AccessToken.objects.filter(patient=ana).exists()


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(WRONG_CODE, id="well-formed-but-wrong"),
        pytest.param("hello", id="gibberish"),
        pytest.param("", id="empty"),
        pytest.param("A" * 33, id="too-long"),
        pytest.param("KXT4R\x009WPHA", id="nul-character"),
        pytest.param(7, id="number-not-string"),
        pytest.param(None, id="null"),
        pytest.param(["KXT4R-9WPHA"], id="list"),
    ],
)
def test_a_wrong_code_is_refused_naming_the_code_field(anon, ana, typed):
    services.issue_enrollment_code(ana)

    response = enrol(anon, typed)

    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["code"]
    assert response.json()["code"][0]
    assert not AccessToken.objects.filter(patient=ana).exists()


def test_a_misspelt_key_is_named_rather_than_ignored(anon, ana):
    response = anon.post(ENROLL, {"cod": WRONG_CODE}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"cod": ["Unknown field."]}


def test_a_missing_code_is_named(anon, ana):
    response = anon.post(ENROLL, {}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"code": ["This field is required."]}


def test_a_sixth_attempt_in_a_minute_is_throttled_even_with_the_right_code(anon, ana):
    code, _ = services.issue_enrollment_code(ana)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            assert enrol(anon, WRONG_CODE).status_code == 400
        throttled = enrol(anon, code)
        assert throttled.status_code == 429
        assert int(throttled["Retry-After"]) > 0

        clock.shift(timedelta(seconds=61))
        assert enrol(anon, code).status_code == 201, "the throttled try must not use the code"


def test_ana_cannot_enrol_once_her_diary_has_ended(anon, ana):
    code, _ = services.issue_enrollment_code(ana)
    services.update_patient(ana, status=PatientStatus.ENDED)

    assert_refused_on_code(enrol(anon, code), "not valid")
    assert not AccessToken.objects.filter(patient=ana).exists()
    assert EnrollmentCode.objects.get(patient=ana).used_at is None


def test_ending_anas_diary_locks_out_her_phone(as_ana, ana):
    assert as_ana.get("/api/v1/me/").status_code == 200

    services.update_patient(ana, status=PatientStatus.ENDED)

    assert as_ana.get("/api/v1/me/").status_code == 401


def test_a_token_that_outlived_the_end_of_the_diary_is_still_refused(as_ana, ana):
    # Status changed behind the service's back (admin bulk edit, SQL): the token row
    # survives, so authentication itself must check the status.
    Patient.objects.filter(pk=ana.pk).update(status=PatientStatus.ENDED)
    assert AccessToken.objects.filter(patient=ana).exists()

    response = as_ana.get("/api/v1/me/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_guesser_cannot_dodge_the_limit_by_rotating_x_forwarded_for(anon, ana):
    """No proxy is trusted by default (TRUSTED_PROXIES=0): the header is the client's word."""
    with time_machine.travel(timezone.now(), tick=False):
        tries = [
            anon.post(
                ENROLL, {"code": WRONG_CODE}, format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}"
            ).status_code
            for n in range(6)
        ]

    assert tries == [400] * 5 + [429]
