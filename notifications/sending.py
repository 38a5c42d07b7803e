"""One send through a delivery's channel: the real transport, or the local outbox."""

from notifications import outbox
from notifications.models import Delivery
from notifications.transports.base import Message, SendResult, Transport


def send(transport: Transport, delivery: Delivery, message: Message) -> SendResult:
    """Send ``message`` for ``delivery``; raises ``TransportError`` as the transport does."""
    if isinstance(transport, outbox.OutboxTransport):
        # The outbox keeps the delivery beside the message: its clinic scopes the page.
        return transport.send(message, delivery)
    return transport.send(message)
