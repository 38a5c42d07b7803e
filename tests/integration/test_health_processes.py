"""The health report from real processes: beat, the main worker and the alerts worker each
started as the Procfile starts them. The alerts worker is stopped: within two ticks (and the
slack, set short here) the report says so, and that the service is degraded, while the main
worker and beat are still seen."""

import uuid

import pytest
from django.utils import timezone

from tests.integration.processes import holds_for, start_beat, start_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def kinds(report: dict) -> dict[str, str]:
    return {kind: seen["status"] for kind, seen in report["processes"].items()}


def test_a_stopped_alerts_worker_shows_in_the_health_report_within_two_ticks(
    requires_postgres, redis_url, tmp_path, settings, anon
):
    settings.CHECKIN_TICK_SECONDS = 1
    settings.HEARTBEAT_SLACK_SECONDS = 1
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {"CHECKIN_TICK_SECONDS": "1"}
    main = start_worker(redis_url, tmp_path, queue=queue, queues="main", name="main", **env)
    alerts = start_worker(redis_url, tmp_path, queue=queue, queues="alerts", name="alerts", **env)
    beat = start_beat(redis_url, tmp_path, queue=queue, **env)
    try:
        wait_for(
            lambda: set(kinds(anon.get("/api/v1/health/").json()).values()) == {"ok"},
            timeout=60,
            what="beat, worker and alerts all seen",
            log=alerts.log,
        )
        assert anon.get("/api/v1/health/").json()["status"] == "ok"

        alerts.kill()
        stopped_at = timezone.now()
        report = wait_for(
            lambda: (r := anon.get("/api/v1/health/").json())["status"] == "degraded" and r,
            timeout=15,
            what="the alerts worker reported stopped",
            log=beat.log,
        )
        took = (timezone.now() - stopped_at).total_seconds()
        assert kinds(report) == {"beat": "ok", "worker": "ok", "alerts": "error"}
        # Two ticks and the slack (3 s), and the poll: never the old minute.
        assert took <= 2 * 1 + 1 + 2
        holds_for(
            lambda: kinds(anon.get("/api/v1/health/").json())["worker"] == "ok",
            seconds=3,
            what="the main worker still seen",
            log=main.log,
        )
    finally:
        for process in (main, alerts, beat):
            process.kill()
