"""Push through the Apple Push Notification service, token-based authentication.

https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns

Apple's servers speak only HTTP/2: the client is ``httpx`` with ``h2``, one per worker
process, kept open between sends so a batch of reminders shares one TLS connection as
streams (Apple asks providers to keep connections open rather than reconnect per push).
It offers only ``h2`` (``http1=False``): a server that cannot speak it fails loudly in a
test instead of passing on HTTP/1.1 and failing against Apple.
"""

import logging
import os
import ssl
import threading
import time
from urllib.parse import quote

import httpx

from notifications import config
from notifications.transports import _common
from notifications.transports.apns_token import InvalidKey, ProviderToken
from notifications.transports.base import Message, SendResult, Transport

LABEL = "push/apns"
# httpx writes an INFO line per request with its URL, and an APNs URL ends in the device
# token: at the default LOG_LEVEL that was a line per reminder, naming the patient's phone.
# Our own lines say what happened with the token's tail only (_common.tail); httpx's
# warnings and errors still show.
logging.getLogger("httpx").setLevel(logging.WARNING)
# The token is dead (410) or not a token of our app: sending again cannot help.
PERMANENT_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic"}


class Http2Client:
    """The process's one ``httpx.Client`` to APNs, made on first use.

    Made again when the CA file or the timeout changes (a test pointing at its own
    receiver), and dropped in a forked child (Celery prefork): a TLS connection shared
    with the parent would interleave both processes' frames.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._made_for: tuple | None = None
        os.register_at_fork(after_in_child=self._forget)

    def get(self, conf: config.ApnsConfig) -> httpx.Client:
        made_for = (conf.ca_file, conf.timeout)
        with self._lock:
            if self._client is None or self._made_for != made_for:
                if self._client is not None:
                    self._client.close()
                self._client = httpx.Client(
                    http1=False,
                    http2=True,
                    verify=ssl.create_default_context(cafile=conf.ca_file or None),
                    # The same bound for connecting and for each read as every channel,
                    # so a send stays inside its lease (DELIVERY_SEND_LEASE_SECONDS).
                    timeout=httpx.Timeout(conf.timeout),
                    trust_env=_common.proxy_configured(),
                    follow_redirects=False,
                )
                self._made_for = made_for
            return self._client

    def _forget(self) -> None:
        # Not close(): that would send GOAWAY on the parent's connection.
        self._client = None
        self._made_for = None
        self._lock = threading.Lock()


def _caused_by_tls(exc: BaseException) -> bool:
    """Whether a certificate or handshake failure is behind this error (httpx wraps it)."""
    while exc is not None:
        if isinstance(exc, ssl.SSLError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


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
            json=self.payload(message, now=now),
            headers={
                "authorization": f"bearer {token}",
                "apns-topic": conf.topic,
                "apns-push-type": "alert",
                "apns-priority": "10",
                "apns-collapse-id": _common.collapse_id(message.collapse_id),
                "apns-expiration": str(max(0, _common.expires_at(message, now))),
            },
        )
        if response.status_code == 200:
            return _common.success(LABEL, response, response.headers.get("apns-id", ""))
        error = self.error(response, message.address)
        if error.error_code == "ExpiredProviderToken":
            _token.expire(token)
        raise error

    def post(self, conf: config.ApnsConfig, address: str, **kwargs) -> httpx.Response:
        """POST on the kept connection; a network failure becomes a temporary error.

        A connection Apple (or the network) dropped mid-batch fails the streams it carried;
        httpx drops that connection from its pool and the next send opens a fresh one.
        """
        url = f"{conf.base_url}/3/device/{quote(address, safe='')}"
        try:
            return _client.get(conf).post(url, **kwargs)
        except httpx.TimeoutException as exc:
            raise _common.failure(LABEL, address, "timeout", permanent=False) from exc
        except httpx.HTTPError as exc:
            code = "SSLError" if _caused_by_tls(exc) else "ConnectionError"
            raise _common.failure(LABEL, address, code, permanent=False) from exc

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
