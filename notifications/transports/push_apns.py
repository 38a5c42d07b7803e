"""Push through the Apple Push Notification service, token-based authentication.

https://developer.apple.com/documentation/usernotifications/sending-notification-requests-to-apns

Apple's servers speak only HTTP/2, and ``requests`` speaks HTTP/1.1: against
``api.push.apple.com`` this transport's requests are refused at the protocol level.
Switching ``_session`` to an HTTP/2 client (``httpx`` with ``http2=True``, one client
per process, kept open) is a follow-up; the request it sends (path, headers, JSON) is
what Apple documents and what the tests check, and will not change with the client.
"""

import time
from urllib.parse import quote

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "push/apns"
# The token is dead (410) or not a token of our app: sending again cannot help.
PERMANENT_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic"}

_session = _common.new_session()


class ApnsTransport(Transport):
    """iPhones, through Apple directly."""

    channel = "push"
    platform = "apns"

    def is_configured(self) -> bool:
        return config.apns().configured

    def send(self, message: Message) -> SendResult:
        """POST one alert to ``/3/device/{token}``."""
        conf = config.apns()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        now = time.time()
        response = _common.post(
            _session,
            LABEL,
            message.address,
            f"{conf.base_url}/3/device/{quote(message.address, safe='')}",
            json=self.payload(message, now=now),
            headers={
                "authorization": f"bearer {conf.auth_token}",
                "apns-topic": conf.topic,
                "apns-push-type": "alert",
                "apns-priority": "10",
                "apns-collapse-id": _common.collapse_id(message.collapse_id),
                "apns-expiration": str(max(0, _common.expires_at(message, now))),
            },
            timeout=conf.timeout,
        )
        if response.status_code == 200:
            return _common.success(LABEL, response, response.headers.get("apns-id", ""))
        raise self.error(response, message.address)

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
