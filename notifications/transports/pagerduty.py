"""Alert events to a clinic's PagerDuty service through the Events API v2.

https://developer.pagerduty.com/docs/events-api-v2/overview/

One POST per event to ``PAGERDUTY_EVENTS_URL`` with the clinic's routing key (its service's
integration key) in the body; PagerDuty answers 202 once it has the event. Every event of one
alert names the same ``dedup_key``, so a retried trigger joins the incident it opened rather
than opening another, and acknowledge and resolve find it.

Answers: 202 is accepted; 400 is an event PagerDuty will never take (permanent: recorded,
not retried, and nothing is switched off, the key may be fixed for the next alert); 429 and
5xx are temporary, retried after PagerDuty's ``Retry-After`` when it sends one.
"""

import logging

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "pagerduty"
USER_AGENT = "pain-diary-pagerduty/1"
# Timed out, rate limited: the same event can be taken later.
TEMPORARY_CODES = {408, 429}

logger = logging.getLogger("notifications.transports")

_client = _common.JsonClient()


class PagerDutyTransport(Transport):
    """One clinic's PagerDuty service per message: the routing key is in the event."""

    channel = "pagerduty"

    def is_configured(self) -> bool:
        # The key belongs to each clinic; only the URL is ours.
        return not config.pagerduty_events_url()[1]

    def send(self, message: Message) -> SendResult:
        """POST ``message.extra["event"]``, an Events API v2 event, as it is."""
        url, problem = config.pagerduty_events_url()
        if problem:
            raise _common.not_configured(LABEL, problem)
        event = message.extra["event"]
        if not event.get("routing_key"):
            # The clinic removed its key after the event was planned: nowhere to send it.
            raise _common.failure(LABEL, message.address, "no-routing-key", permanent=True)
        response = _client.post(
            LABEL,
            message.address,
            url,
            body=event,
            headers={"User-Agent": USER_AGENT},
            timeout=self.timeout(),
        )
        if 200 <= response.status_code < 300:
            dedup_key = _common.json_or_empty(response).get("dedup_key", "")
            return _common.success(LABEL, response, str(dedup_key))
        raise self.error(response, message.address)

    def timeout(self) -> float:
        """``NOTIFY_HTTP_TIMEOUT`` (5 s by default); malformed, the default and a warning,
        as for the webhook: a page must still go out."""
        value, problem = config.http_timeout()
        if problem:
            logger.warning("%s: %s; using %ss", LABEL, problem, value)
        return value

    def error(self, response, address: str):
        """400 (an invalid event), a redirect or another 4xx is permanent; 408, 429 and
        5xx are temporary. PagerDuty's own words (``"status": "invalid event"``) name it."""
        status = response.status_code
        temporary = status in TEMPORARY_CODES or status >= 500
        reply = _common.json_or_empty(response)
        code = str(reply.get("status") or "")[:40].replace(" ", "-")
        return _common.failure(
            LABEL,
            address,
            code,
            permanent=not temporary,
            status_code=status,
            response=response.text,
            retry_after=_common.retry_after_seconds(response.headers) if temporary else None,
        )
