"""Every e-mail has a plain-text and an HTML part; a reminder e-mail carries List-Unsubscribe
(RFC 8058) and its one-click link switches Ana's e-mail reminders off; a page to staff
never carries it. With EMAIL_BOUNCE_ADDRESS each e-mail's envelope sender names its
delivery.

Ana takes her reminders by e-mail, sent to the local aiosmtpd server; the clock stands at
her 2 h check-in (11:00 UTC, 10 June 2026).
"""

import re

import pytest

from audit.models import AuditEvent
from notifications import services as notify
from notifications import verp
from notifications.models import ContactPreference, Delivery, Purpose
from notifications.reach import enabled_channels, reachability
from notifications.routing import first_reachable
from tests.notifications.conftest import ANAS_EMAIL, TWO_HOURS, paged

BOUNCES = "bounces@north.example.org"


@pytest.fixture
def anas_email(clock, ana, block, beat, receivers, worker):
    """Ana's 2 h reminder, sent by e-mail (her first channel): the e-mail as received."""
    notify.update_contact(notify.contact_of(ana), channel_order="email,sms")
    beat()
    clock.move_to(TWO_HOURS)
    worker()
    [email] = receivers.emails
    return email


def unsubscribe_url(email) -> str:
    # strip(): a long header is folded after its colon on the wire, which is legal (FWS).
    [url] = re.fullmatch(r"<(\S+)>", email["List-Unsubscribe"].strip()).groups()
    return url


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_a_reminder_e_mail_has_a_text_and_an_html_part(anas_email):
    assert anas_email.get_content_type() == "multipart/alternative"
    text = anas_email.get_body(("plain",)).get_content()
    html = anas_email.get_body(("html",)).get_content()
    link = re.search(r"https?://\S+/c/\S+", text).group(0)
    assert f'href="{link}"' in html
    assert "Time for your check-in" in html
    # Nothing to fetch from elsewhere: no images, style sheets or scripts.
    assert not re.search(r"<(img|link|script)\b|src=", html)


def test_a_reminder_e_mail_carries_one_click_list_unsubscribe(anas_email, settings):
    url = unsubscribe_url(anas_email)

    assert url.startswith(f"{settings.SITE_URL}/email/unsubscribe/")
    assert anas_email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in anas_email.get_body(("html",)).get_content()


def test_the_one_click_post_switches_anas_e_mail_reminders_off_once(anas_email, client, ana, clock):
    path = path_of(unsubscribe_url(anas_email))
    body = "List-Unsubscribe=One-Click"

    first = client.post(path, body, content_type="application/x-www-form-urlencoded")
    again = client.post(path, body, content_type="application/x-www-form-urlencoded")

    assert (first.status_code, again.status_code) == (200, 200)
    contact = ContactPreference.objects.get(patient=ana)
    assert (contact.email_disabled_at, contact.email_disabled_reason) == (
        TWO_HOURS,
        "unsubscribed",
    )
    [row] = AuditEvent.objects.filter(object_kind="contactpreference")
    assert (row.action, row.changes) == ("change", {"email_disabled_reason": ["", "unsubscribed"]})
    assert row.patient_ids == f",{ana.pk},"
    assert "E-mail reminders are off" in first.content.decode()


def test_opening_the_link_only_asks_with_a_form_that_works_without_javascript(
    anas_email, client, ana
):
    path = path_of(unsubscribe_url(anas_email))

    page = client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert f'<form method="post" action="{path}">' in html
    assert "<script" not in html
    assert not ContactPreference.objects.get(patient=ana).email_disabled_at


def test_a_spanish_speaking_patient_reads_the_page_in_spanish(anas_email, client, ana):
    ana.language = "es"
    ana.save(update_fields=["language"])

    page = client.get(path_of(unsubscribe_url(anas_email))).content.decode()

    assert "¿Dejar de recibir recordatorios por correo electrónico?" in page


@pytest.mark.parametrize(
    "token", ["1:forged-signature", "not-a-token", "1", "%00", "x" * 300], ids=repr
)
def test_a_forged_or_cut_link_gets_a_clear_page_and_changes_nothing(anas_email, client, token):
    for answer in (
        client.get(f"/email/unsubscribe/{token}/"),
        client.post(f"/email/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}),
    ):
        assert answer.status_code == 404
        assert "This link does not work" in answer.content.decode()
    assert not ContactPreference.objects.filter(email_disabled_at__isnull=False).exists()


def test_after_unsubscribing_ana_is_reached_by_text_and_not_by_e_mail(anas_email, client, ana):
    client.post(path_of(unsubscribe_url(anas_email)), {"List-Unsubscribe": "One-Click"})

    [found] = first_reachable(reachability([ana.pk])[ana.pk], enabled_channels())
    assert (found.channel, found.address) == ("sms", ana.phone)


def test_the_start_link_e_mail_has_both_parts_but_no_unsubscribe(
    as_cole, ana, north, receivers, worker
):
    north.name = "North & <Co>"
    north.save(update_fields=["name"])
    as_cole.post(f"/api/v1/patients/{ana.pk}/start-link/", {"channel": "email"}, format="json")
    worker()

    [email] = receivers.emails
    assert email["List-Unsubscribe"] is None
    html = email.get_body(("html",)).get_content()
    assert "North &amp; &lt;Co&gt;" in html and "<Co>" not in html
    assert "North & <Co>" in email.get_body(("plain",)).get_content()


def test_a_page_to_staff_has_both_parts_and_never_list_unsubscribe(
    paging, block, report, worker, smtp_server
):
    report(block, 4.5, fever=True)
    worker()

    [email] = smtp_server.messages
    assert paged(smtp_server) == ["nia@north.example.org"]
    assert email["List-Unsubscribe"] is None and email["List-Unsubscribe-Post"] is None
    assert "/dashboard/alerts/" in email.get_body(("html",)).get_content()


def test_with_a_bounce_address_the_envelope_sender_names_the_delivery(
    settings, clock, ana, block, beat, receivers, worker
):
    settings.EMAIL_BOUNCE_ADDRESS = BOUNCES
    notify.update_contact(notify.contact_of(ana), channel_order="email")
    beat()
    clock.move_to(TWO_HOURS)
    worker()

    [envelope] = receivers.smtp.envelopes
    [email] = receivers.emails
    delivery = Delivery.objects.get(purpose=Purpose.REMINDER, channel="email")
    assert re.fullmatch(
        rf"bounces\+{delivery.pk}-[0-9a-f]{{16}}@north\.example\.org", envelope.mail_from
    )
    assert verp.delivery_id_of(envelope.mail_from) == delivery.pk
    assert email["From"] == "North Clinic <diary@north.example.org>"
    assert email["To"] == ANAS_EMAIL


def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(anas_email, receivers):
    [envelope] = receivers.smtp.envelopes
    assert envelope.mail_from == "diary@north.example.org"


def test_a_verp_address_with_another_hmac_names_no_delivery(settings):
    settings.EMAIL_BOUNCE_ADDRESS = BOUNCES
    real = verp.return_path(42)

    assert verp.delivery_id_of(real) == 42
    assert verp.delivery_id_of(real.upper()) == 42  # a server that folded its case
    assert verp.delivery_id_of(real.replace("+42-", "+43-")) is None
    assert verp.delivery_id_of("bounces+42-0000000000000000@north.example.org") is None
    assert verp.delivery_id_of(real.replace("north.example.org", "evil.example")) is None
