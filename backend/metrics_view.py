"""``/metrics``: the counters of every process on this host, and the state read at scrape.

Protected by a bearer token (``METRICS_TOKEN`` or ``METRICS_TOKEN_FILE``): without one set
the endpoint does not exist (404), so a deployment never serves it open by accident.
"""

import hmac
import os
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from backend.metrics import PREFIX

ALERTS_OPEN = f"{PREFIX}_alerts_open"
OLDEST_UNACKNOWLEDGED = f"{PREFIX}_alert_oldest_unacknowledged_seconds"
HEARTBEAT_AGE = f"{PREFIX}_heartbeat_age_seconds"
QUEUE_DEPTH = f"{PREFIX}_queue_depth"
STATE_METRICS = (ALERTS_OPEN, OLDEST_UNACKNOWLEDGED, HEARTBEAT_AGE, QUEUE_DEPTH)


class StateCollector:
    """Gauges read from the database and the broker each time Prometheus scrapes."""

    def describe(self):
        return []  # nothing read at registration: the database may not be there yet

    def collect(self):
        from notifications import heartbeat
        from notifications.models import Alert, AlertState

        now = timezone.now()
        open_alerts = GaugeMetricFamily(
            ALERTS_OPEN,
            "Alerts not yet resolved, by severity and state.",
            labels=["severity", "state"],
        )
        oldest = GaugeMetricFamily(
            OLDEST_UNACKNOWLEDGED,
            "Age of the oldest open, unacknowledged alert, by severity (0: none).",
            labels=["severity"],
        )
        beats = GaugeMetricFamily(
            HEARTBEAT_AGE,
            "Seconds since each kind of process (beat, worker, alerts) was last seen.",
            labels=["kind"],
        )
        try:
            live = Alert.objects.exclude(state=AlertState.RESOLVED)
            counts = {}
            first = {}
            for severity, state, created_at in live.values_list("severity", "state", "created_at"):
                counts[(severity, state)] = counts.get((severity, state), 0) + 1
                if state == AlertState.OPEN:
                    first[severity] = min(first.get(severity, created_at), created_at)
            for severity in ("urgent", "emergency"):
                for state in (AlertState.OPEN, AlertState.ACKNOWLEDGED):
                    open_alerts.add_metric([severity, state], counts.get((severity, state), 0))
                age = (now - first[severity]).total_seconds() if severity in first else 0
                oldest.add_metric([severity], age)
            for kind, seen_at in heartbeat.last_seen().items():
                age = (now - seen_at) if seen_at else timedelta(days=365)
                beats.add_metric([kind], age.total_seconds())
        except DatabaseError:
            return  # the health endpoint says the database is down; no stale numbers here
        yield open_alerts
        yield oldest
        yield beats
        depth = queue_depths()
        if depth is not None:
            queues = GaugeMetricFamily(
                QUEUE_DEPTH, "Messages waiting in each Celery queue.", labels=["queue"]
            )
            for name, count in depth.items():
                queues.add_metric([name], count)
            yield queues


def queue_depths() -> dict[str, int] | None:
    """Messages waiting per queue: LLEN on Redis, files in the folder on the filesystem broker."""
    names = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_ALERT_QUEUE]
    try:
        if settings.REDIS_URL:
            from backend.celery import app

            with app.connection_for_read() as conn:
                client = conn.default_channel.client
                return {name: int(client.llen(name)) for name in names}
        folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
        files = os.listdir(folder)
        return {name: sum(f.endswith(f".{name}.msg") for f in files) for name in names}
    except Exception:  # a broker that is down is the health endpoint's to report
        return None


_STATE = StateCollector()
_single_process_ready = False


def registry() -> CollectorRegistry:
    """Every process's counters (from the shared folder), or this process's own, with the state."""
    global _single_process_ready
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        chosen = CollectorRegistry()
        multiprocess.MultiProcessCollector(chosen)
        chosen.register(_STATE)
        return chosen
    from prometheus_client import REGISTRY  # one process (tests, a shell): its own counters

    if not _single_process_ready:
        REGISTRY.register(_STATE)
        _single_process_ready = True
    return REGISTRY


def allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404
    if not allowed(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
