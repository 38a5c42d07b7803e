"""The local outbox: a stand-in for SMS, e-mail and push that keeps each message instead.

Why: a newcomer running ``make run`` has no Twilio account, mail server or push keys, and
without them nothing is ever "sent", so the loop (a reminder, a check-in, a page to the nurse)
cannot be seen. With ``OUTBOX_CHANNEL`` on (the default in DEBUG, off otherwise) those three
channels count as configured; each message is kept as an ``OutboxMessage`` row, listed on the
dashboard's outbox page with its link, and announced in one console line. The clinic's
webhook is not stood in for: it already posts to a receiver the clinic names.
"""

import logging

from django.conf import settings

from notifications.models import Channel, Delivery, OutboxMessage
from notifications.transports.base import Message, SendResult, Transport

log = logging.getLogger("notifications.outbox")

STANDS_IN_FOR = (Channel.PUSH, Channel.SMS, Channel.EMAIL)


def enabled() -> bool:
    return getattr(settings, "OUTBOX_CHANNEL", False)


class OutboxTransport(Transport):
    """Keeps the message (``keep``); always configured, never fails."""

    def __init__(self, channel: str):
        self.channel = channel

    def is_configured(self, platform: str = "") -> bool:
        return True

    def send(self, message: Message, delivery: Delivery | None = None) -> SendResult:
        kept = keep(message, self.channel, delivery)
        return SendResult(status_code=None, provider_id=f"outbox-{kept.pk}", response="")


TRANSPORTS = {channel: OutboxTransport(channel) for channel in STANDS_IN_FOR}


def keep(message: Message, channel: str, delivery: Delivery | None) -> OutboxMessage:
    clinic_id = delivery.patient.clinic_id if delivery is not None else None
    kept = OutboxMessage.objects.create(
        clinic_id=clinic_id,
        delivery=delivery,
        channel=channel,
        address=message.address,
        title=message.title[:200],
        body=message.body,
        url=message.url[:500],
    )
    # One line, with the address cut to its tail like every other log line. The link is a
    # patient's credential: printed only in DEBUG, where it is the point of the demo.
    text = message.body or message.title
    if settings.DEBUG and message.url and message.url not in text:
        text = f"{text} {message.url}"
    elif not settings.DEBUG:
        text = text.replace(message.url, "[link]") if message.url else text
    log.info("outbox kept %s #%s to …%s: %s", channel, kept.pk, message.address[-4:], text)
    return kept
