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
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip(), ""
        except OSError:
            return "", f"{name}_FILE cannot be read"
    return _env(name), ""


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

    ``access_token`` is an OAuth2 bearer token for the ``firebase.messaging`` scope.
    Minting it from a service-account key (and refreshing it hourly) is not done here:
    something outside (a sidecar, ``gcloud auth print-access-token`` in a cron job)
    writes it to ``FCM_ACCESS_TOKEN_FILE``, which is re-read on every send.
    """

    base_url: str
    project_id: str
    access_token: str
    timeout: float
    problem: str = ""

    @property
    def configured(self) -> bool:
        return not self.problem


@dataclass(frozen=True)
class ApnsConfig:
    """Apple Push Notification service, token-based (``.p8`` key) authentication.

    ``auth_token`` is the provider JWT (ES256, signed with the team's key). Apple wants it
    refreshed at most every 20 minutes and at least every hour; signing it is not done here:
    something outside writes it to ``APNS_AUTH_TOKEN_FILE``, which is re-read on every send.
    ``APNS_BASE_URL`` is ``https://api.sandbox.push.apple.com`` for development builds.
    """

    base_url: str
    topic: str
    auth_token: str
    timeout: float
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
    token, token_problem = _secret("FCM_ACCESS_TOKEN")
    return FcmConfig(
        base_url=base_url,
        project_id=project_id,
        access_token=token,
        timeout=timeout,
        problem=_first_problem(
            (not project_id, "FCM_PROJECT_ID is not set"),
            (bool(token_problem), token_problem),
            (not token, "FCM_ACCESS_TOKEN (or FCM_ACCESS_TOKEN_FILE) is not set"),
            (bool(timeout_problem), timeout_problem),
            (bool(url_problem), url_problem),
        ),
    )


def apns() -> ApnsConfig:
    timeout, timeout_problem = http_timeout()
    base_url, url_problem = _base_url("APNS_BASE_URL", "https://api.push.apple.com")
    topic = _env("APNS_TOPIC")
    token, token_problem = _secret("APNS_AUTH_TOKEN")
    return ApnsConfig(
        base_url=base_url,
        topic=topic,
        auth_token=token,
        timeout=timeout,
        problem=_first_problem(
            (not topic, "APNS_TOPIC is not set"),
            (bool(token_problem), token_problem),
            (not token, "APNS_AUTH_TOKEN (or APNS_AUTH_TOKEN_FILE) is not set"),
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


def warn_about_missing_channels() -> None:
    """Log one WARNING per channel that cannot send, saying which setting is missing.

    Called once at start-up. Never raises: a deployment without SMS still serves patients.
    With the local outbox on (notifications/outbox.py) push, SMS and e-mail cannot be
    missing: one INFO line says where their messages go instead.
    """
    readers = [("Push (FCM)", fcm), ("Push (APNs)", apns), ("SMS", twilio), ("E-mail", email)]
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
