"""Channel settings, read from the environment each time they are asked for.

Read at call time, not import time: a token file rotated by a sidecar is picked up on the
next send, and tests point a channel at a local receiver by setting the environment.
Each reader returns a frozen dataclass whose ``problem`` says why the channel cannot send
(empty when it can); nothing here raises for a missing setting, because a missing channel
is skipped, not fatal.

E-mail is the exception: it goes through Django's e-mail backend, so it reads Django's
``EMAIL_*`` settings (which ``backend/settings.py`` reads from the environment).
"""

import logging
import math
import os
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

# Push, SMS and webhook providers answer in well under a second when they are up; waiting
# longer only holds a claimed page or reminder from its next channel (and bounds how short
# the send lease, what a killed worker strands, can be: DELIVERY_SEND_LEASE_SECONDS).
DEFAULT_HTTP_TIMEOUT = 5.0
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _secret(name: str) -> tuple[str, str]:
    """A secret from ``NAME`` or from the file named in ``NAME_FILE``: (value, problem)."""
    path = _env(f"{name}_FILE")
    if path:
        try:
            return _secret_files.read(path), ""
        except OSError:
            return "", f"{name}_FILE cannot be read"
    return _env(name), ""


class _SecretFiles:
    """What each secret file held, read again only when ``stat`` says it changed.

    Every send asks for its channel's settings (a rotated file is used on the next send),
    and opening and reading the APNs key cost more than the rest of ``apns()``: a ``stat``
    sees a rotation just as well — a sidecar or Kubernetes rewrites or swaps the file, which
    changes its inode, size or modification time.
    """

    def __init__(self):
        self._held: dict[str, tuple[tuple, str]] = {}

    def read(self, path: str) -> str:
        status = os.stat(path)
        seen = (status.st_ino, status.st_size, status.st_mtime_ns)
        held = self._held.get(path)
        if held is not None and held[0] == seen:
            return held[1]
        with open(path, encoding="utf-8") as handle:
            value = handle.read().strip()
        self._held[path] = (seen, value)
        return value


_secret_files = _SecretFiles()


def _base_url(name: str, default: str) -> tuple[str, str]:
    """A provider's base URL, without a trailing slash: (value, problem)."""
    value = _env(name, default).rstrip("/")
    if not value.startswith(("https://", "http://")):
        return value, f"{name} must start with https://, not {value!r}"
    return value, ""


def _first_problem(*checks: tuple[bool, str]) -> str:
    return next((problem for failed, problem in checks if failed), "")


def http_timeout() -> tuple[float, str]:
    """``NOTIFY_HTTP_TIMEOUT`` in seconds (connect, and each read): (value, problem)."""
    raw = _env("NOTIFY_HTTP_TIMEOUT")
    if not raw:
        return DEFAULT_HTTP_TIMEOUT, ""
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        # Why not fall back to the default: a typo here should be seen, not guessed around.
        return DEFAULT_HTTP_TIMEOUT, f"NOTIFY_HTTP_TIMEOUT must be a positive number, not {raw!r}"
    return value, ""


@dataclass(frozen=True)
class FcmConfig:
    """Firebase Cloud Messaging, HTTP v1 API.

    With ``service_account`` (the JSON key file named by ``FCM_SERVICE_ACCOUNT_FILE``) the
    worker mints the OAuth2 access token itself and refreshes it before it expires
    (notifications/transports/fcm_auth.py). Without it, ``access_token`` is a ready bearer
    token (``FCM_ACCESS_TOKEN`` or ``FCM_ACCESS_TOKEN_FILE``, re-read on every send), for a
    deployment where something outside mints it.
    """

    base_url: str
    project_id: str
    access_token: str
    timeout: float
    service_account: str = ""
    problem: str = ""

    @property
    def configured(self) -> bool:
        return not self.problem


# Apple: a provider token is refused an hour after its "iat", and re-signed ones more often
# than every 20 minutes are refused too (TooManyProviderTokenUpdates).
APNS_TOKEN_REFRESH_MIN = 20 * 60
APNS_TOKEN_REFRESH_MAX = 60 * 60
APNS_TOKEN_REFRESH_DEFAULT = 45 * 60


@dataclass(frozen=True)
class ApnsConfig:
    """Apple Push Notification service, token-based (``.p8`` key) authentication.

    The worker signs the provider JWT (ES256) itself from the key (``APNS_KEY_FILE``, or the
    PEM in ``APNS_KEY``), ``APNS_KEY_ID`` and ``APNS_TEAM_ID``, and signs a new one every
    ``APNS_TOKEN_REFRESH_SECONDS`` (20 to 60 minutes, as Apple requires; 45 by default).
    ``APNS_BASE_URL`` is ``https://api.sandbox.push.apple.com`` for development builds;
    ``APNS_CA_FILE`` is a CA bundle to verify the server with (tests, a private gateway).
    """

    base_url: str
    topic: str
    key: str
    key_id: str
    team_id: str
    timeout: float
    ca_file: str = ""
    token_refresh_seconds: int = APNS_TOKEN_REFRESH_DEFAULT
    problem: str = ""

    @property
    def configured(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class TwilioConfig:
    """Twilio Programmable Messaging. ``messaging_service_sid`` wins over ``from_number``."""

    base_url: str
    account_sid: str
    auth_token: str
    from_number: str
    messaging_service_sid: str
    timeout: float
    # Where Twilio posts each message's delivery receipts (the public URL of
    # /api/v1/channels/twilio/status/, exactly as Twilio signs it); empty: no receipts.
    status_callback_url: str = ""
    problem: str = ""

    @property
    def configured(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class EmailConfig:
    """Django's e-mail settings, as far as the e-mail transport cares."""

    backend: str
    host: str
    from_email: str
    timeout: float | None
    problem: str = ""

    @property
    def configured(self) -> bool:
        return not self.problem


def fcm() -> FcmConfig:
    timeout, timeout_problem = http_timeout()
    base_url, url_problem = _base_url("FCM_BASE_URL", "https://fcm.googleapis.com")
    project_id = _env("FCM_PROJECT_ID")
    service_account = _env("FCM_SERVICE_ACCOUNT_FILE")
    token, token_problem = ("", "") if service_account else _secret("FCM_ACCESS_TOKEN")
    return FcmConfig(
        base_url=base_url,
        project_id=project_id,
        access_token=token,
        timeout=timeout,
        service_account=service_account,
        problem=_first_problem(
            (not project_id, "FCM_PROJECT_ID is not set"),
            (
                bool(service_account) and not os.path.isfile(service_account),
                "FCM_SERVICE_ACCOUNT_FILE cannot be read",
            ),
            (bool(token_problem), token_problem),
            (
                not (token or service_account),
                "FCM_SERVICE_ACCOUNT_FILE (or FCM_ACCESS_TOKEN) is not set",
            ),
            (bool(timeout_problem), timeout_problem),
            (bool(url_problem), url_problem),
        ),
    )


def _apns_refresh_seconds() -> tuple[int, str]:
    raw = _env("APNS_TOKEN_REFRESH_SECONDS")
    if not raw:
        return APNS_TOKEN_REFRESH_DEFAULT, ""
    value = int(raw) if raw.isdigit() else -1
    if not APNS_TOKEN_REFRESH_MIN <= value < APNS_TOKEN_REFRESH_MAX:
        return APNS_TOKEN_REFRESH_DEFAULT, (
            f"APNS_TOKEN_REFRESH_SECONDS must be from {APNS_TOKEN_REFRESH_MIN} to "
            f"{APNS_TOKEN_REFRESH_MAX - 1}, not {raw!r}"
        )
    return value, ""


def apns() -> ApnsConfig:
    timeout, timeout_problem = http_timeout()
    base_url, url_problem = _base_url("APNS_BASE_URL", "https://api.push.apple.com")
    topic = _env("APNS_TOPIC")
    key, key_problem = _secret("APNS_KEY")
    key_id = _env("APNS_KEY_ID")
    team_id = _env("APNS_TEAM_ID")
    ca_file = _env("APNS_CA_FILE")
    refresh, refresh_problem = _apns_refresh_seconds()
    return ApnsConfig(
        base_url=base_url,
        topic=topic,
        key=key,
        key_id=key_id,
        team_id=team_id,
        timeout=timeout,
        ca_file=ca_file,
        token_refresh_seconds=refresh,
        problem=_first_problem(
            (not topic, "APNS_TOPIC is not set"),
            (bool(key_problem), key_problem),
            (not key, "APNS_KEY_FILE (the .p8 key, or APNS_KEY) is not set"),
            (not key_id, "APNS_KEY_ID is not set"),
            (not team_id, "APNS_TEAM_ID is not set"),
            (bool(ca_file) and not os.path.isfile(ca_file), "APNS_CA_FILE cannot be read"),
            (bool(refresh_problem), refresh_problem),
            (bool(timeout_problem), timeout_problem),
            (bool(url_problem), url_problem),
        ),
    )


def twilio() -> TwilioConfig:
    timeout, timeout_problem = http_timeout()
    base_url, url_problem = _base_url("TWILIO_BASE_URL", "https://api.twilio.com")
    sid = _env("TWILIO_ACCOUNT_SID")
    token, token_problem = _secret("TWILIO_AUTH_TOKEN")
    from_number = _env("TWILIO_FROM")
    service_sid = _env("TWILIO_MESSAGING_SERVICE_SID")
    return TwilioConfig(
        base_url=base_url,
        account_sid=sid,
        auth_token=token,
        from_number=from_number,
        messaging_service_sid=service_sid,
        timeout=timeout,
        status_callback_url=_env("TWILIO_STATUS_CALLBACK_URL"),
        problem=_first_problem(
            (not sid, "TWILIO_ACCOUNT_SID is not set"),
            (bool(token_problem), token_problem),
            (not token, "TWILIO_AUTH_TOKEN (or TWILIO_AUTH_TOKEN_FILE) is not set"),
            (
                not (from_number or service_sid),
                "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is not set",
            ),
            (bool(timeout_problem), timeout_problem),
            (bool(url_problem), url_problem),
        ),
    )


def email() -> EmailConfig:
    backend = getattr(settings, "EMAIL_BACKEND", SMTP_BACKEND)
    host = getattr(settings, "EMAIL_HOST", "")
    timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    if timeout is None:
        # Django's SMTP default is no timeout at all: one stuck server would hang a worker.
        timeout = http_timeout()[0]
    return EmailConfig(
        backend=backend,
        host=host,
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", ""),
        timeout=timeout,
        # Only the SMTP backend needs a host; locmem (tests) and console (development) do not.
        problem="EMAIL_HOST is not set" if backend == SMTP_BACKEND and not host else "",
    )


def slowest_send_seconds() -> float:
    """The longest one send can take: its connect and read timeouts, each in full."""
    return 2 * max(http_timeout()[0], getattr(settings, "EMAIL_TIMEOUT", None) or 0)


def warn_about_short_leases() -> None:
    """Warn when a send could outlast the lease that keeps others off it.

    The sender stops starting sends early enough that the slowest one (connect and read
    timeouts, each in full) ends inside ``DELIVERY_SEND_LEASE_SECONDS``; with a lease shorter
    than that, every batch sends one message and hands the rest on, and a slow send can be
    taken over by the sweeper and sent twice.
    """
    slowest = slowest_send_seconds()
    lease = settings.DELIVERY_SEND_LEASE_SECONDS
    if lease <= slowest:
        logger.warning(
            "DELIVERY_SEND_LEASE_SECONDS (%s) should be longer than twice the slowest send "
            "timeout (NOTIFY_HTTP_TIMEOUT / EMAIL_TIMEOUT: %s s each way)",
            lease,
            slowest / 2,
        )


def pagerduty_events_url() -> tuple[str, str]:
    """``PAGERDUTY_EVENTS_URL`` (a Django setting: it has a default and no secret):
    (value, problem)."""
    url = (getattr(settings, "PAGERDUTY_EVENTS_URL", "") or "").strip()
    if not url.startswith(("https://", "http://")):
        return url, f"PAGERDUTY_EVENTS_URL must start with https://, not {url!r}"
    return url, ""


def warn_about_missing_channels() -> None:
    """Log one WARNING per channel that cannot send, saying which setting is missing.

    Called once at start-up. Never raises: a deployment without SMS still serves patients.
    With the local outbox on (notifications/outbox.py) push, SMS and e-mail cannot be
    missing: one INFO line says where their messages go instead.
    """
    readers = [("Push (FCM)", fcm), ("Push (APNs)", apns), ("SMS", twilio), ("E-mail", email)]
    # Each clinic brings its own PagerDuty key; only a broken URL stops every clinic's events.
    problem = pagerduty_events_url()[1]
    if problem:
        logger.warning("PagerDuty disabled: %s", problem)
    if getattr(settings, "OUTBOX_CHANNEL", False):
        logger.info(
            "Local outbox on: push, SMS and e-mail are kept, not sent; see %s/dashboard/outbox/",
            settings.SITE_URL.rstrip("/"),
        )
        return
    for label, read in readers:
        try:
            problem = read().problem
        except Exception:  # a broken setting must not stop start-up; say so and go on
            logger.warning("%s disabled: its settings could not be read", label, exc_info=True)
            continue
        if problem:
            logger.warning("%s disabled: %s", label, problem)
