"""Bearer tokens end: a phone signs out, a staff token unused for STAFF_TOKEN_IDLE_HOURS stops
working (each use restarts the clock, written at most once a minute)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from diary import services
from diary.models import AccessToken
from tests.factories import patient_token

SIGN_OUT = "/api/v1/auth/sign-out/"


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_anas_phone_signs_out_and_its_token_stops_working(ana):
    phone = bearer(patient_token(ana))
    assert phone.get("/api/v1/me/").status_code == 200

    assert phone.post(SIGN_OUT).status_code == 204

    assert phone.get("/api/v1/me/").status_code == 401
    assert not AccessToken.objects.filter(patient=ana).exists()


def test_a_staff_token_used_within_the_idle_time_keeps_working(dr_cole, settings):
    settings.STAFF_TOKEN_IDLE_HOURS = 12
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = bearer(services.issue_staff_token(dr_cole))
        for _ in range(3):  # used every 11 h: the sliding window never runs out
            clock.shift(timedelta(hours=11))
            assert client.get("/api/v1/patients/").status_code == 200


def test_a_staff_token_idle_past_the_limit_is_refused_and_removed(dr_cole, settings):
    settings.STAFF_TOKEN_IDLE_HOURS = 12
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = bearer(services.issue_staff_token(dr_cole))
        clock.shift(timedelta(hours=12, minutes=1))

        refused = client.get("/api/v1/patients/")

    assert refused.status_code == 401
    assert refused.json()["message"] == "This sign-in has expired; sign in again."
    assert not AccessToken.objects.filter(user=dr_cole).exists()


def test_a_busy_staff_client_writes_its_last_use_at_most_once_a_minute(
    dr_cole, django_assert_num_queries
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = bearer(services.issue_staff_token(dr_cole))
        clock.shift(timedelta(seconds=30))
        with django_assert_num_queries(3):  # the token, the (empty) page, its audit row
            client.get("/api/v1/patients/")
        clock.shift(timedelta(seconds=40))
        with django_assert_num_queries(4):  # a minute on: its last use is written, once
            client.get("/api/v1/patients/")


def test_a_staff_client_signs_out(dr_cole):
    client = bearer(services.issue_staff_token(dr_cole))

    assert client.post(SIGN_OUT).status_code == 204
    assert client.get("/api/v1/patients/").status_code == 401


def test_signing_out_without_a_token_is_refused(anon):
    assert anon.post(SIGN_OUT).status_code == 401


@pytest.mark.parametrize("revoke", [True, False])
def test_a_new_enrollment_code_can_sign_out_the_old_phone(as_cole, ana, revoke):
    old_phone = bearer(patient_token(ana))

    as_cole.post(
        f"/api/v1/patients/{ana.pk}/enrollment-code/", {"revoke_app": revoke}, format="json"
    )

    assert old_phone.get("/api/v1/me/").status_code == (401 if revoke else 200)
