"""What the transports share: a kept-alive HTTP session, error mapping, log-safe labels."""

import hashlib
import logging
import os

import requests
from requests.adapters import HTTPAdapter

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


def new_session() -> requests.Session:
    """One per transport module: connections to the provider are kept alive between sends."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    # requests re-reads proxy variables and ~/.netrc from the environment on every call
    # (a third of its per-POST cost): only worth it where an egress proxy is configured.
    session.trust_env = any(os.environ.get(name) for name in PROXY_VARIABLES)
    # A forked worker (Celery prefork) must not share its parent's sockets.
    os.register_at_fork(after_in_child=session.close)
    return session


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
    )


def not_configured(label: str, problem: str) -> TransportError:
    """Ours to fix, not the address's fault: temporary, so nothing gets disabled."""
    logger.warning("%s not configured: %s", label, problem)
    return TransportError(
        f"{label} is not configured: {problem}", permanent=False, error_code="not-configured"
    )


def success(label: str, response: requests.Response, provider_id: str) -> SendResult:
    logger.debug("%s sent: status=%s", label, response.status_code)
    return SendResult(
        status_code=response.status_code,
        provider_id=provider_id,
        response=response.text[:RESPONSE_LIMIT],
    )


def json_or_empty(response: requests.Response) -> dict:
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
