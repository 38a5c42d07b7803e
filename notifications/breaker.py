"""A circuit breaker per channel: when permanent failures pile up, suspect ourselves.

A wrong credential after a deploy, or a provider's bad hour, can make every address look
dead; without a breaker each send would switch off one more patient's phone or number.
When one channel's permanent failures within ``BREAKER_WINDOW_SECONDS`` reach
``BREAKER_THRESHOLD``, the channel is held for ``BREAKER_HOLD_SECONDS``: its sends fail as
temporary without reaching the provider (retried, then handed to the next channel like any
send that keeps failing), permanent answers no longer disable anyone, and
``/api/v1/health/`` and the dashboard say so.

Push is counted per platform (a bad APNs key must not hold Android phones). Webhooks are not
counted: each clinic has its own endpoint, and one clinic's broken URL says nothing of the
others'. The counts live in Django's cache (Redis in production, shared by every worker;
per process in the embedded default). A cache that cannot be reached counts nothing and holds
nothing: the breaker fails open, to what happens without it.
"""

import logging
import math
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from notifications.transports.base import Message, SendResult, Transport, TransportError

log = logging.getLogger(__name__)

COUNTED = ("push/fcm", "push/apns", "sms", "email")
PREFIX = "breaker"


def name_of(channel: str, platform: str = "") -> str:
    return f"{channel}/{platform}" if channel == "push" and platform else channel


def _cache_call(default, method, *args, **kwargs):
    try:
        return method(*args, **kwargs)
    except Exception:  # the cache's errors vary by backend; all mean "no breaker now"
        log.warning("circuit breaker: cache unavailable", exc_info=True)
        return default


def held_since(name: str) -> datetime | None:
    """When the channel was held, if it is held now."""
    opened = _cache_call(None, cache.get, f"{PREFIX}:{name}:open")
    return datetime.fromtimestamp(opened, tz=UTC) if opened else None


def held() -> list[dict]:
    """Every channel held now, for the health report and the dashboard."""
    found = []
    for name in COUNTED:
        since = held_since(name)
        if since is not None:
            found.append({"channel": name, "since": since})
    return found


def count_permanent_failure(name: str) -> bool:
    """Count one permanent failure; whether the channel is held (now, or already)."""
    if name not in COUNTED:
        return False
    window = settings.BREAKER_WINDOW_SECONDS
    key = f"{PREFIX}:{name}:failures:{int(time.time() // window)}"
    # add then incr: atomic in Redis, so two workers failing at once both count.
    _cache_call(False, cache.add, key, 0, timeout=2 * window)
    failures = _cache_call(0, cache.incr, key)
    if failures >= settings.BREAKER_THRESHOLD:
        if _cache_call(
            False,
            cache.add,
            f"{PREFIX}:{name}:open",
            time.time(),
            timeout=settings.BREAKER_HOLD_SECONDS,
        ):
            log.error(
                "circuit breaker: %s held for %s s after %s permanent failures in %s s",
                name,
                settings.BREAKER_HOLD_SECONDS,
                failures,
                window,
            )
        return True
    return held_since(name) is not None


def release(name: str) -> None:
    """Let the channel send again (the credential was fixed before the hold ran out)."""
    _cache_call(None, cache.delete, f"{PREFIX}:{name}:open")


class HeldChannels:
    """Which channels are held, read for a batch of sends: every counted channel in one
    ``get_many``, read again once ``REFRESH_SECONDS`` have passed.

    Why: asked per send, the hold was one Redis round trip (and one redis-py client built
    by Django's cache) per reminder, about a fifth of a reminder's CPU (docs/performance.md).
    What it costs: a hold opened by another worker reaches this batch up to a second late,
    so a few more sends may reach the provider; none of them disables anyone, since a
    permanent failure is still counted, and believed only while the channel is not held.
    A hold this batch opens itself is seen at once (``hold``).
    """

    REFRESH_SECONDS = 1.0

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._held: set[str] = set()
        self._read_at = -math.inf

    def __contains__(self, name: str) -> bool:
        if self._clock() - self._read_at >= self.REFRESH_SECONDS:
            keys = {f"{PREFIX}:{counted}:open": counted for counted in COUNTED}
            found = _cache_call({}, cache.get_many, list(keys))
            self._held = {keys[key] for key, opened in found.items() if opened}
            self._read_at = self._clock()
        return name in self._held

    def hold(self, name: str) -> None:
        self._held.add(name)


def guarded_send(
    transport: Transport, message: Message, held: HeldChannels | None = None
) -> SendResult:
    """``transport.send(message)``, unless its channel is held; a permanent failure past
    the threshold comes back temporary, so it disables nobody. ``held``: the batch's view
    of the holds (one read a second); without it, the hold is read for this send."""
    # getattr: a stand-in transport (a test's, a wrapper) may not name its channel.
    name = name_of(getattr(transport, "channel", ""), message.platform)
    if name in COUNTED and (name in held if held is not None else held_since(name) is not None):
        raise TransportError(
            f"{name} held by the circuit breaker", permanent=False, error_code="circuit-open"
        )
    try:
        return transport.send(message)
    except TransportError as error:
        if not (error.permanent and count_permanent_failure(name)):
            raise
        if held is not None:
            held.hold(name)
        raise TransportError(
            f"{error.detail} (not trusted: {name} held by the circuit breaker)",
            permanent=False,
            status_code=error.status_code,
            response=error.response,
            error_code=error.error_code,
        ) from error
