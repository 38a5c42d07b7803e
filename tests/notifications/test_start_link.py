"""Staff send a patient the link to their web check-in ("start your diary") by SMS or e-mail,
through the outbox to the providers' real HTTP and SMTP edges, and the link opens the diary."""

import re

import pytest
from django.test import Client

from diary.models import PatientStatus
from notifications import messages
from notifications.models import Delivery, DeliveryStatus, Purpose
from tests.links import link_in

pytestmark = pytest.mark.django_db

# GSM 03.38's basic character set: a text of these alone costs one segment per 160.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# A production address of a realistic length (the tests' own is shorter).
LONG_SITE = "https://pain-diary.northclinic-example.org.uk/c"


def start_link(client, patient, channel):
    return client.post(
        f"/api/v1/patients/{patient.pk}/start-link/", {"channel": channel}, format="json"
    )


def opens_the_diary_of(url: str, patient) -> bool:
    page = Client().get(re.sub(r"^https?://[^/]+", "", url))
    return page.status_code == 200 and f"Hello, {patient.display_name}" in page.content.decode()


def test_dr_cole_texts_ana_her_start_link_and_it_opens_her_diary(as_cole, ana, receivers, worker):
    queued = start_link(as_cole, ana, "sms")

    assert queued.status_code == 202, queued.content
    assert queued.json()["channel"] == "sms"
    worker()
    [text] = receivers.texts
    assert text.address == ana.phone
    url = link_in(text.body["Body"])
    assert text.body["Body"] == f"North: your pain diary after your procedure. Open: {url}"
    assert opens_the_diary_of(url, ana)
    delivery = Delivery.objects.get(purpose=Purpose.START_LINK)
    assert delivery.status == DeliveryStatus.SENT


def test_the_start_link_by_e_mail(as_cole, ana, receivers, worker):
    assert start_link(as_cole, ana, "email").status_code == 202
    worker()

    [email] = receivers.emails
    assert email["To"] == ana.email
    url = link_in(email.get_body(("plain",)).get_content())
    assert opens_the_diary_of(url, ana)


def test_a_spanish_speaking_patient_gets_it_in_spanish(as_cole, ana, receivers, worker):
    ana.language = "es"
    ana.save(update_fields=["language"])

    start_link(as_cole, ana, "sms")
    worker()

    assert (
        receivers.texts[0]
        .body["Body"]
        .startswith("North: su diario de dolor después del procedimiento. Abra: ")
    )


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"phone": ""}, "channel", "no phone number on file"),
        ({"status": PatientStatus.PAUSED}, "status", "not active"),
    ],
)
def test_a_start_link_that_cannot_go_says_why(as_cole, ana, receivers, change, field, words):
    for name, value in change.items():
        setattr(ana, name, value)
    ana.save()

    refused = start_link(as_cole, ana, "sms")

    assert refused.status_code == 400
    assert words in refused.json()["fields"][field][0]
    assert not Delivery.objects.exists()


def test_a_start_link_on_a_channel_not_configured_is_refused(as_cole, ana, clean_channel_env):
    refused = start_link(as_cole, ana, "sms")

    assert refused.status_code == 400
    assert "not configured" in refused.json()["fields"]["channel"][0]


def test_a_channel_that_is_not_sms_or_email_is_named(as_cole, ana):
    refused = start_link(as_cole, ana, "push")

    assert refused.status_code == 400
    assert "channel" in refused.json()["fields"]


def test_staff_get_a_link_for_the_handout(as_cole, ana):
    made = as_cole.post(f"/api/v1/patients/{ana.pk}/web-link/")

    assert made.status_code == 201
    assert opens_the_diary_of(made.json()["url"], ana)
    assert made.json()["expires_at"]


# --- One SMS segment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["15 min after your block", "8 h after your block", "Day 14 after your block"],
)
@pytest.mark.parametrize("purpose", [Purpose.REMINDER, Purpose.REREMINDER])
def test_a_reminder_text_with_its_link_fits_one_gsm_7_segment(purpose, label):
    link = f"{LONG_SITE}/{'A' * 22}"
    message = messages.reminder_message(
        purpose=purpose,
        checkin_id=1,
        plan_version=1,
        label=label,
        address="+447700900123",
        platform="",
        link=link,
    )
    text = f"{message.body} {message.url}"  # as the SMS transport joins them

    assert len(text) <= 160, text
    assert set(text) <= GSM7, set(text) - GSM7


def test_the_start_link_text_fits_one_gsm_7_segment_for_a_long_clinic_name():
    message = messages.start_link_message(
        clinic_name="North London Spinal Pain Clinic",
        address="+447700900123",
        link=f"{LONG_SITE}/{'A' * 22}",
        language="en",
    )
    text = f"{message.body} {message.url}"

    assert len(text) <= 160, text
    assert set(text) <= GSM7
