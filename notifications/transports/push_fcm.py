"""Push through Firebase Cloud Messaging, HTTP v1 API.

https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
"""

import time

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport

LABEL = "push/fcm"
# The token is dead or malformed: sending again cannot help, so the device is disabled.
PERMANENT_CODES = {"UNREGISTERED", "INVALID_ARGUMENT"}

# urllib3 directly: the channel sent by the ten thousand (see _common.JsonClient).
_client = _common.JsonClient()


class FcmTransport(Transport):
    """Android phones (and iOS apps registered with FCM)."""

    channel = "push"
    platform = "fcm"

    def is_configured(self) -> bool:
        return config.fcm().configured

    def send(self, message: Message) -> SendResult:
        """POST one message to ``/v1/projects/{project}/messages:send``."""
        conf = config.fcm()
        if not conf.configured:
            raise _common.not_configured(LABEL, conf.problem)
        response = _client.post(
            LABEL,
            message.address,
            f"{conf.base_url}/v1/projects/{conf.project_id}/messages:send",
            body=self.payload(message, now=time.time()),
            headers={"Authorization": f"Bearer {conf.access_token}"},
            timeout=conf.timeout,
        )
        if response.status_code == 200:
            name = _common.json_or_empty(response).get("name", "")
            return _common.success(LABEL, response, str(name))
        raise self.error(response, message.address)

    def payload(self, message: Message, *, now: float) -> dict:
        """The request body: a notification the phone shows, and the link it opens."""
        expires_at = _common.expires_at(message, now)
        return {
            "message": {
                "token": message.address,
                "notification": {"title": message.title, "body": message.body},
                # The app's keys, alike in FCM and APNs (FCM data values must be strings).
                "data": _common.push_data(message, now),
                "android": {
                    "collapse_key": message.collapse_id,
                    "priority": "high",
                    "ttl": f"{max(0, expires_at - int(now))}s",
                },
                # Read only when the token belongs to an iOS app that registered with FCM.
                "apns": {
                    "headers": {
                        "apns-collapse-id": _common.collapse_id(message.collapse_id),
                        "apns-expiration": str(max(0, expires_at)),
                    }
                },
            }
        }

    def error(self, response, address: str):
        """Map an FCM error answer to a permanent or temporary ``TransportError``.

        401/403 are our credentials or project, not the device's: temporary, so a
        misconfiguration does not disable every phone at once.
        """
        error = _common.json_or_empty(response).get("error") or {}
        if not isinstance(error, dict):
            error = {}
        codes = [
            detail.get("errorCode", "")
            for detail in error.get("details") or []
            if isinstance(detail, dict)
        ]
        code = next((c for c in codes if c), "") or str(error.get("status", ""))
        permanent = response.status_code in (400, 404) and bool(
            PERMANENT_CODES & {*codes, error.get("status")}
        )
        return _common.failure(
            LABEL,
            address,
            code,
            permanent=permanent,
            status_code=response.status_code,
            response=response.text,
        )
