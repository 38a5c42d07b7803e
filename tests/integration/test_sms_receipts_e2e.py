"""A text reminder Twilio could not deliver reaches the patient by e-mail, once: a real
worker and beat send the SMS, Twilio's signed status callback reaches a real gunicorn,
and the fallback goes through the real Redis to the worker and out to a real SMTP server.
"""

import json
from urllib.parse import urlencode

import pytest

from notifications.models import AttemptReceipt, Delivery, DeliveryAttempt, DeliveryStatus
from notifications.receipts import twilio_signature
from tests.integration.processes import (
    FAST_CLOCK,
    Providers,
    holds_for,
    smtp_receiver,
    wait_for,
    worker,
)
from tests.integration.test_reminders_e2e import reminder_due_in
from tests.integration.web_server import gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# The public URL Twilio is given; the web server behind it sees another host and port, and
# checks the signature against this one (as it must behind a proxy).
CALLBACK = "https://diary.north.example.org/api/v1/channels/twilio/status/"
AUTH_TOKEN = "twilio-test-auth-token"  # Providers.env()'s


def twilio_calls_back(web, form: dict) -> dict:
    connection = web.connection()
    connection.request(
        "POST",
        "/api/v1/channels/twilio/status/",
        body=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(CALLBACK, form, AUTH_TOKEN),
        },
    )
    answer = connection.getresponse()
    assert answer.status == 200, answer.read()
    return json.loads(answer.read())


def test_an_undelivered_text_reminder_falls_back_to_e_mail_once(
    requires_postgres, redis_url, tmp_path, httpserver, ben
):
    providers = Providers(httpserver)
    with smtp_receiver() as smtp:
        env = {
            **FAST_CLOCK,
            **providers.env(),
            **smtp.env(),
            "TWILIO_STATUS_CALLBACK_URL": CALLBACK,
        }
        with (
            worker(redis_url, tmp_path, beat=True, **env) as running,
            gunicorn(tmp_path, redis_url=redis_url, CELERY_QUEUE=running.queue, **env) as web,
        ):
            running.wait_ready()
            checkin = reminder_due_in(ben, seconds=3)
            wait_for(
                lambda: Delivery.objects.filter(
                    checkin=checkin, channel="sms", status=DeliveryStatus.SENT
                ).exists(),
                timeout=45,
                what="the text",
                log=running.log,
            )
            [text] = providers.texts()
            assert text.form["StatusCallback"] == CALLBACK
            sms = Delivery.objects.get(checkin=checkin, channel="sms")
            form = {
                "AccountSid": text.form.get("AccountSid", ""),
                "MessageSid": sms.provider_id,
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
                "To": ben.phone,
            }

            first = twilio_calls_back(web, form)
            wait_for(lambda: smtp.messages, timeout=45, what="the e-mail", log=running.log)
            again = twilio_calls_back(web, form)  # Twilio repeats a callback
            holds_for(
                lambda: len(smtp.messages) == 1,
                seconds=5,
                what="no second e-mail",
                log=running.log,
            )

    assert (first, again) == ({"outcome": "fell-back"}, {"outcome": "ignored"})
    [(_, mail)] = smtp.messages
    assert mail["To"] == ben.email
    assert len(providers.texts()) == 1
    assert [
        (d.channel, d.status) for d in Delivery.objects.filter(checkin=checkin).order_by("id")
    ] == [("sms", DeliveryStatus.FAILED), ("email", DeliveryStatus.SENT)]
    attempt = DeliveryAttempt.objects.get(delivery=sms)
    assert (attempt.receipt, attempt.receipt_error_code) == (AttemptReceipt.UNDELIVERED, "30003")


def test_an_undelivered_page_pages_the_backup_at_once_through_the_real_worker(
    requires_postgres, redis_url, tmp_path, httpserver, north, nurse_nia, ravi, ana, anas_block
):
    """Nia (primary) is paged by SMS only; Twilio reports it undelivered; Ravi (backup) gets
    his e-mail page at once, long before the clinic's escalation delay, and only once."""
    import uuid
    from datetime import timedelta

    from django.utils import timezone

    from diary.models import StaffMembership
    from notifications.models import Alert, OnCallShift
    from tests.factories import patient_token

    StaffMembership.objects.filter(user=nurse_nia).update(phone="+447911123456")
    nurse_nia.email = ""
    nurse_nia.save(update_fields=["email"])
    now = timezone.now()
    for user, role in ((nurse_nia, "primary"), (ravi, "backup")):
        OnCallShift.objects.create(
            clinic=north,
            user=user,
            role=role,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )
    token = patient_token(ana)
    providers = Providers(httpserver)
    with smtp_receiver() as smtp:
        env = {
            **FAST_CLOCK,
            **providers.env(),
            **smtp.env(),
            "TWILIO_STATUS_CALLBACK_URL": CALLBACK,
        }
        with (
            worker(redis_url, tmp_path, beat=True, **env) as running,
            gunicorn(tmp_path, redis_url=redis_url, CELERY_QUEUE=running.queue, **env) as web,
        ):
            running.wait_ready()
            connection = web.connection()
            entry = {
                "client_id": str(uuid.uuid4()),
                "procedure": anas_block.id,
                "recorded_at": timezone.now().isoformat(),
                "pain_score": 3,
                "fever": True,
            }
            connection.request(
                "POST",
                "/api/v1/me/entries/",
                body=json.dumps(entry),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            answer = connection.getresponse()
            assert answer.status == 201, answer.read()
            wait_for(
                lambda: Delivery.objects.filter(
                    channel="sms", step=0, status=DeliveryStatus.SENT
                ).exists(),
                timeout=45,
                what="Nia's text",
                log=running.log,
            )
            page = Delivery.objects.get(channel="sms", step=0)
            form = {
                "MessageSid": page.provider_id,
                "MessageStatus": "undelivered",
                "ErrorCode": "30003",
                "To": page.address,
            }

            first = twilio_calls_back(web, form)
            wait_for(lambda: smtp.messages, timeout=45, what="Ravi's page", log=running.log)
            again = twilio_calls_back(web, form)
            holds_for(lambda: len(smtp.messages) == 1, seconds=5, what="one page", log=running.log)

    assert (first, again) == ({"outcome": "escalated"}, {"outcome": "ignored"})
    [(_, mail)] = smtp.messages
    assert mail["To"] == ravi.email
    assert Alert.objects.get().escalation_step == 1
