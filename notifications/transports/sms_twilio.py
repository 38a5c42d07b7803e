"""SMS through Twilio's Programmable Messaging REST API.

https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource
"""

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "sms/twilio"
# Twilio error codes that belong to the number, not to us: sending again cannot help.
# 21211 invalid To, 21214 To cannot be reached, 21408 region not enabled, 21610 the person
# replied STOP, 21612 To not reachable by SMS, 21614 To is not a mobile number.
PERMANENT_CODES = {21211, 21214, 21408, 21610, 21612, 21614}

_session = _common.new_session()


class TwilioSmsTransport(Transport):
    """Text messages to an E.164 phone number."""

    channel = "sms"

    def is_configured(self) -> bool:
        return config.twilio().configured

    def send(self, message: Message) -> SendResult:
        """POST one message to ``/2010-04-01/Accounts/{sid}/Messages.json``."""
        conf = config.twilio()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        form = {"To": message.address, "Body": self.text(message)}
        # A messaging service picks the sender number itself (and handles opt-outs).
        if conf.messaging_service_sid:
            form["MessagingServiceSid"] = conf.messaging_service_sid
        else:
            form["From"] = conf.from_number
        if conf.status_callback_url:
            # Per message: Twilio posts this message's receipts (delivered, undelivered,
            # failed) there, signed with our auth token (notifications/receipts.py).
            form["StatusCallback"] = conf.status_callback_url
        response = _common.post(
            _session,
            LABEL,
            message.address,
            f"{conf.base_url}/2010-04-01/Accounts/{conf.account_sid}/Messages.json",
            data=form,
            auth=(conf.account_sid, conf.auth_token),
            timeout=conf.timeout,
        )
        if 200 <= response.status_code < 300:
            sid = _common.json_or_empty(response).get("sid", "")
            return _common.success(LABEL, response, str(sid))
        raise self.error(response, message.address)

    def text(self, message: Message) -> str:
        return f"{message.body} {message.url}".strip()

    def error(self, response, address: str):
        """Map a Twilio error answer (``{"code": 21211, …}``) to a ``TransportError``.

        Only a 400 naming the number is permanent; 401 (our credentials), 404 (our
        account id), 429 and 5xx are temporary.
        """
        code = _common.json_or_empty(response).get("code")
        permanent = response.status_code == 400 and code in PERMANENT_CODES
        return _common.failure(
            LABEL,
            address,
            "" if code is None else str(code),
            permanent=permanent,
            status_code=response.status_code,
            response=response.text,
        )
