"""Heartbeats: when beat, the main worker and the alerts worker were last seen alive.

Why in the database, not Redis or Celery's own events: the health endpoint must say that a
worker stopped even while the broker is down, and it reads nothing else. Each beat tick
sends one tiny task to each worker queue; the worker that runs it records its kind. Beat
records itself when it publishes (at most once per tick). A stopped process shows as a
heartbeat older than two ticks (``health.grace()``), within a minute at the default tick.
"""

import logging
import time

from celery.signals import beat_init, before_task_publish
from django.db import DatabaseError
from django.utils import timezone

from notifications.models import Heartbeat, HeartbeatKind

log = logging.getLogger(__name__)


def record(kind: str) -> None:
    """Upsert the kind's heartbeat in one statement."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(kind=kind, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["kind"],
        update_fields=["seen_at"],
    )


def last_seen() -> dict[str, object]:
    """Each kind's last heartbeat (None: never seen)."""
    seen = dict(Heartbeat.objects.values_list("kind", "seen_at"))
    return {kind: seen.get(kind) for kind in HeartbeatKind.values}


class _BeatRecorder:
    """Connected in the beat process only: records "beat" as it publishes, at most once a
    ``period``. A database outage is logged and passed over: beat must go on publishing."""

    def __init__(self, period: float):
        self.period = period
        self.last = float("-inf")

    def __call__(self, **kwargs):
        now = time.monotonic()
        if now - self.last < self.period:
            return
        self.last = now
        try:
            record(HeartbeatKind.BEAT)
        except DatabaseError:
            log.warning("beat heartbeat not recorded: database unavailable", exc_info=True)


@beat_init.connect
def _beat_records_its_heartbeat(sender=None, **kwargs):
    from django.conf import settings

    before_task_publish.connect(_BeatRecorder(period=settings.CHECKIN_TICK_SECONDS / 2), weak=False)
