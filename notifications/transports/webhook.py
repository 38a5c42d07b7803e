"""Alert events to a clinic's paging system: a JSON POST signed with the clinic's secret.

Signed the Standard Webhooks way (https://www.standardwebhooks.com/): ``webhook-id`` (the
event's idempotency key, the same on every retry), ``webhook-timestamp`` (UNIX seconds of
this try) and ``webhook-signature`` (``v1,`` and the base64 HMAC-SHA256 of
``id.timestamp.body``), so a receiver can reject a replayed page by its age and drop repeats
by id. The older ``X-Signature-256`` (HMAC-SHA256 of the body alone, as ``sign`` computes
it) and ``X-Idempotency-Key`` are still sent for one release, then dropped.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "webhook"
USER_AGENT = "pain-diary-webhook/1"
# Busy or restarting receivers: the same request can succeed later.
TEMPORARY_CODES = {408, 425, 429}
# All of a receiver's answer that is read and kept: enough to see why it refused, too
# little to read anything useful out of a host the URL should never have reached.
RESPONSE_EXCERPT = 200

logger = logging.getLogger("notifications.transports")


class UnsafeWebhookURL(ValueError):
    """A webhook URL the server must not post to; the message says why, for the admin."""


def check_url(url: str) -> list[str]:
    """The addresses ``url``'s host resolves to, each one checked; raises
    ``UnsafeWebhookURL``.

    Why: the worker posts wherever a clinic admin points it, from inside the network, so
    a URL naming a loopback, private, link-local, multicast or reserved address (a cloud's
    169.254.169.254, a database port) would be a request forged on the admin's behalf.
    Checked at save, for a clear message, and again at send, where the post goes to the
    checked address itself: the name may resolve elsewhere by then.

    ``WEBHOOK_ALLOW_PRIVATE_HOSTS`` (tests, development) lets a local receiver be used,
    over plain http too; DEBUG allows http only.
    """
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_HOSTS
    allowed_schemes = ("http", "https") if settings.DEBUG or allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeWebhookURL("Must be an https:// URL.")
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a port that is not a number, or out of range
        raise UnsafeWebhookURL("Enter a valid URL.") from None
    if not host:
        raise UnsafeWebhookURL("Enter a valid URL.")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnsafeWebhookURL(f"The host {host} cannot be found.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not allow_private:
        for address in addresses:
            if not _is_public(address):
                raise UnsafeWebhookURL(
                    f"The host {host} is a loopback, private or reserved address ({address}); "
                    "alerts can only be posted to a public one."
                )
    return addresses


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not the address
    if ip.version == 6 and ip.ipv4_mapped is not None:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    refused = (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    # is_global is also false for shared (carrier-grade NAT) space, 100.64.0.0/10.
    return ip.is_global and not refused


def sign(body: bytes, secret: str) -> str:
    """The ``X-Signature-256`` value of a body: ``sha256=`` and the hex HMAC-SHA256."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def standard_signature(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The ``webhook-signature`` value: ``v1,`` and base64 HMAC-SHA256 of id.timestamp.body.

    The key is the secret's bytes, or, for a secret in the spec's ``whsec_<base64>`` form,
    the bytes it encodes: either way what the ``standardwebhooks`` libraries verify with
    (``Webhook(secret.encode())`` or ``Webhook("whsec_…")``).
    """
    if secret.startswith("whsec_"):
        key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    else:
        key = secret.encode("utf-8")
    signed = b"%s.%d.%s" % (msg_id.encode("utf-8"), timestamp, body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


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
        try:
            addresses = check_url(url)
        except UnsafeWebhookURL as refused:
            # Permanent: the same URL is refused again; the admin must change it.
            logger.warning("%s refused: %s", LABEL, refused)
            raise _common.failure(LABEL, url, "bad-url", permanent=True) from None
        body = encode(message.extra["payload"])
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": message.collapse_id,
            "webhook-timestamp": str(timestamp),
            "X-Idempotency-Key": message.collapse_id,  # the old name, for one release
            "User-Agent": USER_AGENT,
        }
        secret = message.extra.get("secret") or ""
        if secret:
            headers["webhook-signature"] = standard_signature(
                message.collapse_id, timestamp, body, secret
            )
            headers["X-Signature-256"] = sign(body, secret)  # the old scheme, for one release
        response = _post_to_checked_address(url, addresses, body, headers, self.timeout())
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


def _post_to_checked_address(
    url: str, addresses: list[str], body: bytes, headers: dict, timeout: float
) -> _common.Answer:
    """POST to the first of the checked ``addresses`` that takes a connection, never to
    what the name resolves to now. The certificate is still checked against the URL's
    host (SNI and hostname), and the Host header is the URL's.

    No redirect is followed: a redirected POST may become a GET without its body, and
    would carry the signature to a host nobody configured (or checked). No environment
    proxy either: a proxy would resolve the name again itself.
    """
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {**headers, "Host": parts.netloc.rpartition("@")[2]}
    error = None
    for address in addresses:
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                server_hostname=parts.hostname,
                assert_hostname=parts.hostname,
                ca_certs=certifi.where(),
                retries=False,
                timeout=timeout,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, retries=False, timeout=timeout)
        try:
            response = pool.urlopen(
                "POST", target, body=body, headers=headers, redirect=False, preload_content=False
            )
            try:
                excerpt = response.read(RESPONSE_EXCERPT)
            finally:
                response.release_conn()
            return _common.Answer(response.status, excerpt, response.headers)
        except urllib3.exceptions.NewConnectionError as exc:
            error = exc  # refused or unreachable: the host's next address may answer
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            error = exc
            break
        finally:
            pool.close()
    code = _common.network_error_code(error)
    raise _common.failure(LABEL, url, code, permanent=False) from error
