"""A bounce comes back to the VERP address of the e-mail it reports on, and
``manage.py email_bounce`` (what the MTA pipes it to) records it: 5.x.x switches the
address off and hands the message on, 4.x.x only records, a forged address changes nothing.

Each report is a real DSN (RFC 3464), built with ``email.mime`` as a mail server sends it,
to the envelope sender the local aiosmtpd server received. The clock stands at Ana's 2 h
check-in (11:00 UTC, 10 June 2026).
"""

import io
import sys
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from django.core.cache import cache
from django.core.management import call_command

from diary.models import StaffMembership
from notifications import breaker
from notifications import services as notify
from notifications.models import (
    AttemptReceipt,
    ContactPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
)
from tests.notifications.conftest import ANAS_EMAIL, ANAS_NUMBER, TWO_HOURS

BOUNCES = "bounces@north.example.org"


@pytest.fixture
def bounce_path(settings):
    settings.EMAIL_BOUNCE_ADDRESS = BOUNCES
    return settings


@pytest.fixture
def anas_email(bounce_path, clock, ana, block, beat, receivers, worker):
    """Ana's 2 h reminder, sent by e-mail (then SMS, in her order): (delivery, VERP)."""
    notify.update_contact(notify.contact_of(ana), channel_order="email,sms")
    beat()
    clock.move_to(TWO_HOURS)
    worker()
    [envelope] = receivers.smtp.envelopes
    return Delivery.objects.get(purpose=Purpose.REMINDER, channel="email"), envelope.mail_from


def dsn(to: str, recipient: str, status: str, action: str, diagnostic: str) -> bytes:
    """A delivery status notification as Postfix sends one: a human part, the
    machine-readable message/delivery-status, and the returned headers."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = "MAILER-DAEMON@mx.example.net (Mail Delivery System)"
    report["To"] = to
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report.attach(
        MIMEText(
            f"I'm sorry to have to inform you that your message to {recipient} "
            "could not be delivered.",
            "plain",
        )
    )
    status_part = Message()
    status_part["Content-Type"] = "message/delivery-status"
    per_message = Message()
    per_message["Reporting-MTA"] = "dns; mx.example.net"
    per_message["Arrival-Date"] = "Wed, 10 Jun 2026 11:00:01 +0000"
    per_recipient = Message()
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Original-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = f"smtp; {diagnostic}"
    status_part.attach(per_message)
    status_part.attach(per_recipient)
    report.attach(status_part)
    headers = MIMEText(
        f"From: diary@north.example.org\nTo: {recipient}\nSubject: Pain diary\n", "rfc822-headers"
    )
    report.attach(headers)
    return report.as_bytes()


def pipe(raw: bytes, monkeypatch, *args) -> str:
    """``manage.py email_bounce`` as the MTA runs it: the bounce on stdin."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("email_bounce", *args, stdout=out)
    return out.getvalue().strip()


def mailbox_gone(to: str, recipient: str) -> bytes:
    return dsn(to, recipient, "5.1.1", "failed", "550 5.1.1 <x>: Recipient address rejected")


def test_a_bounce_switches_anas_e_mail_off_and_her_reminder_falls_back_to_text(
    anas_email, monkeypatch, ana, receivers, worker
):
    delivery, verp = anas_email

    assert pipe(mailbox_gone(verp, ANAS_EMAIL), monkeypatch) == "fell-back"

    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.receipt, attempt.receipt_error_code) == (AttemptReceipt.UNDELIVERED, "5.1.1")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    contact = ContactPreference.objects.get(patient=ana)
    assert contact.email_disabled_at == TWO_HOURS
    assert "bounced: 5.1.1" in contact.email_disabled_reason
    worker()
    assert [text.address for text in receivers.accepted("texts")] == [ANAS_NUMBER]


def test_the_same_bounce_twice_is_recorded_once(anas_email, monkeypatch):
    _, verp = anas_email
    raw = mailbox_gone(verp, ANAS_EMAIL)

    assert [pipe(raw, monkeypatch), pipe(raw, monkeypatch)] == ["fell-back", "ignored"]
    assert Delivery.objects.filter(channel="sms").count() == 1


def test_a_delay_notice_is_only_recorded_and_the_final_bounce_still_counts(
    anas_email, monkeypatch, ana
):
    delivery, verp = anas_email
    delayed = dsn(verp, ANAS_EMAIL, "4.4.7", "delayed", "451 4.4.7 mailbox busy")

    assert pipe(delayed, monkeypatch) == "recorded"

    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert (attempt.receipt, attempt.receipt_error_code) == ("", "4.4.7")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert not ContactPreference.objects.get(patient=ana).email_disabled_at
    assert not Delivery.objects.filter(channel="sms").exists()
    assert pipe(mailbox_gone(verp, ANAS_EMAIL), monkeypatch) == "fell-back"


def test_a_bounce_to_a_forged_verp_address_changes_nothing(anas_email, monkeypatch, ana):
    delivery, verp = anas_email
    forged = verp.replace(f"+{delivery.pk}-", f"+{delivery.pk}-0")

    assert pipe(mailbox_gone(forged, ANAS_EMAIL), monkeypatch) == "unknown"
    assert pipe(mailbox_gone("someone@north.example.org", ANAS_EMAIL), monkeypatch) == "unknown"
    assert DeliveryAttempt.objects.get(delivery=delivery).receipt == ""
    assert not ContactPreference.objects.get(patient=ana).email_disabled_at


def test_the_mta_may_name_the_recipient_on_the_command_line(anas_email, monkeypatch):
    _, verp = anas_email
    # The bounce's To: header was rewritten on the way; the envelope is what counts.
    raw = mailbox_gone("postmaster@north.example.org", ANAS_EMAIL)

    assert pipe(raw, monkeypatch, "--recipient", verp) == "fell-back"


def test_a_message_with_no_delivery_report_is_ignored(anas_email, monkeypatch):
    _, verp = anas_email
    reply = MIMEText("Thanks, I'm away until Monday.")
    reply["To"] = verp

    assert pipe(reply.as_bytes(), monkeypatch) == "ignored"
    assert DeliveryAttempt.objects.get().receipt == ""


def test_a_bounce_while_e_mail_is_held_switches_nothing_off(anas_email, monkeypatch, ana):
    _, verp = anas_email
    cache.set(f"{breaker.PREFIX}:email:open", 1.0, timeout=600)

    assert pipe(mailbox_gone(verp, ANAS_EMAIL), monkeypatch) == "fell-back"
    assert not ContactPreference.objects.get(patient=ana).email_disabled_at


# --- Pages ---------------------------------------------------------------------------------


def test_a_bounced_page_switches_nias_e_mail_off_and_pages_the_backup(
    bounce_path, paging, block, report, worker, smtp_server, monkeypatch, nurse_nia
):
    report(block, 4.5, fever=True)
    worker()
    [envelope] = smtp_server.envelopes

    assert pipe(mailbox_gone(envelope.mail_from, "nia@north.example.org"), monkeypatch) == (
        "escalated"
    )

    member = StaffMembership.objects.get(user=nurse_nia)
    assert member.email_disabled_at is not None
    assert "5.1.1" in member.email_disabled_reason
    worker()
    assert smtp_server.messages[-1]["To"] == "ravi@north.example.org"
