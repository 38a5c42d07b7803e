"""Staff see every reminder sent (or tried) to their patients, each attempt with what the
provider said, and set how a patient is reached: the channel order, and a contact that
failed for good switched back on. Omar, of another clinic, sees none of it.
"""

from datetime import timedelta

import pytest

from notifications.models import ContactPreference, Delivery
from tests.factories import make_procedure
from tests.notifications.conftest import (
    ANAS_NUMBER,
    ANAS_PHONE_TOKEN,
    BLOCK,
    FCM_UNAVAILABLE,
    TWILIO_INVALID_NUMBER,
    TWO_HOURS,
)

SECONDS = timedelta(seconds=1)


def deliveries_url(patient) -> str:
    return f"/api/v1/patients/{patient.id}/deliveries/"


def contact_url(patient) -> str:
    return f"/api/v1/patients/{patient.id}/contact/"


@pytest.fixture
def reminders_sent(clock, block, beat, worker):
    """Beat and the worker run from 10:59:50 until ``until``, every five seconds."""

    def run(until):
        moment = TWO_HOURS - 10 * SECONDS
        while moment <= until:
            clock.move_to(moment)
            beat()
            worker()
            moment += 5 * SECONDS

    return run


def test_dr_cole_sees_ana_s_reminder_with_every_attempt(
    as_cole, ana, anas_phone, receivers, reminders_sent
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNAVAILABLE)
    reminders_sent(until=TWO_HOURS + 5 * SECONDS)

    response = as_cole.get(deliveries_url(ana))

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert {k: row[k] for k in ("purpose", "channel", "platform", "address", "status")} == {
        "purpose": "checkin_reminder",
        "channel": "push",
        "platform": "fcm",
        "address": ANAS_PHONE_TOKEN,
        "status": "sent",
    }
    assert row["attempts"] == 2
    assert row["checkin"] == Delivery.objects.get().checkin_id
    assert row["provider_id"] == "projects/north-diary/messages/2"
    assert [(a["outcome"], a["status_code"]) for a in row["attempts_log"]] == [
        ("retry", 503),
        ("sent", 200),
    ]
    assert "UNAVAILABLE" in row["attempts_log"][0]["provider_response"]
    assert row["attempts_log"][0]["error"] == "push/fcm failed: status=503 error=UNAVAILABLE"


def test_the_list_is_newest_first_and_holds_only_that_patient_s_reminders(
    as_cole, ana, ben, anas_phone, receivers, reminders_sent
):
    make_procedure(ben, performed_at=BLOCK)  # Ben is texted at the same times
    reminders_sent(until=TWO_HOURS + timedelta(minutes=15))

    rows = as_cole.get(deliveries_url(ana)).json()["results"]

    assert [(r["purpose"], r["channel"]) for r in rows] == [
        ("checkin_rereminder", "push"),
        ("checkin_reminder", "push"),
    ]
    bens = as_cole.get(deliveries_url(ben)).json()["results"]
    assert [(r["purpose"], r["channel"]) for r in bens] == [
        ("checkin_rereminder", "sms"),
        ("checkin_reminder", "sms"),
    ]


def test_omar_of_another_clinic_gets_404_for_ana_s_reminders_and_contact(
    as_omar, ana, anas_phone, receivers, reminders_sent
):
    reminders_sent(until=TWO_HOURS)

    assert as_omar.get(deliveries_url(ana)).status_code == 404
    assert as_omar.get(contact_url(ana)).status_code == 404
    assert as_omar.patch(contact_url(ana), {"channel_order": "email"}).status_code == 404
    assert not ContactPreference.objects.exists()


def test_ana_herself_cannot_read_her_delivery_log(as_ana, ana):
    assert as_ana.get(deliveries_url(ana)).status_code == 404


def test_a_patient_with_no_preferences_shows_the_defaults(as_cole, ana):
    response = as_cole.get(contact_url(ana))

    assert response.status_code == 200
    assert response.json() == {
        "channel_order": "push,sms,email",
        "sms_disabled_at": None,
        "sms_disabled_reason": "",
        "email_disabled_at": None,
        "email_disabled_reason": "",
    }
    assert not ContactPreference.objects.exists()


def test_dr_cole_sets_ana_s_channel_order_and_the_next_reminder_follows_it(
    as_cole, ana, anas_phone, receivers, reminders_sent
):
    response = as_cole.patch(contact_url(ana), {"channel_order": " sms , email "})

    assert response.status_code == 200
    assert response.json()["channel_order"] == "sms,email"
    reminders_sent(until=TWO_HOURS)
    assert [t.address for t in receivers.texts] == [ANAS_NUMBER]
    assert receivers.pushes == []


@pytest.mark.parametrize(
    "order",
    # webhook and pagerduty are channels, but they page staff: never a patient's.
    ["fax", "sms,fax", "sms,sms", "", " , ", "SMS", 5, None, ["sms"], "webhook", "sms,pagerduty"],
)
def test_a_channel_order_that_is_not_a_list_of_known_channels_is_refused(as_cole, ana, order):
    response = as_cole.patch(contact_url(ana), {"channel_order": order}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["channel_order"]
    assert not ContactPreference.objects.exists()


def test_sms_switched_off_by_a_rejected_number_is_switched_back_on_with_null(
    clock, as_cole, ana, receivers, reminders_sent, beat, worker
):
    receivers.script(ANAS_NUMBER, TWILIO_INVALID_NUMBER)
    reminders_sent(until=TWO_HOURS)
    disabled = as_cole.get(contact_url(ana)).json()
    assert disabled["sms_disabled_at"] is not None
    assert "21211" in disabled["sms_disabled_reason"]

    # Ana gave the clinic her corrected number.
    response = as_cole.patch(contact_url(ana), {"sms_disabled_at": None}, format="json")

    assert response.status_code == 200
    assert (response.json()["sms_disabled_at"], response.json()["sms_disabled_reason"]) == (
        None,
        "",
    )
    clock.move_to(TWO_HOURS + timedelta(hours=1) - 10 * SECONDS)
    beat()
    clock.move_to(TWO_HOURS + timedelta(hours=1))
    worker()
    h3 = Delivery.objects.get(checkin__key="h3")
    assert (h3.channel, h3.status) == ("sms", "sent")
    assert receivers.texts[-1].address == ANAS_NUMBER


@pytest.mark.parametrize("field", ["sms_disabled_at", "email_disabled_at"])
def test_a_contact_cannot_be_switched_off_by_hand(as_cole, ana, field):
    response = as_cole.patch(contact_url(ana), {field: "2026-06-10T10:00:00+00:00"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not ContactPreference.objects.exists()


def test_the_reason_a_contact_was_switched_off_is_not_written_by_staff(as_cole, ana):
    response = as_cole.patch(contact_url(ana), {"sms_disabled_reason": "because"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["sms_disabled_reason"]
