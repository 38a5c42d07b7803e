"""Is the service keeping up? The database, the broker, and work that should have been done.

Only counts leave this module: a monitor polling it anonymously learns nothing about anyone.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection

from backend.celery import app
from notifications import breaker, heartbeat
from notifications.models import Alert, AlertState, Delivery, DeliveryStatus

OK = "ok"
DEGRADED = "degraded"
DOWN = "down"
ERROR = "error"


def grace() -> timedelta:
    """Beat runs every tick; work overdue by more than two ticks (and slack for a slow one)
    means beat or the workers are not keeping up."""
    return timedelta(seconds=2 * settings.CHECKIN_TICK_SECONDS + 30)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def broker_ok(timeout: float = 2.0) -> bool:
    """Whether the broker accepts a connection, within about ``timeout`` seconds.

    Each of the two tries gets half of ``timeout`` for connecting and for its first answer:
    without socket timeouts, a Redis that accepts connections but never answers (a hung
    server, a half-open proxy) would hold the request for ever.
    """
    per_try = timeout / 2
    try:
        with app.connection_for_write(
            connect_timeout=per_try,
            transport_options={"socket_connect_timeout": per_try, "socket_timeout": per_try},
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception:  # any failure to reach it, whatever the transport raises, is "down"
        return False
    return True


def overdue_alerts(now: datetime) -> int:
    """Open alerts whose escalation is overdue; filters exactly as ``alert_to_escalate``."""
    return Alert.objects.filter(state=AlertState.OPEN, next_escalation_at__lt=now - grace()).count()


def overdue_deliveries(now: datetime) -> int:
    """Deliveries waiting past their time, or held by a worker past its lease.

    Two counts rather than one OR: each filters exactly as its partial index
    (``delivery_pending``, ``delivery_sending``), so neither reads the sent rows.
    """
    cutoff = now - grace()
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lt=cutoff)
    sending = Delivery.objects.filter(status=DeliveryStatus.SENDING, lease_until__lt=cutoff)
    return pending.count() + sending.count()


def heartbeat_grace() -> timedelta:
    """Two ticks, and ``HEARTBEAT_SLACK_SECONDS`` for a heartbeat queued behind a burst of
    reminders on the main worker (it waits its turn like any task)."""
    return timedelta(seconds=2 * settings.CHECKIN_TICK_SECONDS + settings.HEARTBEAT_SLACK_SECONDS)


def processes(now: datetime) -> dict[str, dict]:
    """Each kind of process (beat, main worker, alerts worker): seen within the grace?"""
    cutoff = now - heartbeat_grace()
    return {
        kind: {"seen_at": seen_at, "status": OK if seen_at and seen_at >= cutoff else ERROR}
        for kind, seen_at in heartbeat.last_seen().items()
    }


def report(now: datetime) -> dict:
    """The health report: "down" if the database or broker is, "degraded" if work is late
    or a kind of process has not been seen."""
    database = database_ok()
    alerts = deliveries = running = None
    if database:
        try:
            alerts, deliveries = overdue_alerts(now), overdue_deliveries(now)
            running = processes(now)
        except DatabaseError:  # went away between the checks
            database = False
            alerts = deliveries = running = None
    broker = broker_ok()
    held = breaker.held()
    if not (database and broker):
        status = DOWN
    elif alerts or deliveries or held or any(p["status"] != OK for p in running.values()):
        status = DEGRADED
    else:
        status = OK
    return {
        "status": status,
        "database": OK if database else ERROR,
        "broker": OK if broker else ERROR,
        "overdue_alerts": alerts,
        "overdue_deliveries": deliveries,
        "processes": running,
        "held_channels": held,
        "checked_at": now,
    }
