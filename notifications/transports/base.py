"""What every channel transport takes and returns. One class per channel, ``send(message)``."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """One notification to one address, with nothing clinical in it.

    ``collapse_id`` is stable per reminder: a push sent twice (a retry after a lost
    answer) replaces itself on the phone instead of showing twice.
    """

    address: str  # device token, E.164 phone number or e-mail address
    title: str
    body: str
    url: str
    collapse_id: str
    platform: str = ""  # "fcm" or "apns" for push
    extra: dict = field(default_factory=dict)
    # What the app reads from a push besides url and collapse_id (kind, checkin_id or
    # alert_id): strings only, carried alike by FCM and APNs (notifications/push_contract.py).
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None = None
    provider_id: str = ""
    response: str = ""


class TransportError(Exception):
    """A failed send. ``permanent`` means retrying cannot help (bad token, rejected number):
    the address is disabled and the next channel is tried."""

    def __init__(
        self,
        detail: str,
        *,
        permanent: bool,
        status_code=None,
        response: str = "",
        error_code: str = "",
        retry_after: float | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent
        self.status_code = status_code
        self.response = response[:2000]
        # The provider's own code ("UNREGISTERED", "BadDeviceToken", "21610"): safe to log.
        self.error_code = error_code
        # Seconds the provider asked us to wait (its Retry-After), for a temporary failure.
        self.retry_after = retry_after


class Transport:
    """Base of the channel transports."""

    channel = ""

    def is_configured(self) -> bool:
        """Whether the settings it needs are present; an unconfigured channel is skipped."""
        raise NotImplementedError

    def send(self, message: Message) -> SendResult:
        """Send one message, or raise ``TransportError``."""
        raise NotImplementedError
