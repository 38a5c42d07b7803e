"""Push through Firebase Cloud Messaging, HTTP v1 API.

https://firebase.google.com/docs/reference/fcm/rest/v1/projects.messages/send
"""

import time

import urllib3

from notifications import config
from notifications.transports import _common
from notifications.transports.base import Message, SendResult, Transport
from notifications.transports.fcm_auth import AccessToken, TokenUnavailable

LABEL = "push/fcm"
# The token is dead or malformed: sending again cannot help, so the device is disabled.
PERMANENT_CODES = {"UNREGISTERED", "INVALID_ARGUMENT"}
# FCM's "slow down" (QUOTA_EXCEEDED) and "try later" (UNAVAILABLE): their Retry-After is
# honoured (up to the retry cap, notifications/services.retry_delay).
RETRY_AFTER_STATUSES = {429, 503}

# urllib3 directly: the channel sent by the ten thousand (see _common.JsonClient).
_client = _common.JsonClient()
_token = AccessToken()


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
        token, timeout = self.access_token(conf, message.address)
        response = _client.post(
            LABEL,
            message.address,
            f"{conf.base_url}/v1/projects/{conf.project_id}/messages:send",
            body=self.payload(message, now=time.time()),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
        if response.status_code == 200:
            name = _common.json_or_empty(response).get("name", "")
            return _common.success(LABEL, response, str(name))
        if response.status_code == 401 and conf.service_account:
            _token.expire(token)
        raise self.error(response, message.address)

    def access_token(self, conf: config.FcmConfig, address: str):
        """The bearer token, and the timeout left for the push: (token, timeout).

        A push after minting a token gets what is left of the send's bound (twice the
        timeout, as any send), so the two together stay inside the send lease.
        """
        if not conf.service_account:
            return conf.access_token, conf.timeout
        try:
            token, spent = _token.get(conf.service_account, timeout=conf.timeout)
        except TokenUnavailable as exc:
            if exc.key_problem:
                raise _common.not_configured(LABEL, f"FCM_SERVICE_ACCOUNT_FILE: {exc}") from exc
            raise _common.failure(LABEL, address, exc.error_code, permanent=False) from exc
        if not spent:
            return token, conf.timeout
        left = max(0.1, 2 * conf.timeout - spent)
        return token, urllib3.Timeout(connect=conf.timeout, read=conf.timeout, total=left)

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
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = _common.retry_after_seconds(response.headers)
        return _common.failure(
            LABEL,
            address,
            code,
            permanent=permanent,
            status_code=response.status_code,
            response=response.text,
            retry_after=retry_after,
        )
