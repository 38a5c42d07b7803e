"""Beat, the main worker and the alerts worker each leave a heartbeat the health report reads."""

import time

import pytest
from django.utils import timezone

from notifications import health
from notifications.heartbeat import last_seen
from tests.integration.processes import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_running_beat_and_worker_are_seen_and_a_killed_one_stops_being_seen(
    requires_postgres, redis_url, tmp_path, settings
):
    settings.CHECKIN_TICK_SECONDS = 1
    assert set(last_seen().values()) == {None}

    # One worker consumes both queues here, as the main worker and the alerts worker.
    with celery_worker(redis_url, tmp_path, beat=True, CHECKIN_TICK_SECONDS=1):
        wait_for(
            lambda: None not in last_seen().values(),
            timeout=45,
            what="heartbeats of beat, worker and alerts",
            log=tmp_path / "worker.log",
        )
        seen = health.processes(timezone.now())
        assert {kind: p["status"] for kind, p in seen.items()} == {
            "beat": "ok",
            "worker": "ok",
            "alerts": "ok",
        }
        wait_for(
            lambda: last_seen() != {k: p["seen_at"] for k, p in seen.items()},
            timeout=20,
            what="a later heartbeat",
            log=tmp_path / "worker.log",
        )

    stopped = last_seen()
    time.sleep(3)  # three ticks: a live worker would have beaten again

    assert last_seen() == stopped
