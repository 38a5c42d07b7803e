"""Twilio's delivery receipts: each SMS names a StatusCallback; Twilio's callback, signed
with our auth token the way Twilio signs it, is recorded on the attempt; an SMS reminder
that was not delivered falls back to the next channel once; STOP (21610) switches SMS off.

The clock is frozen ten seconds before Ana's 2 h check-in (11:00 UTC, 10 June 2026).
"""

import pytest

from notifications.models import (
    AttemptReceipt,
    ContactPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from notifications.receipts import twilio_signature
from tests.notifications.conftest import (
    ANAS_EMAIL,
    CALLBACK,
    TWO_HOURS,
    callback,
    post_form,
    twilio_posts,
)


@pytest.fixture
def anas_text(clock, block, beat, receipts_on, worker):
    """Ana's 2 h reminder, sent by SMS (she has no app): the Delivery row."""
    beat()
    clock.move_to(TWO_HOURS)
    [(text_id, outcome)] = worker().items()
    assert outcome == "sent"
    return Delivery.objects.get(pk=text_id)


def test_each_text_names_the_status_callback(anas_text, receipts_on):
    [sent] = receipts_on.texts
    assert sent.body["StatusCallback"] == CALLBACK
    assert anas_text.provider_id.startswith("SM")


def test_delivered_is_recorded_on_the_attempt_and_nothing_else_is_sent(
    anas_text, receipts_on, client, worker
):
    answer = twilio_posts(
        client, receipts_on.channels.twilio_token, **callback(anas_text, "delivered")
    )

    assert (answer.status_code, answer.json()) == (200, {"outcome": "recorded"})
    attempt = DeliveryAttempt.objects.get(delivery=anas_text)
    assert (attempt.receipt, attempt.receipt_at) == (AttemptReceipt.DELIVERED, TWO_HOURS)
    assert worker() == {}
    assert receipts_on.emails == []


def test_an_undelivered_text_falls_back_to_e_mail_once(anas_text, receipts_on, client, worker):
    form = callback(anas_text, "undelivered", "30003")  # unreachable handset

    first = twilio_posts(client, receipts_on.channels.twilio_token, **form)
    again = twilio_posts(client, receipts_on.channels.twilio_token, **form)  # Twilio retries

    assert first.json() == {"outcome": "fell-back"}
    assert again.json() == {"outcome": "ignored"}
    attempt = DeliveryAttempt.objects.get(delivery=anas_text)
    assert (attempt.receipt, attempt.receipt_error_code) == (AttemptReceipt.UNDELIVERED, "30003")
    anas_text.refresh_from_db()
    assert anas_text.status == DeliveryStatus.FAILED
    [mail] = Delivery.objects.filter(channel="email")
    assert worker() == {mail.id: "sent"}
    assert [m["To"] for m in receipts_on.emails] == [ANAS_EMAIL]
    assert len(receipts_on.texts) == 1
    # SMS is not switched off for a phone that was merely out of reach.
    assert not ContactPreference.objects.filter(sms_disabled_at__isnull=False).exists()


def test_a_text_to_someone_who_replied_stop_switches_sms_off_and_falls_back(
    anas_text, receipts_on, client, worker, ana
):
    answer = twilio_posts(
        client, receipts_on.channels.twilio_token, **callback(anas_text, "failed", "21610")
    )

    assert answer.json() == {"outcome": "fell-back"}
    contact = ContactPreference.objects.get(patient=ana)
    assert contact.sms_disabled_at == TWO_HOURS
    assert "STOP" in contact.sms_disabled_reason  # what the clinic sees on her contact
    worker()
    assert [m["To"] for m in receipts_on.emails] == [ANAS_EMAIL]


def test_a_callback_without_twilios_signature_is_refused_and_changes_nothing(
    anas_text, receipts_on, client
):
    form = callback(anas_text, "undelivered", "30003")
    forged = twilio_signature(CALLBACK, form, "not-our-auth-token")

    answer = post_form(client, form, forged)
    unsigned = post_form(client, form)

    assert (answer.status_code, unsigned.status_code) == (403, 403)
    assert DeliveryAttempt.objects.get(delivery=anas_text).receipt == ""
    assert not Delivery.objects.filter(channel="email").exists()


def test_a_signature_over_other_parameters_is_refused(anas_text, receipts_on, client):
    form = callback(anas_text, "delivered")
    signature = twilio_signature(CALLBACK, form, receipts_on.channels.twilio_token)
    form["MessageStatus"] = "undelivered"  # changed on the way

    assert post_form(client, form, signature).status_code == 403


def test_statuses_on_the_way_are_not_receipts(anas_text, receipts_on, client):
    for status in ("queued", "sending", "sent"):
        answer = twilio_posts(
            client, receipts_on.channels.twilio_token, **callback(anas_text, status)
        )
        assert answer.json() == {"outcome": "ignored"}
    assert DeliveryAttempt.objects.get(delivery=anas_text).receipt == ""


def test_twilios_documented_signature_example():
    # The worked example of Twilio's request-validation docs (twilio-php's usage guide).
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
