"""The stored excerpt of the clinic's paging webhook's answer is for clinic admins only
(Mara): it is text from a host the clinic named, and may be anything. Dr Cole and nurse
Nia see each attempt's status, never what the webhook said. A phone provider's answer (a
push or SMS error) stays readable by every member of staff."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diary import services
from notifications.models import (
    Alert,
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
)
from tests.conftest import _client
from tests.dashboard import emergency, signed_in

WEBHOOK_SAID = "internal-page-text-from-the-receiver"
FCM_SAID = "UNAVAILABLE"

pytestmark = pytest.mark.django_db


@pytest.fixture
def anas_alert(anas_block):
    emergency(anas_block)
    return Alert.objects.get(procedure=anas_block)


def attempt(delivery, said, status_code):
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        outcome=AttemptOutcome.FAILED,
        status_code=status_code,
        provider_response=said,
    )


@pytest.fixture
def webhook_failed(anas_alert):
    delivery = Delivery.objects.create(
        patient=anas_alert.patient,
        alert=anas_alert,
        event="triggered",
        purpose=Purpose.ALERT_WEBHOOK,
        channel=Channel.WEBHOOK,
        address="https://paging.example.org/hook",
        status=DeliveryStatus.FAILED,
        next_attempt_at=timezone.now() - timedelta(minutes=1),
        last_error="webhook failed: status=403 error=-",
    )
    attempt(delivery, WEBHOOK_SAID, 403)
    return delivery


@pytest.fixture
def reminder_failed(ana):
    delivery = Delivery.objects.create(
        patient=ana,
        purpose=Purpose.REMINDER,
        channel=Channel.PUSH,
        platform="fcm",
        address="anas-phone",
        status=DeliveryStatus.FAILED,
        next_attempt_at=timezone.now(),
    )
    attempt(delivery, FCM_SAID, 503)
    return delivery


def deliveries(user, patient):
    client = _client(services.issue_staff_token(user))
    response = client.get(f"/api/v1/patients/{patient.id}/deliveries/")
    assert response.status_code == 200
    return {row["channel"]: row["attempts_log"] for row in response.json()["results"]}


def test_mara_the_clinic_admin_reads_what_the_webhook_answered(
    mara, ana, webhook_failed, reminder_failed
):
    logs = deliveries(mara, ana)

    assert logs["webhook"][0]["provider_response"] == WEBHOOK_SAID
    assert logs["push"][0]["provider_response"] == FCM_SAID


@pytest.mark.parametrize("who", ["dr_cole", "nurse_nia"])
def test_other_staff_see_the_webhook_s_status_only(
    request, who, ana, webhook_failed, reminder_failed
):
    logs = deliveries(request.getfixturevalue(who), ana)

    [webhook] = logs["webhook"]
    assert webhook["status_code"] == 403 and webhook["outcome"] == "failed"
    assert webhook["provider_response"] == ""
    assert logs["push"][0]["provider_response"] == FCM_SAID


def test_the_alert_page_shows_the_webhook_s_answer_to_mara_only(
    mara, dr_cole, anas_alert, webhook_failed
):
    page = f"/dashboard/alerts/{anas_alert.pk}/"

    as_mara = signed_in(mara).get(page).content.decode()
    as_cole = signed_in(dr_cole).get(page).content.decode()

    assert WEBHOOK_SAID in as_mara
    assert WEBHOOK_SAID not in as_cole and "403" in as_cole


def test_the_patient_page_never_shows_the_webhook_s_answer(dr_cole, mara, ana, webhook_failed):
    for user in (dr_cole, mara):
        page = signed_in(user).get(f"/dashboard/patients/{ana.pk}/").content.decode()
        assert WEBHOOK_SAID not in page
