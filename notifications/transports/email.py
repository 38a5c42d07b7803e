"""E-mail through Django's e-mail backend (SMTP in production, locmem in tests)."""

import smtplib

from django.core.mail import EmailMessage, get_connection

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "email"


class EmailTransport(Transport):
    """One plain-text e-mail per message, over a connection opened for it.

    A connection per message is simple and plenty for e-mail's share of the traffic;
    push and SMS carry the volume.
    """

    channel = "email"

    def is_configured(self) -> bool:
        return config.email().configured

    def send(self, message: Message) -> SendResult:
        """Hand one e-mail to the backend: the title as subject, the body and link as text."""
        conf = config.email()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        email = EmailMessage(
            subject=message.title,
            body=f"{message.body}\n\n{message.url}",
            from_email=conf.from_email,
            to=[message.address],
            connection=get_connection(fail_silently=False, timeout=conf.timeout),
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            # The server refused the address itself (no such mailbox): sending again won't help.
            code = next(iter(exc.recipients.values()), (None,))[0]
            raise _common.failure(LABEL, message.address, str(code or ""), permanent=True) from exc
        except smtplib.SMTPResponseException as exc:
            raise _common.failure(
                LABEL, message.address, str(exc.smtp_code), permanent=False
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connection, timeout, TLS failure, dropped session: try again later.
            raise _common.failure(
                LABEL, message.address, type(exc).__name__, permanent=False
            ) from exc
        return SendResult(status_code=None, provider_id="", response="")
