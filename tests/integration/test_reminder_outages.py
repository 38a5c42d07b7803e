"""Reminders survive a worker killed with ``kill -9`` and a broker that goes away.

Each test runs its own ``redis-server`` (no persistence: a restart comes back empty) so it
can stop it without touching anyone else's, and real worker processes with an embedded
beat that it kills and starts again. What must hold: every reminder arrives, on time or
as soon as things are back, and the patient is not pinged twice for one check-in.
"""

import json
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from diary import services as diary
from notifications.models import Delivery, DeliveryStatus
from tests.factories import PatientFactory, make_procedure
from tests.integration.processes import (
    FAST_CLOCK,
    Providers,
    holds_for,
    private_redis,
    start_worker,
    wait_for,
    wait_for_ticks,
    worker,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(tmp_path):
    """A Redis server of this test's own, which it may stop and start."""
    with private_redis(tmp_path / "redis") as server:
        yield server


def reminder_due_in(patient, seconds: float):
    """A block performed almost 15 min ago: its first check-in falls due in ``seconds``."""
    performed_at = timezone.now() - timedelta(minutes=15) + timedelta(seconds=seconds)
    block = make_procedure(patient, performed_at=performed_at)
    return block.checkins.get(key="m15")


def with_phone(patient, token: str):
    diary.register_device(patient=patient, platform="fcm", token=token)
    return patient


def collapse_id(checkin) -> str:
    return f"checkin-{checkin.pk}-{checkin.plan_version}-checkin_reminder"


def all_sent(checkins) -> bool:
    ids = [c.pk for c in checkins]
    return Delivery.objects.filter(checkin_id__in=ids, status=DeliveryStatus.SENT).count() == len(
        ids
    )


def reserved_by_a_worker(broker, task: str) -> int:
    """Messages of ``task`` a consumer holds unacknowledged (kombu's ``unacked`` hash)."""
    raw = broker.client().hvals("unacked")
    return sum(1 for value in raw if json.loads(value)[0]["headers"].get("task") == task)


def backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps serving its first snapshot of the view.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_while_holding_a_reminder_for_later_sends_nothing_and_its_successor_sends_it_once(  # noqa: E501
    requires_postgres, broker, tmp_path, httpserver, ana
):
    """Killed with the send task reserved in its ETA buffer, before the countdown ran out.

    The task is gone with the process (Redis would hand it back only after its hour-long
    visibility timeout); the delivery row is still pending in PostgreSQL, so the next
    worker's sweeper sends it once its enqueue lease runs out: exactly once, not early.
    """
    providers = Providers(httpserver)
    with_phone(ana, "fcm-token-of-anas-phone")
    # Claimed eight seconds ahead and held by the worker until remind_at.
    env = {**FAST_CLOCK, "DISPATCH_LOOKAHEAD_SECONDS": 8, **providers.env()}

    first = start_worker(broker.url, tmp_path, beat=True, name="first", **env)
    try:
        first.wait_ready()
        checkin = reminder_due_in(ana, seconds=12)
        wait_for(
            lambda: reserved_by_a_worker(broker, "notifications.tasks.send_deliveries"),
            timeout=30,
            what="the worker to hold the send task",
            log=first.log,
        )
        assert timezone.now() < checkin.remind_at - timedelta(seconds=1), "too late to test"
        first.kill()
    finally:
        first.kill()

    assert providers.received() == []
    [delivery] = Delivery.objects.filter(checkin=checkin)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)

    with worker(broker.url, tmp_path, beat=True, queue=first.queue, name="second", **env) as second:
        wait_for(lambda: all_sent([checkin]), timeout=45, what="the reminder", log=second.log)
        wait_for_ticks(second, 5)

    assert providers.count_by_collapse_id() == {collapse_id(checkin): 1}
    [push] = providers.pushes()
    assert push.at >= checkin.remind_at.timestamp() - 1, "sent before its time"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.attempts_log.count()) == ("sent", 1, 1)


@pytest.mark.parametrize(
    ("group", "repeated_pushes"),
    [
        (10, 3),  # the default: nothing of the group was recorded, its three pushes repeat
        (2, 1),  # the first two were recorded as a group: only the one in flight repeats
    ],
)
def test_a_worker_killed_mid_batch_leaves_nothing_unsent_and_repeats_only_its_unrecorded_pushes(
    requires_postgres, broker, tmp_path, httpserver, north, group, repeated_pushes
):
    """Twelve reminders due at once; the worker is killed while the third push is in flight.

    Honest about what at-least-once means. Reminder pushes that reached the provider are
    recorded ``PUSH_RECORD_GROUP`` at a time (one statement a group, not one per send),
    so the killed worker leaves unrecorded the push in flight and those sent since its
    last recorded group. After their send lease runs out the next worker sends them
    again: at most a group's worth. Each repeat carries the same collapse id as the
    first, so the phone replaces that notification instead of showing a second one. An
    SMS, an e-mail or a webhook is recorded at once: there only the one in flight could
    repeat. Every other reminder (recorded before the kill, or not yet started) arrives
    exactly once.
    """
    performed_at = timezone.now() - timedelta(minutes=16)  # m15 fell due a minute ago
    checkins = []
    for n in range(12):
        patient = with_phone(PatientFactory(clinic=north), f"fcm-token-{n}")
        checkins.append(make_procedure(patient, performed_at=performed_at).checkins.get(key="m15"))

    in_flight = {}

    def kill_the_sender_of_the_third(arrival):
        """Runs in the receiver before it answers: the worker dies waiting for the answer."""
        if len(providers.received()) == 3 and not in_flight:
            in_flight["arrival"] = arrival
            first.kill()

    providers = Providers(httpserver, hold=kill_the_sender_of_the_third)
    env = {**FAST_CLOCK, "PUSH_RECORD_GROUP": group, **providers.env()}

    first = start_worker(broker.url, tmp_path, beat=True, name="first", **env)
    try:
        wait_for(lambda: in_flight, timeout=45, what="the third push", log=first.log)
    finally:
        first.kill()
    sent_by_the_first = [a.collapse_id for a in providers.pushes()]
    assert len(sent_by_the_first) == 3
    assert sent_by_the_first[-1] == in_flight["arrival"].collapse_id

    with worker(broker.url, tmp_path, beat=True, queue=first.queue, name="second", **env) as second:
        wait_for(lambda: all_sent(checkins), timeout=45, what="every reminder", log=second.log)
        wait_for_ticks(second, 5)

    # The last ones the killed worker sent, in flight or unrecorded, are sent once more.
    repeated = set(sent_by_the_first[-repeated_pushes:])
    expected = {collapse_id(c): 1 for c in checkins} | {c: 2 for c in repeated}
    assert providers.count_by_collapse_id() == expected
    deliveries = Delivery.objects.filter(checkin__in=checkins)
    assert deliveries.count() == len(checkins)
    # `attempts` counts claims for sending: a row the killed worker had claimed but not
    # recorded shows one claim more than its attempt rows (that worker recorded nothing
    # of it); one it had recorded, exactly one.
    recorded_first = set(sent_by_the_first) - repeated
    for delivery in deliveries:
        assert delivery.status == "sent"
        assert delivery.attempts_log.count() == 1
        if collapse_id(delivery.checkin) in recorded_first:
            assert delivery.attempts == 1
        elif collapse_id(delivery.checkin) in repeated:
            assert delivery.attempts == 2
        else:
            assert delivery.attempts in (1, 2)


def test_a_reminder_falling_due_while_redis_is_down_is_sent_once_when_it_is_back(
    requires_postgres, broker, tmp_path, httpserver, ana
):
    providers = Providers(httpserver)
    with_phone(ana, "fcm-token-of-anas-phone")

    with worker(broker.url, tmp_path, beat=True, **FAST_CLOCK, **providers.env()) as running:
        running.wait_ready()
        wait_for_ticks(running, 1)
        checkin = reminder_due_in(ana, seconds=6)
        broker.stop()
        # Stopped well before any tick could claim it (one second of look-ahead).
        assert timezone.now() < checkin.remind_at - timedelta(seconds=3), "too late to test"

        def nothing_happened():
            checkin.refresh_from_db()
            return (
                not providers.received()
                and not Delivery.objects.filter(checkin=checkin).exists()
                and checkin.status == "upcoming"
            )

        # Its time comes and goes while the broker is down: no tick runs, nothing is sent.
        window = (checkin.remind_at - timezone.now()).total_seconds() + 3
        holds_for(nothing_happened, seconds=window, what="nothing sent", log=running.log)

        broker.start()  # same port, empty
        wait_for(lambda: all_sent([checkin]), timeout=60, what="the reminder", log=running.log)
        wait_for_ticks(running, 5)

    assert providers.count_by_collapse_id() == {collapse_id(checkin): 1}
    [delivery] = Delivery.objects.filter(checkin=checkin)
    assert (delivery.attempts, delivery.attempts_log.count()) == (1, 1)


def test_a_broker_outage_at_enqueue_is_absorbed_and_the_sweeper_sends_the_reminder_once(
    requires_postgres, broker, tmp_path, httpserver, ana
):
    """Redis goes away between the dispatcher's commit and its enqueue.

    The test holds a SHARE lock on the delivery table, so the worker's dispatcher blocks
    on its INSERT with the check-in claimed; Redis is stopped, then the lock released. The
    dispatch commits, its on-commit enqueue fails (bounded retries, logged, not raised),
    and once Redis is back the sweeper sends the pending row, once.
    """
    providers = Providers(httpserver)
    with_phone(ana, "fcm-token-of-anas-phone")

    with worker(broker.url, tmp_path, beat=True, **FAST_CLOCK, **providers.env()) as running:
        running.wait_ready()
        checkin = reminder_due_in(ana, seconds=6)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE notifications_delivery IN SHARE MODE")
            wait_for(
                backends_waiting_on_a_lock,
                timeout=30,
                what="the dispatcher to wait for the delivery table",
                log=running.log,
            )
            broker.stop()
        wait_for(
            lambda: "could not enqueue deliveries" in running.log_text(),
            timeout=30,
            what="the enqueue to give up",
            log=running.log,
        )
        [delivery] = Delivery.objects.filter(checkin=checkin)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
        assert providers.received() == []

        broker.start()  # same port, empty: the task was never there
        wait_for(lambda: all_sent([checkin]), timeout=60, what="the reminder", log=running.log)
        wait_for_ticks(running, 5)

    assert providers.count_by_collapse_id() == {collapse_id(checkin): 1}
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.attempts_log.count()) == (1, 1)


def test_a_slow_provider_gets_every_reminder_of_a_batch_once(
    requires_postgres, broker, tmp_path, httpserver, north
):
    """A provider answering slowly (but within the HTTP timeout) must not make a batch of
    sends outlive the task's soft time limit: cut mid-request, a send the provider already
    took would be sent again, and the rest of the batch would wait for the sweeper.

    A prefork worker (time limits are enforced only there) with a 5 s soft limit; ten
    reminders due at once, one send task; the provider takes 0.8 s over each.
    """
    performed_at = timezone.now() - timedelta(minutes=16)  # m15 fell due a minute ago
    checkins = []
    for n in range(10):
        patient = with_phone(PatientFactory(clinic=north), f"fcm-token-{n}")
        checkins.append(make_procedure(patient, performed_at=performed_at).checkins.get(key="m15"))
    providers = Providers(httpserver, hold=lambda arrival: time.sleep(0.8))  # provider latency
    env = {
        **FAST_CLOCK,
        "CELERY_TASK_SOFT_TIME_LIMIT": 5,
        "CELERY_TASK_TIME_LIMIT": 10,
        # Worst single send: 2 s to connect + 2 s to answer; it must end inside the limit.
        "SEND_TASK_BUDGET_SECONDS": 1,
        "DELIVERY_SEND_LEASE_SECONDS": 5,
        **providers.env(),
    }

    with worker(broker.url, tmp_path, beat=True, pool="prefork", **env) as running:
        wait_for(lambda: all_sent(checkins), timeout=60, what="every reminder", log=running.log)
        wait_for_ticks(running, 6)

    assert providers.count_by_collapse_id() == {collapse_id(c): 1 for c in checkins}
    assert "SoftTimeLimitExceeded" not in running.log_text()
    deliveries = Delivery.objects.filter(checkin__in=checkins)
    assert {(d.status, d.attempts, d.attempts_log.count()) for d in deliveries} == {("sent", 1, 1)}
