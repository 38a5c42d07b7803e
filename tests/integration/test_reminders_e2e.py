"""A check-in reminder, end to end: a real beat and worker, through a real Redis, over
PostgreSQL, to a local stand-in for each provider. It arrives on time, once, through the
first channel the patient can be reached on, and says nothing clinical.
"""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from diary import services as diary
from notifications.models import AttemptOutcome, Channel, Delivery, DeliveryStatus, Purpose
from tests.factories import PatientFactory, make_procedure
from tests.integration.processes import (
    FAST_CLOCK,
    TWILIO_SID,
    Providers,
    smtp_receiver,
    wait_for,
    wait_for_ticks,
    worker,
)
from tests.links import checkin_opened_by, link_in

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LABEL = "15 min after your block"
BODY = f"Time for your check-in: {LABEL}."
# Words a reminder must never carry: it passes through Google, Apple and phone carriers.
CLINICAL_WORDS = ("numb", "weak", "bladder", "bowel", "fever", "saddle", "score", "relief")
ON_TIME_SECONDS = 20


def reminder_due_in(patient, seconds: float):
    """A block performed almost 15 min ago: its first check-in falls due in ``seconds``."""
    performed_at = timezone.now() - timedelta(minutes=15) + timedelta(seconds=seconds)
    block = make_procedure(patient, performed_at=performed_at)
    checkin = block.checkins.get(key="m15")
    assert checkin.remind_at == checkin.due_at == performed_at + timedelta(minutes=15)
    assert not block.checkins.filter(remind_at__lte=timezone.now() + timedelta(minutes=10)).exclude(
        pk=checkin.pk
    ), "no other reminder may fall due during the test"
    return checkin


def sent_once(checkin, channel: str) -> Delivery:
    """The one delivery of the check-in's reminder, sent through ``channel`` at the first try."""
    [delivery] = Delivery.objects.filter(checkin=checkin)
    assert (delivery.purpose, delivery.channel) == (Purpose.REMINDER, channel)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    [attempt] = delivery.attempts_log.all()
    assert attempt.outcome == AttemptOutcome.SENT
    return delivery


def delivered(checkin):
    return Delivery.objects.filter(checkin=checkin, status=DeliveryStatus.SENT).exists()


def assert_on_time(arrived_at: float, checkin) -> None:
    late = arrived_at - checkin.remind_at.timestamp()
    # Never early (the countdown runs to remind_at; a claim allows one second of skew).
    assert -1 <= late <= ON_TIME_SECONDS, f"arrived {late:+.1f}s from remind_at"


def assert_nothing_clinical(text: str, patient) -> None:
    lowered = text.lower()
    assert not [word for word in CLINICAL_WORDS if word in lowered], text
    assert patient.display_name.split()[0] not in text, text


def test_anas_phone_gets_one_push_for_her_check_in_on_time(
    requires_postgres, redis_url, tmp_path, httpserver, ana
):
    providers = Providers(httpserver)
    diary.register_device(patient=ana, platform="fcm", token="fcm-token-of-anas-phone")

    with worker(redis_url, tmp_path, beat=True, **FAST_CLOCK, **providers.env()) as running:
        running.wait_ready()
        checkin = reminder_due_in(ana, seconds=3)
        wait_for(lambda: delivered(checkin), timeout=45, what="the push", log=running.log)
        # Past the enqueue and send leases: the sweeper has looked at it and left it alone.
        wait_for_ticks(running, 5)

    [push] = providers.pushes()
    assert providers.texts() == []
    assert_on_time(push.at, checkin)
    assert push.headers["Authorization"] == "Bearer test-token"
    message = push.json["message"]
    collapse_id = f"checkin-{checkin.pk}-{checkin.plan_version}-checkin_reminder"
    assert message["token"] == "fcm-token-of-anas-phone"
    assert message["notification"] == {"title": "Pain diary", "body": BODY}
    assert checkin_opened_by(message["data"]["url"]) == checkin.pk
    assert message["data"]["collapse_id"] == collapse_id
    assert message["android"]["collapse_key"] == collapse_id
    assert message["apns"]["headers"]["apns-collapse-id"] == collapse_id
    assert_nothing_clinical(message["notification"]["body"], ana)

    delivery = sent_once(checkin, Channel.PUSH)
    assert delivery.address == "fcm-token-of-anas-phone"
    assert delivery.provider_id == "projects/test/messages/1"
    checkin.refresh_from_db()
    assert checkin.status == "due"


def test_ben_without_the_app_gets_one_text_message_on_time(
    requires_postgres, redis_url, tmp_path, httpserver, ben
):
    providers = Providers(httpserver)
    assert not ben.devices.exists()

    with worker(redis_url, tmp_path, beat=True, **FAST_CLOCK, **providers.env()) as running:
        running.wait_ready()
        checkin = reminder_due_in(ben, seconds=3)
        wait_for(lambda: delivered(checkin), timeout=45, what="the text", log=running.log)
        wait_for_ticks(running, 5)

    [text] = providers.texts()
    assert providers.pushes() == []
    assert_on_time(text.at, checkin)
    credentials = base64.b64encode(f"{TWILIO_SID}:twilio-test-auth-token".encode()).decode()
    assert text.headers["Authorization"] == f"Basic {credentials}"
    assert text.form["To"] == ben.phone
    assert text.form["From"] == "+442079460999"
    assert text.form["Body"].startswith(f"{BODY} http")
    assert text.form["Body"].endswith(link_in(text.form["Body"]))
    assert checkin_opened_by(link_in(text.form["Body"])) == checkin.pk
    assert_nothing_clinical(text.form["Body"], ben)

    delivery = sent_once(checkin, Channel.SMS)
    assert delivery.address == ben.phone
    assert delivery.provider_id.startswith("SM")


def test_a_patient_with_only_an_email_address_gets_one_email_on_time(
    requires_postgres, redis_url, tmp_path, httpserver, north
):
    # No app, no phone number: only an e-mail address.
    cara = PatientFactory(clinic=north, display_name="Cara Lind", phone="", email="cara@lind.org")
    providers = Providers(httpserver)

    with (
        smtp_receiver() as smtp,
        worker(
            redis_url, tmp_path, beat=True, **FAST_CLOCK, **providers.env(), **smtp.env()
        ) as running,
    ):
        running.wait_ready()
        checkin = reminder_due_in(cara, seconds=3)
        wait_for(lambda: delivered(checkin), timeout=45, what="the e-mail", log=running.log)
        wait_for_ticks(running, 5)
        messages = list(smtp.messages)

    assert providers.received() == []
    [(arrived_at, email)] = messages
    assert_on_time(arrived_at, checkin)
    assert email["To"] == "cara@lind.org"
    assert email["Subject"] == "Pain diary"
    body = email.get_body(("plain",)).get_content()
    assert body.startswith(BODY)
    assert checkin_opened_by(link_in(body)) == checkin.pk
    assert_nothing_clinical(body, cara)

    delivery = sent_once(checkin, Channel.EMAIL)
    assert delivery.address == "cara@lind.org"
