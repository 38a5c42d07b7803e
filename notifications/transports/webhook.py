"""Alert events to a clinic's paging system: a JSON POST signed with the clinic's secret.

The receiver checks ``X-Signature-256`` (HMAC-SHA256 of the exact body bytes, as ``sign``
computes it) and drops repeats by ``X-Idempotency-Key``: a retry after a lost answer
pages nobody twice.
"""

import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "webhook"
USER_AGENT = "pain-diary-webhook/1"
# Busy or restarting receivers: the same request can succeed later.
TEMPORARY_CODES = {408, 425, 429}

logger = logging.getLogger("notifications.transports")

_session = _common.new_session()


def sign(body: bytes, secret: str) -> str:
    """The ``X-Signature-256`` value of a body: ``sha256=`` and the hex HMAC-SHA256."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def encode(payload: dict) -> bytes:
    """The body, byte for byte: compact and key-sorted, so anyone can recompute the signature."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


class WebhookTransport(Transport):
    """One clinic's endpoint per message: ``message.address`` is the URL."""

    channel = "webhook"

    def is_configured(self) -> bool:
        # Nothing global to configure: the URL and secret belong to each clinic.
        return True

    def send(self, message: Message) -> SendResult:
        """POST ``message.extra["payload"]``, signed with ``message.extra["secret"]``."""
        url = message.address
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _common.failure(LABEL, url, "bad-url", permanent=True)
        body = encode(message.extra["payload"])
        headers = {
            "Content-Type": "application/json",
            "X-Idempotency-Key": message.collapse_id,
            "User-Agent": USER_AGENT,
        }
        secret = message.extra.get("secret") or ""
        if secret:
            headers["X-Signature-256"] = sign(body, secret)
        response = _common.post(
            _session,
            LABEL,
            url,
            url,
            data=body,
            headers=headers,
            timeout=self.timeout(),
            # A redirected POST may become a GET without its body, and would carry the
            # signature to a host nobody configured.
            allow_redirects=False,
        )
        if 200 <= response.status_code < 300:
            return _common.success(LABEL, response, response.headers.get("X-Request-Id", ""))
        raise self.error(response, url)

    def timeout(self) -> float:
        """``NOTIFY_HTTP_TIMEOUT``; when it is malformed, the default, and a warning.

        Why not refuse to send like the provider channels: a page must still go out.
        """
        value, problem = config.http_timeout()
        if problem:
            logger.warning("%s: %s; using %ss", LABEL, problem, value)
        return value

    def error(self, response, url: str):
        """408, 425, 429 and 5xx are temporary; any other 4xx, or a redirect, is permanent:
        the URL or the request is wrong, and sending the same again cannot help."""
        status = response.status_code
        permanent = 300 <= status < 500 and status not in TEMPORARY_CODES
        return _common.failure(
            LABEL,
            url,
            "redirect" if 300 <= status < 400 else "",
            permanent=permanent,
            status_code=status,
            response=response.text,
        )
