"""What an e-mail carries beyond a message's words: a plain-text and an HTML part, the
List-Unsubscribe headers of a reminder (RFC 8058; never on a page to staff, who must not
switch pages off from a mail client), and the VERP envelope sender of the bounce path.
"""

from dataclasses import replace

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from notifications import unsubscribe, verp
from notifications.models import REMINDER_PURPOSES, Delivery
from notifications.transports.base import Message


def dressed(message: Message, delivery: Delivery) -> Message:
    """``message`` with its e-mail parts in ``extra``: ``text``, ``html``, ``headers``
    and ``return_path`` (read by the e-mail transport)."""
    to_patient = not delivery.alert_id
    language = delivery.patient.language if to_patient else "en"
    stop_url = unsubscribe.url_for(delivery.patient_id) if _unsubscribable(delivery) else ""
    with translation.override(language):
        link_text = gettext("Open your pain diary") if to_patient else "Open the alert"
        stop_text = gettext("Stop e-mail reminders") if stop_url else ""
        text = f"{message.body}\n\n{message.url}\n"
        if stop_url:
            text += f"\n{stop_text}: {stop_url}\n"
        html = render_to_string(
            "notifications/email.html",
            {
                "language": language,
                "title": message.title,
                "body": message.body,
                "url": message.url,
                "link_text": link_text,
                "stop_url": stop_url,
                "stop_text": stop_text,
            },
        )
    headers = {}
    if stop_url:
        headers = {
            "List-Unsubscribe": f"<{stop_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    extra = {
        **message.extra,
        "text": text,
        "html": html,
        "headers": headers,
        "return_path": verp.return_path(delivery.pk),
    }
    return replace(message, extra=extra)


def _unsubscribable(delivery: Delivery) -> bool:
    # Reminders only: the start link is the one message that begins a diary, sent once
    # when staff ask; a page to staff is never optional.
    return not delivery.alert_id and delivery.purpose in REMINDER_PURPOSES
