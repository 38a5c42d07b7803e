"""Push through the Apple Push Notification service, token-based authentication.

https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns

Apple's servers speak only HTTP/2: the client is ``httpcore`` (httpx's transport) with
``h2``, one pool per worker process, kept open between sends so a batch of reminders shares
one TLS connection as streams (Apple asks providers to keep connections open rather than
reconnect per push). Nothing here logs the URL, which ends in the patient's device token:
our own lines name its tail only (``_common.tail``).
"""

import json
import os
import ssl
import threading
import time
import urllib.request
from functools import lru_cache
from urllib.parse import quote, urlsplit

import httpcore

from notifications import config
from notifications.transports import _common
from notifications.transports.apns_token import InvalidKey, ProviderToken
from notifications.transports.base import Message, SendResult, Transport

LABEL = "push/apns"
# The token is dead (410) or not a token of our app: sending again cannot help.
PERMANENT_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic"}


class Http2Client:
    """The process's one HTTP/2 connection pool to APNs, made on first use.

    ``httpcore``, the transport layer of ``httpx`` (same maintainers, same ``h2`` protocol
    code: connection and stream life cycle, flow control, GOAWAY, reconnects), called
    directly: httpx's request and URL models, header normalising and cookie jar cost
    about as much CPU per push as everything else in a reminder's send
    (docs/performance.md). The URL and the fixed headers are built once per setting.

    Made again when the base URL, CA file or timeout changes (a test pointing at its own
    receiver), and dropped in a forked child (Celery prefork): a TLS connection shared
    with the parent would interleave both processes' frames.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._pool: httpcore.ConnectionPool | None = None
        self._made_for: tuple | None = None
        self._origin: tuple = ()
        self._fixed: list = []
        self._timeouts: dict = {}
        os.register_at_fork(after_in_child=self._forget)

    def post(self, conf: config.ApnsConfig, address: str, headers: list, body: bytes):
        """POST ``body`` to ``/3/device/{address}``: (status, headers, content)."""
        pool, (scheme, host, port, authority), fixed = self._get(conf)
        target = b"/3/device/" + quote(address, safe="").encode("ascii")
        response = pool.request(
            b"POST",
            httpcore.URL(scheme=scheme, host=host, port=port, target=target),
            headers=[
                (b"host", authority),
                *fixed,
                *headers,
                (b"content-length", str(len(body)).encode("ascii")),
            ],
            content=body,
            extensions={"timeout": self._timeouts},
        )
        return response.status, response.headers, response.content

    def _get(self, conf: config.ApnsConfig):
        made_for = (conf.base_url, conf.ca_file, conf.timeout, conf.topic, _proxy_for(conf))
        with self._lock:
            if self._pool is None or self._made_for != made_for:
                if self._pool is not None:
                    self._pool.close()
                self._pool = self._new_pool(conf, proxy=made_for[-1])
                self._origin = _origin(conf.base_url)
                self._fixed = [
                    (b"apns-topic", conf.topic.encode()),
                    (b"apns-push-type", b"alert"),
                    (b"apns-priority", b"10"),
                    (b"content-type", b"application/json"),
                ]
                # The same bound for connecting, each read and write, and waiting for the
                # pool, as every channel, so a send stays inside its lease
                # (DELIVERY_SEND_LEASE_SECONDS).
                self._timeouts = dict.fromkeys(("connect", "read", "write", "pool"), conf.timeout)
                self._made_for = made_for
            return self._pool, self._origin, self._fixed

    @staticmethod
    def _new_pool(conf: config.ApnsConfig, *, proxy: str):
        options = {
            "ssl_context": ssl.create_default_context(cafile=conf.ca_file or None),
            # Only h2: a server that cannot speak it fails loudly in a test instead of
            # passing on HTTP/1.1 and failing against Apple.
            "http1": False,
            "http2": True,
            "retries": 0,
        }
        if proxy:
            # An egress proxy: a CONNECT tunnel, then TLS and h2 to Apple through it.
            return httpcore.HTTPProxy(proxy_url=proxy, **options)
        return httpcore.ConnectionPool(**options)

    def _forget(self) -> None:
        # Not close(): that would send GOAWAY on the parent's connection.
        self._pool = None
        self._made_for = None
        self._lock = threading.Lock()


def _origin(base_url: str) -> tuple:
    """(scheme, host, port, authority) of APNS_BASE_URL, as bytes for httpcore."""
    parts = urlsplit(base_url)
    scheme = (parts.scheme or "https").encode("ascii")
    port = parts.port or 443
    host = (parts.hostname or "").encode("idna")
    authority = host if port == 443 else host + b":%d" % port
    return scheme, host, port, authority


def _proxy_for(conf: config.ApnsConfig) -> str:
    """The egress proxy for APNs from the environment (HTTPS_PROXY, ALL_PROXY), or "" where
    none is set or NO_PROXY names Apple's host: the standard library's reading of them."""
    if not _common.proxy_configured():
        return ""
    host = urlsplit(conf.base_url).hostname or ""
    if urllib.request.proxy_bypass_environment(host):
        return ""
    proxies = urllib.request.getproxies_environment()
    return proxies.get("https") or proxies.get("all") or ""


def _caused_by_tls(exc: BaseException) -> bool:
    """Whether a certificate or handshake failure is behind this error (httpcore wraps it)."""
    while exc is not None:
        if isinstance(exc, ssl.SSLError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _json(body: dict) -> bytes:
    # What httpx sent for ``json=``: compact, UTF-8, no NaN.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@lru_cache(maxsize=4)
def _bearer(token: str) -> bytes:
    # One token serves every push for 20+ minutes: its header bytes are made once.
    return b"bearer " + token.encode("ascii")


_client = Http2Client()
_token = ProviderToken()


class ApnsTransport(Transport):
    """iPhones, through Apple directly."""

    channel = "push"
    platform = "apns"

    def is_configured(self) -> bool:
        return config.apns().configured

    def send(self, message: Message) -> SendResult:
        """POST one alert to ``/3/device/{token}`` over HTTP/2."""
        conf = config.apns()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        try:
            token = _token.get(
                key=conf.key,
                key_id=conf.key_id,
                team_id=conf.team_id,
                refresh_seconds=conf.token_refresh_seconds,
            )
        except InvalidKey as exc:
            raise _common.not_configured(LABEL, str(exc)) from exc
        now = time.time()
        response = self.post(
            conf,
            message.address,
            headers=[
                (b"authorization", _bearer(token)),
                (b"apns-collapse-id", _common.collapse_id(message.collapse_id).encode()),
                (b"apns-expiration", b"%d" % max(0, _common.expires_at(message, now))),
            ],
            body=_json(self.payload(message, now=now)),
        )
        if response.status_code == 200:
            return _common.success(LABEL, response, response.headers.get("apns-id", ""))
        error = self.error(response, message.address)
        if error.error_code == "ExpiredProviderToken":
            _token.expire(token)
        raise error

    def post(self, conf: config.ApnsConfig, address: str, **kwargs) -> _common.Answer:
        """POST on the kept connection; a network failure becomes a temporary error.

        A connection Apple (or the network) dropped mid-batch fails the streams it carried;
        httpcore drops that connection from its pool and the next send opens a fresh one.
        """
        try:
            status, headers, content = _client.post(conf, address, **kwargs)
        except httpcore.TimeoutException as exc:
            raise _common.failure(LABEL, address, "timeout", permanent=False) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError) as exc:
            code = "SSLError" if _caused_by_tls(exc) else "ConnectionError"
            raise _common.failure(LABEL, address, code, permanent=False) from exc
        return _common.Answer(
            status,
            content,
            {name.decode("latin-1"): value.decode("latin-1") for name, value in headers},
        )

    def payload(self, message: Message, *, now: float) -> dict:
        """The request body: an alert with a sound, and beside ``aps`` the app's keys, the
        same as FCM's data."""
        return {
            "aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"},
            **_common.push_data(message, now),
        }

    def error(self, response, address: str):
        """Map an APNs error answer (``{"reason": …}``) to a ``TransportError``.

        403 (ExpiredProviderToken, InvalidProviderToken) is our JWT, not the device:
        temporary, so a stale token does not disable every iPhone at once.
        """
        reason = str(_common.json_or_empty(response).get("reason", ""))
        permanent = response.status_code == 410 or (
            response.status_code == 400 and reason in PERMANENT_REASONS
        )
        return _common.failure(
            LABEL,
            address,
            reason,
            permanent=permanent,
            status_code=response.status_code,
            response=response.text,
        )
