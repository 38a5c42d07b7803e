"""The channel transports, by channel name: ``get_transport("sms").send(message)``."""

from notifications.transports.base import Message, SendResult, Transport, TransportError
from notifications.transports.email import EmailTransport
from notifications.transports.pagerduty import PagerDutyTransport
from notifications.transports.push_apns import ApnsTransport
from notifications.transports.push_fcm import FcmTransport
from notifications.transports.sms_twilio import TwilioSmsTransport
from notifications.transports.webhook import WebhookTransport

__all__ = [
    "TRANSPORTS",
    "ApnsTransport",
    "EmailTransport",
    "FcmTransport",
    "Message",
    "PagerDutyTransport",
    "PushTransport",
    "SendResult",
    "Transport",
    "TransportError",
    "TwilioSmsTransport",
    "WebhookTransport",
    "get_transport",
]


class PushTransport(Transport):
    """The push channel: sends through FCM or APNs by ``message.platform``."""

    channel = "push"

    def __init__(self):
        self.platforms: dict[str, Transport] = {"fcm": FcmTransport(), "apns": ApnsTransport()}

    def is_configured(self, platform: str = "") -> bool:
        """Whether this platform (or, with none named, any platform) can send."""
        if platform:
            transport = self.platforms.get(platform)
            return transport is not None and transport.is_configured()
        return any(transport.is_configured() for transport in self.platforms.values())

    def send(self, message: Message) -> SendResult:
        transport = self.platforms.get(message.platform)
        if transport is None:
            # A device row with a platform we do not know will never work.
            raise TransportError(
                f"push failed: unknown platform {message.platform!r}",
                permanent=True,
                error_code="unknown-platform",
            )
        return transport.send(message)


TRANSPORTS: dict[str, Transport] = {
    "push": PushTransport(),
    "sms": TwilioSmsTransport(),
    "email": EmailTransport(),
    "webhook": WebhookTransport(),
    "pagerduty": PagerDutyTransport(),
}


def get_transport(channel: str) -> Transport:
    """The transport of a channel; ``LookupError`` for a channel nobody built. With the local
    outbox on (notifications/outbox.py), push, SMS and e-mail are kept, not sent."""
    from notifications import outbox  # it reads the models, which import this package

    if outbox.enabled() and channel in outbox.TRANSPORTS:
        return outbox.TRANSPORTS[channel]
    try:
        return TRANSPORTS[channel]
    except KeyError:
        raise LookupError(f"no transport for channel {channel!r}") from None
