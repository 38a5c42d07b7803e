"""One send through a delivery's channel: the real transport, or the local outbox; counted.

Every send is counted by kind, channel and outcome, and timed (backend/metrics.py); a
reminder's first try also says how late it left (sent - planned), which is what an operator
watches to know reminders leave on time before a patient notices otherwise.
"""

import functools
import time

from django.utils import timezone

from backend import metrics
from notifications import outbox
from notifications.breaker import HeldChannels, guarded_send
from notifications.models import REMINDER_PURPOSES, Delivery, Purpose
from notifications.transports.base import Message, SendResult, Transport, TransportError

_PAGES = (Purpose.ALERT_PAGE, Purpose.ALERT_WEBHOOK, Purpose.ALERT_PAGERDUTY)


def kind_of(delivery: Delivery) -> str:
    if delivery.purpose in _PAGES:
        return "page"
    return "reminder" if delivery.purpose in REMINDER_PURPOSES else "start_link"


@functools.cache
def _series(metric, *labels):
    """A metric's child for these labels, looked up once per process, not once per send:
    ``labels()`` takes a lock and builds a key each time, and the series never changes."""
    return metric.labels(*labels)


def send(
    transport: Transport,
    delivery: Delivery,
    message: Message,
    held: HeldChannels | None = None,
) -> SendResult:
    """Send ``message`` for ``delivery``; raises ``TransportError`` as the transport does.
    ``held``: the batch's view of the circuit breaker's holds (breaker.HeldChannels)."""
    started = time.perf_counter()
    outcome = "temporary"
    try:
        if isinstance(transport, outbox.OutboxTransport):
            # The outbox keeps the delivery beside the message: its clinic scopes the page.
            result = transport.send(message, delivery)
        else:  # a real provider: held while the channel's circuit breaker is open
            result = guarded_send(transport, message, held)
        outcome = "sent"
        return result
    except TransportError as error:
        outcome = "permanent" if error.permanent else "temporary"
        raise
    finally:
        channel = delivery.channel
        _series(metrics.transport_seconds, channel).observe(time.perf_counter() - started)
        _series(metrics.sends, kind_of(delivery), channel, outcome).inc()
        if outcome == "sent" and delivery.purpose in REMINDER_PURPOSES and delivery.attempts <= 1:
            late = (timezone.now() - delivery.next_attempt_at).total_seconds()
            _series(metrics.reminder_lateness_seconds, channel).observe(max(late, 0.0))
