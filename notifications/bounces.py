"""The bounce path: each e-mail's envelope sender names its delivery (VERP), so a bounce
says which message failed, and ``manage.py email_bounce`` reads the bounce.

With ``EMAIL_BOUNCE_ADDRESS=bounces@clinic.example`` every e-mail is sent with the
envelope sender (Return-Path) ``bounces+<delivery id>-<hmac>@clinic.example``; the header
From stays DEFAULT_FROM_EMAIL. A mail server that cannot deliver it sends its report
(a DSN, RFC 3464) there; the MTA pipes it to the command, which verifies the hmac (a forged
report cannot switch anyone's address off) and records it: 5.x.x as a failure receipt
(address switched off, reminder falls back, page escalates), 4.x.x as a delay only, 2.x.x
as delivered.
"""

import email
import email.policy
import re
from dataclasses import dataclass
from email.utils import getaddresses

from django.db import transaction

from notifications import receipts
from notifications.models import AttemptReceipt, Channel
from notifications.verp import delivery_id_of

STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
# Where the address the bounce was sent to may be found (the MTA's own first).
RECIPIENT_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "To")


@dataclass(frozen=True)
class Report:
    """What one DSN says about the (first) recipient it reports on."""

    status: str  # "5.1.1"
    action: str  # failed, delayed, delivered, relayed, expanded
    diagnostic: str  # the remote server's words, e.g. "smtp; 550 5.1.1 no such user"


def read_report(message) -> Report | None:
    """The per-recipient fields of a ``message/delivery-status`` part; None without one."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else []
        # The first block is about the message, the others one per recipient.
        for block in blocks[1:] or blocks:
            status = str(block.get("Status", "")).strip().split(" ")[0]
            if STATUS.match(status):
                return Report(
                    status=status,
                    action=str(block.get("Action", "")).strip().lower(),
                    diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split())[:300],
                )
    return None


def handle_bounce(raw: bytes, recipient: str = "") -> str:
    """Read one bounce and record it; what became of it: ``recorded``, ``fell-back``,
    ``escalated``, ``ignored`` (already recorded, or no report in it) or ``unknown`` (not
    one of our VERP addresses, or a forged one)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])]
    candidates = [recipient] + [address for _, address in getaddresses(headers)]
    delivery_id = next((found for a in candidates if (found := delivery_id_of(a))), None)
    if delivery_id is None:
        return "unknown"
    report = read_report(message)
    if report is None:
        return "ignored"  # an auto-reply or a human's answer to the bounce address
    with transaction.atomic():
        delivery = receipts.locked_delivery(pk=delivery_id, channel=Channel.EMAIL)
        if delivery is None:
            return "unknown"
        kind = report.status[0]
        if kind == "4":
            return receipts.record_delay(delivery, report.status)
        receipt = AttemptReceipt.DELIVERED if kind == "2" else AttemptReceipt.UNDELIVERED
        words = f"{report.status} {report.diagnostic}".strip()
        return receipts.record_receipt(
            delivery,
            receipt,
            report.status,
            permanent=kind == "5",
            reason=f"the e-mail bounced: {words}",
            detail=f"email bounce: {report.action or '-'} {words}",
        )
