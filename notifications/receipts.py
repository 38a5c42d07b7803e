"""Delivery receipts: what a provider reports after it accepted a message.

Twilio posts a message's status to the ``StatusCallback`` it was sent with
(https://www.twilio.com/docs/messaging/guides/track-outbound-message-status), signed in
``X-Twilio-Signature`` with our auth token; a bounced e-mail comes back as a DSN
(``notifications.bounces``). Either is recorded on the attempt that sent the message, once
(a second receipt for it is ignored). A message that did not arrive is handed on: a
reminder falls back to the patient's next channel (the channels already tried are skipped),
an alert page escalates to the next step at once. A permanent failure (STOP, a number or
mailbox that does not exist) also switches that address off, patient's or colleague's, with
the reason on their record, which the clinic sees.
"""

import base64
import hashlib
import hmac
import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from notifications import alerts, services
from notifications.models import AttemptOutcome, AttemptReceipt, Delivery, DeliveryStatus
from notifications.transports.sms_twilio import PERMANENT_CODES

log = logging.getLogger(__name__)

# Twilio's MessageStatus values that are final, and what we record for each.
FINAL = {
    "delivered": AttemptReceipt.DELIVERED,
    "undelivered": AttemptReceipt.UNDELIVERED,
    "failed": AttemptReceipt.FAILED,
}
OPTED_OUT = "21610"  # "Attempt to send to unsubscribed recipient": they replied STOP
# A receipt's error codes that say the number itself is no good: the refusals Twilio also
# gives on send, and 30005 (unknown handset) and 30006 (a landline, or no such carrier).
# 30003 (phone off or out of reach) and 30007 (carrier filtering) are not the number's fault.
PERMANENT_RECEIPT_CODES = {str(code) for code in PERMANENT_CODES} | {"30005", "30006"}


def twilio_signature(url: str, params: dict[str, str], auth_token: str) -> str:
    """Twilio's request signature: base64 HMAC-SHA1 of the URL and each POST parameter,
    sorted by name, appended as name then value."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def twilio_signature_ok(url: str, params: dict[str, str], auth_token: str, given: str) -> bool:
    if not (auth_token and given):
        return False
    return hmac.compare_digest(twilio_signature(url, params, auth_token), given)


def record_twilio_status(message_sid: str, status: str, error_code: str = "") -> str:
    """Record a receipt on the attempt that sent ``message_sid``; what became of it:
    ``recorded``, ``fell-back``, ``escalated``, ``ignored`` (not final, or already
    recorded) or ``unknown``."""
    receipt = FINAL.get(status)
    if receipt is None:
        return "ignored"  # queued, sending, sent: more is to come
    code = (error_code or "")[:16]
    if code == OPTED_OUT:
        reason = "replied STOP to SMS (Twilio error 21610)"
    else:
        reason = f"Twilio reported the text {status} (error {code})"
    with transaction.atomic():
        delivery = locked_delivery(provider_id=message_sid, channel="sms")
        if delivery is None:
            return "unknown"
        return record_receipt(
            delivery,
            receipt,
            code,
            permanent=code in PERMANENT_RECEIPT_CODES,
            reason=reason,
            detail=f"sms/twilio receipt: {status} error={code or '-'}",
        )


def locked_delivery(**where) -> Delivery | None:
    return (
        Delivery.objects.select_for_update(of=("self",))
        .filter(**where)
        .select_related("patient")
        .first()
    )


def record_receipt(
    delivery: Delivery, receipt: str, code: str, *, permanent: bool, reason: str, detail: str
) -> str:
    """What a provider reported about ``delivery`` (locked by the caller, in its
    transaction), on its last sent attempt; then the message is handed on if it did not
    arrive. Returns what became of it, as ``record_twilio_status`` does."""
    attempt = delivery.attempts_log.filter(outcome=AttemptOutcome.SENT).order_by("-id").first()
    if attempt is None or attempt.receipt:
        return "ignored"  # the provider retries a callback it thinks we missed
    attempt.receipt = receipt
    attempt.receipt_at = timezone.now()
    attempt.receipt_error_code = code[:16]
    attempt.save(update_fields=["receipt", "receipt_at", "receipt_error_code"])
    if receipt == AttemptReceipt.DELIVERED:
        return "recorded"
    if permanent:
        services.switch_off_address(delivery, reason, reported_later=True)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, last_error=detail[:500]
    )
    delivery.status = DeliveryStatus.FAILED
    if delivery.alert_id:
        if alerts.escalate_undelivered_page(delivery):
            log.warning("alert page %s undelivered (%s): escalated", delivery.pk, code)
            return "escalated"
        return "recorded"
    fallbacks = services._fall_back(delivery)
    transaction.on_commit(partial(services.enqueue, fallbacks))
    return "fell-back" if fallbacks else "recorded"


def record_delay(delivery: Delivery, code: str) -> str:
    """A provider still trying (an e-mail server's 4.x.x "delayed" notice): noted on the
    attempt, with no receipt, so the final word, when it comes, is still taken."""
    attempt = delivery.attempts_log.filter(outcome=AttemptOutcome.SENT).order_by("-id").first()
    if attempt is None or attempt.receipt:
        return "ignored"
    attempt.receipt_at = timezone.now()
    attempt.receipt_error_code = code[:16]
    attempt.save(update_fields=["receipt_at", "receipt_error_code"])
    return "recorded"
