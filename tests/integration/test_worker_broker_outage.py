"""A worker holding countdown reminders survives Redis going away, and sends each once.

Each tick hands the workers the reminders due before the next tick, with a countdown to
their exact time, so a worker normally holds a few unacknowledged messages. When Redis
drops then, kombu 5.7.0 closed the broken connection before restoring those messages and
the restore crashed the worker for good (``AttributeError: 'NoneType' object has no
attribute 'hostname'``, see ``backend/celery.py``). Here a real worker holds countdown
tasks while its own ``redis-server`` is stopped and started (empty, as a broker without
persistence comes back): it must still be running afterwards, and every reminder must
reach the phone exactly once, from the database, when Redis is back.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Delivery
from tests.factories import PatientFactory
from tests.integration.processes import (
    FAST_CLOCK,
    Providers,
    holds_for,
    private_redis,
    wait_for,
    wait_for_ticks,
    worker,
)
from tests.integration.test_reminder_outages import (
    all_sent,
    collapse_id,
    reminder_due_in,
    reserved_by_a_worker,
    with_phone,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SEND = "notifications.tasks.send_deliveries"
CRASH = "Unrecoverable error"


def test_a_worker_holding_countdown_reminders_survives_a_redis_outage_and_sends_each_once(
    requires_postgres, tmp_path, httpserver, north
):
    providers = Providers(httpserver)
    # Claimed up to 10 s ahead: the worker holds each send task until its reminder is due.
    env = {**FAST_CLOCK, "DISPATCH_LOOKAHEAD_SECONDS": 10, **providers.env()}

    with (
        private_redis(tmp_path / "redis") as broker,
        worker(broker.url, tmp_path, beat=True, **env) as running,
    ):
        running.wait_ready()
        # Four reminders 4 s apart: four countdown tasks, each its own message.
        checkins = [
            reminder_due_in(with_phone(PatientFactory(clinic=north), f"fcm-{n}"), 14 + 4 * n)
            for n in range(4)
        ]
        wait_for(
            lambda: reserved_by_a_worker(broker, SEND) >= 2,
            timeout=30,
            what="the worker to hold countdown send tasks",
            log=running.log,
        )
        assert timezone.now() < checkins[0].remind_at - timedelta(seconds=1), "too late to test"
        broker.stop()

        # Down for a while: the worker notices, gives up its messages and keeps trying.
        holds_for(
            lambda: running.process.poll() is None and CRASH not in running.log_text(),
            seconds=6,
            what="the worker running through the outage",
            log=running.log,
        )
        broker.start()  # same port, empty: the countdown tasks are gone with it

        wait_for(lambda: all_sent(checkins), timeout=60, what="every reminder", log=running.log)
        wait_for_ticks(running, 5)  # time for a repeat to show itself
        assert running.process.poll() is None, running.log_text()[-3000:]

    log = running.log_text()
    assert CRASH not in log and "AttributeError" not in log, log[-3000:]
    assert providers.count_by_collapse_id() == {collapse_id(c): 1 for c in checkins}
    sent_at = {push.collapse_id: push.at for push in providers.pushes()}
    for checkin in checkins:
        assert sent_at[collapse_id(checkin)] >= checkin.remind_at.timestamp() - 1, "too early"
    deliveries = Delivery.objects.filter(checkin__in=checkins)
    assert {(d.status, d.attempts_log.count()) for d in deliveries} == {("sent", 1)}
