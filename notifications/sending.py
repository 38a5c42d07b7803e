"""One send through a delivery's channel: the real transport, or the local outbox; counted.

Every send is counted by kind, channel and outcome, and timed (backend/metrics.py); a
reminder's first try also says how late it left (sent - planned), which is what an operator
watches to know reminders leave on time before a patient notices otherwise.
"""

import time

from django.utils import timezone

from backend import metrics
from notifications import outbox
from notifications.breaker import guarded_send
from notifications.models import REMINDER_PURPOSES, Delivery, Purpose
from notifications.transports.base import Message, SendResult, Transport, TransportError

_PAGES = (Purpose.ALERT_PAGE, Purpose.ALERT_WEBHOOK, Purpose.ALERT_PAGERDUTY)


def kind_of(delivery: Delivery) -> str:
    if delivery.purpose in _PAGES:
        return "page"
    return "reminder" if delivery.purpose in REMINDER_PURPOSES else "start_link"


def send(transport: Transport, delivery: Delivery, message: Message) -> SendResult:
    """Send ``message`` for ``delivery``; raises ``TransportError`` as the transport does."""
    started = time.perf_counter()
    outcome = "temporary"
    try:
        if isinstance(transport, outbox.OutboxTransport):
            # The outbox keeps the delivery beside the message: its clinic scopes the page.
            result = transport.send(message, delivery)
        else:  # a real provider: held while the channel's circuit breaker is open
            result = guarded_send(transport, message)
        outcome = "sent"
        return result
    except TransportError as error:
        outcome = "permanent" if error.permanent else "temporary"
        raise
    finally:
        channel = delivery.channel
        metrics.transport_seconds.labels(channel).observe(time.perf_counter() - started)
        metrics.sends.labels(kind_of(delivery), channel, outcome).inc()
        if outcome == "sent" and delivery.purpose in REMINDER_PURPOSES and delivery.attempts <= 1:
            late = (timezone.now() - delivery.next_attempt_at).total_seconds()
            metrics.reminder_lateness_seconds.labels(channel).observe(max(late, 0.0))
