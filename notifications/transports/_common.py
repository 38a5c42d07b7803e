"""What the transports share: kept-alive HTTP clients, error mapping, log-safe labels."""

import email.utils
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    NewConnectionError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)

from notifications.transports.base import Message, SendResult, TransportError

logger = logging.getLogger("notifications.transports")

RESPONSE_LIMIT = 2000
# Enough for a threaded worker or a benchmark's thread pool: past this, urllib3 would open
# a fresh connection per request and throw it away ("Connection pool is full").
POOL_SIZE = 64
DEFAULT_PUSH_TTL_SECONDS = 3600


PROXY_VARIABLES = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
)


def proxy_configured() -> bool:
    return any(os.environ.get(name) for name in PROXY_VARIABLES)


def new_session() -> requests.Session:
    """One per transport module: connections to the provider are kept alive between sends."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # requests re-reads proxy variables and ~/.netrc from the environment on every call
    # (a third of its per-POST cost): only worth it where an egress proxy is configured.
    session.trust_env = proxy_configured()
    # A forked worker (Celery prefork) must not share its parent's sockets.
    os.register_at_fork(after_in_child=session.close)
    return session


@dataclass(frozen=True)
class Answer:
    """A provider's answer, with the parts of ``requests.Response`` the transports read."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.content)


class JsonClient:
    """POSTs JSON to one provider through urllib3's connection pool, kept alive.

    Why not ``requests``: for the same kept-alive POST it costs about 0.47 ms of CPU
    against urllib3's 0.33 ms (docs/performance.md), and push is the channel sent by the
    ten thousand. Same behaviour otherwise: no retries (a failure is ours to retry later),
    the same timeout for connecting and for each read, and the same error codes. It does
    not follow redirects: a provider's API answering 3xx is an error to see, not to chase.
    Where an egress proxy is configured (``HTTPS_PROXY`` and the like), it posts through a
    ``requests`` session instead, which honours those variables, ``NO_PROXY`` and ``.netrc``.
    """

    def __init__(self):
        self.session = new_session() if proxy_configured() else None
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=POOL_SIZE, retries=False)
        # A forked worker (Celery prefork) must not share its parent's sockets.
        os.register_at_fork(after_in_child=self.pool.clear)

    def post(self, label: str, address: str, url: str, *, body: dict, headers: dict, timeout):
        """POST ``body`` as JSON; a network failure becomes a temporary ``TransportError``
        coded as ``post`` codes it (``timeout``, ``ConnectionError``, ``SSLError``…)."""
        if self.session is not None:
            return post(
                self.session, label, address, url, json=body, headers=headers, timeout=timeout
            )
        data = json.dumps(body, allow_nan=False).encode("utf-8")
        try:
            response = self.pool.request(
                "POST",
                url,
                body=data,
                headers={"Content-Type": "application/json", **headers},
                timeout=timeout,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise failure(label, address, network_error_code(exc), permanent=False) from exc
        return Answer(response.status, response.data, response.headers)


def network_error_code(exc: Exception) -> str:
    """What ``requests`` would have called this urllib3 error (see ``post``)."""
    if isinstance(exc, NewConnectionError):  # refused, unreachable, unknown host
        return "ConnectionError"
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, SSLError):
        return "SSLError"
    if isinstance(exc, ProxyError):
        return "ProxyError"
    return "ConnectionError"  # reset, dropped, a broken answer


def post(
    session: requests.Session, label: str, address: str, url: str, **kwargs
) -> requests.Response:
    """POST, turning a network failure (refused, reset, timeout) into a temporary error."""
    try:
        return session.post(url, **kwargs)
    except requests.Timeout as exc:
        raise failure(label, address, "timeout", permanent=False) from exc
    except requests.RequestException as exc:
        raise failure(label, address, type(exc).__name__, permanent=False) from exc


def failure(
    label: str,
    address: str,
    error_code: str,
    *,
    permanent: bool,
    status_code: int | None = None,
    response: str = "",
    retry_after: float | None = None,
) -> TransportError:
    """A ``TransportError`` whose detail and log line hold only status and error codes.

    The provider's answer goes into ``response`` (stored on the attempt row), never into
    the log: some providers echo the address or the text back.
    """
    detail = f"{label} failed: status={status_code} error={error_code or '-'}"
    logger.warning("%s permanent=%s to=%s", detail, permanent, tail(address))
    return TransportError(
        detail,
        permanent=permanent,
        status_code=status_code,
        response=response,
        error_code=error_code,
        retry_after=retry_after,
    )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date; None without one
    (or with one that cannot be read: then our own back-off applies)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def not_configured(label: str, problem: str) -> TransportError:
    """Ours to fix, not the address's fault: temporary, so nothing gets disabled."""
    logger.warning("%s not configured: %s", label, problem)
    return TransportError(
        f"{label} is not configured: {problem}", permanent=False, error_code="not-configured"
    )


def success(label: str, response: "requests.Response | Answer", provider_id: str) -> SendResult:
    logger.debug("%s sent: status=%s", label, response.status_code)
    return SendResult(
        status_code=response.status_code,
        provider_id=provider_id,
        response=response.text[:RESPONSE_LIMIT],
    )


def json_or_empty(response: "requests.Response | Answer") -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def collapse_id(value: str) -> str:
    """A collapse id within APNs' 64-byte limit.

    Why a hash rather than a cut: two long ids sharing their first 64 bytes would replace
    each other on the phone; a SHA-256 hex digest is exactly 64 bytes and stays stable.
    """
    if len(value.encode("utf-8")) <= 64:
        return value
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def tail(address: str) -> str:
    """The most of an address a log line may hold: its last four characters."""
    return "…" + address[-4:]


def expires_at(message: Message, now: float) -> int:
    """When a push stops being worth showing, as a UNIX time.

    From ``message.extra["expires_at"]`` (an aware datetime, e.g. the check-in's
    ``closes_at``, or UNIX seconds); otherwise an hour from now. A phone that is off
    until then is not shown a reminder for a check-in that has closed.
    """
    value = message.extra.get("expires_at")
    if value is None:
        return int(now) + DEFAULT_PUSH_TTL_SECONDS
    if hasattr(value, "timestamp"):
        value = value.timestamp()
    return int(value)


def push_data(message: Message, now: float) -> dict[str, str]:
    """What the app reads from a push, the same through FCM and APNs.

    Strings only (FCM's rule for data, kept for APNs so an app parses one shape): the
    message's own keys (kind, checkin_id or alert_id), the deep link, the collapse id and
    the expiry the provider was given, in ISO 8601 UTC. Keys: notifications/push_contract.py.
    """
    expires = datetime.fromtimestamp(expires_at(message, now), tz=UTC)
    return {
        **{key: str(value) for key, value in message.data.items()},
        "url": message.url,
        "collapse_id": message.collapse_id,
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
    }
