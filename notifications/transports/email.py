"""E-mail through Django's e-mail backend (SMTP in production, locmem in tests)."""

import smtplib

from django.core.mail import EmailMultiAlternatives, get_connection

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "email"


class EmailTransport(Transport):
    """One e-mail per message, plain text and HTML, over a connection opened for it.

    A connection per message is simple and plenty for e-mail's share of the traffic;
    push and SMS carry the volume.
    """

    channel = "email"

    def is_configured(self) -> bool:
        return config.email().configured

    def send(self, message: Message) -> SendResult:
        """Hand one e-mail to the backend: the title as subject; the text, HTML, headers
        and envelope sender from ``notifications.emails.dressed`` when it was dressed."""
        conf = config.email()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        extra = message.extra
        headers = dict(extra.get("headers") or {})
        return_path = extra.get("return_path") or ""
        if return_path:
            # Django sends the envelope from from_email and writes From from the headers
            # when they name one: the bounce goes to the VERP address, people see ours.
            headers["From"] = conf.from_email
        email = EmailMultiAlternatives(
            subject=message.title,
            body=extra.get("text") or f"{message.body}\n\n{message.url}",
            from_email=return_path or conf.from_email,
            to=[message.address],
            headers=headers,
            connection=get_connection(fail_silently=False, timeout=conf.timeout),
        )
        if extra.get("html"):
            email.attach_alternative(extra["html"], "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            # The server refused the address itself: 5xx (no such mailbox) is for good,
            # 4xx (mailbox busy, greylisting) is worth another try.
            code = next(iter(exc.recipients.values()), (None,))[0]
            raise _common.failure(
                LABEL, message.address, str(code or ""), permanent=_permanent(code)
            ) from exc
        except smtplib.SMTPDataError as exc:
            # Refused after the message was read (550 "mailbox unavailable", 552 "over
            # quota" for good): one recipient per e-mail, so it is about that address.
            raise _common.failure(
                LABEL, message.address, str(exc.smtp_code), permanent=_permanent(exc.smtp_code)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            # Our sender refused, our credentials: not the recipient's fault, never for good.
            raise _common.failure(
                LABEL, message.address, str(exc.smtp_code), permanent=False
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connection, timeout, TLS failure, dropped session: try again later.
            raise _common.failure(
                LABEL, message.address, type(exc).__name__, permanent=False
            ) from exc
        return SendResult(status_code=None, provider_id="", response="")


def _permanent(code) -> bool:
    return isinstance(code, int) and 500 <= code < 600
