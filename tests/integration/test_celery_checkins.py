"""A real beat and worker, through a real Redis, move check-ins in PostgreSQL with the clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import CheckIn, CheckInStatus
from tests.factories import make_procedure
from tests.integration.processes import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_beat_and_worker_mark_the_open_checkin_due_and_the_closed_one_missed(
    requires_postgres, redis_url, tmp_path, ana
):
    # Performed 20 min ago: the 15-min check-in is open now, none has closed yet...
    block = make_procedure(ana, performed_at=timezone.now() - timedelta(minutes=20))
    # ...and one made to have closed a minute ago, unanswered.
    CheckIn.objects.filter(procedure=block, key="m30").update(
        opens_at=timezone.now() - timedelta(minutes=10),
        due_at=timezone.now() - timedelta(minutes=5),
        closes_at=timezone.now() - timedelta(minutes=1),
    )
    assert set(block.checkins.values_list("status", flat=True)) == {CheckInStatus.UPCOMING}

    def statuses():
        return dict(block.checkins.filter(key__in=["m15", "m30"]).values_list("key", "status"))

    with celery_worker(redis_url, tmp_path, beat=True, CHECKIN_TICK_SECONDS=1):
        wait_for(
            lambda: statuses() == {"m15": CheckInStatus.DUE, "m30": CheckInStatus.MISSED},
            timeout=45,
            what="the worker to advance the check-ins",
            log=tmp_path / "worker.log",
        )
    later = block.checkins.exclude(key__in=["m15", "m30"])
    assert set(later.values_list("status", flat=True)) == {CheckInStatus.UPCOMING}
