"""Delivery receipts: what a provider reports after it accepted a message.

Twilio posts a message's status to the ``StatusCallback`` it was sent with
(https://www.twilio.com/docs/messaging/guides/track-outbound-message-status), signed in
``X-Twilio-Signature`` with our auth token. A sent SMS that comes back ``undelivered`` or
``failed`` never reached the phone: the reminder falls back to the patient's next channel,
once (the channels already tried are skipped, and a second receipt for the same message is
ignored). Error 21610 means the person answered STOP: SMS is switched off for them, with the
reason on their contact record, which the clinic sees.
"""

import base64
import hashlib
import hmac
import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import AttemptOutcome, AttemptReceipt, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

# Twilio's MessageStatus values that are final, and what we record for each.
FINAL = {
    "delivered": AttemptReceipt.DELIVERED,
    "undelivered": AttemptReceipt.UNDELIVERED,
    "failed": AttemptReceipt.FAILED,
}
OPTED_OUT = "21610"  # "Attempt to send to unsubscribed recipient": they replied STOP


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
    ``recorded``, ``fell-back``, ``ignored`` (not final, or already recorded) or ``unknown``."""
    receipt = FINAL.get(status)
    if receipt is None:
        return "ignored"  # queued, sending, sent: more is to come
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(provider_id=message_sid, channel="sms")
            .select_related("patient")
            .first()
        )
        if delivery is None:
            return "unknown"
        attempt = delivery.attempts_log.filter(outcome=AttemptOutcome.SENT).order_by("-id").first()
        if attempt is None or attempt.receipt:
            return "ignored"  # Twilio retries a callback it thinks we missed
        attempt.receipt = receipt
        attempt.receipt_at = timezone.now()
        attempt.receipt_error_code = (error_code or "")[:16]
        attempt.save(update_fields=["receipt", "receipt_at", "receipt_error_code"])
        if receipt == AttemptReceipt.DELIVERED:
            return "recorded"
        if error_code == OPTED_OUT and delivery.alert_id is None:
            services._disable_address(delivery, "replied STOP to SMS (Twilio error 21610)")
        detail = f"sms/twilio receipt: {status} error={error_code or '-'}"
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=detail[:500]
        )
        delivery.status = DeliveryStatus.FAILED
        if delivery.alert_id:
            # A page goes out on every channel of its step at once: the others carry it,
            # and escalation pages the next person if nobody acknowledges.
            log.warning("alert page %s undelivered by SMS (%s)", delivery.pk, error_code)
            return "recorded"
        fallbacks = services._fall_back(delivery)
        transaction.on_commit(partial(services.enqueue, fallbacks))
    return "fell-back" if fallbacks else "recorded"
