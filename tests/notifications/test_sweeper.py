"""The sweeper: a delivery whose task was lost (a broker outage, a worker killed) is found by
its lease running out, handed to the broker again and sent, once.

The clock is frozen ten seconds before Ana's 2 h check-in (11:00 UTC, 10 June 2026); beat
queues its reminder with an enqueue lease counted from 11:00.
"""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services as notify
from notifications.leases import enqueue_lease
from notifications.models import Alert, Delivery, DeliveryStatus
from tests.notifications.conftest import (
    ANAS_PHONE_TOKEN,
    FCM_UNAVAILABLE,
    TWO_HOURS,
    Enqueued,
    send_all_pending,
)

SECONDS = timedelta(seconds=1)


def queue_and_lose(beat, enqueued) -> list[Delivery]:
    beat()
    assert [len(call.ids) for call in enqueued] == [Delivery.objects.count()]
    return list(Delivery.objects.order_by("id"))


@pytest.fixture
def lost(clock, block, anas_phone, receivers, beat, enqueued):
    """Beat queued Ana's 2 h reminder to her phone; no worker ever ran its task."""
    return queue_and_lose(beat, enqueued)


def test_a_reminder_whose_task_was_lost_is_enqueued_again_and_sent_once(
    clock, settings, lost, receivers, beat, worker, enqueued
):
    [reminder] = lost
    assert reminder.lease_until == TWO_HOURS + timedelta(
        seconds=settings.DELIVERY_ENQUEUE_LEASE_SECONDS
    )

    clock.move_to(reminder.lease_until)  # still its own task's to send
    assert beat()["swept"] == 0
    swept_at = reminder.lease_until + SECONDS
    clock.move_to(swept_at)
    result = beat()

    assert result["swept"] == 1
    assert enqueued[-1] == Enqueued(ids=[reminder.id], countdown=0.0)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.next_attempt_at, reminder.lease_until) == (
        DeliveryStatus.PENDING,
        swept_at,
        swept_at + timedelta(seconds=settings.DELIVERY_ENQUEUE_LEASE_SECONDS),
    )
    assert worker() == {reminder.id: "sent"}
    assert beat()["swept"] == 0
    assert worker() == {}
    assert len(receivers.pushes) == 1


def test_a_delivery_held_by_a_crashed_worker_is_taken_back_and_sent(
    clock, settings, lost, receivers, beat, worker, enqueued
):
    [reminder] = lost
    clock.move_to(TWO_HOURS)
    # A worker claimed it at 11:00 and died before it called FCM.
    lease = TWO_HOURS + timedelta(seconds=settings.DELIVERY_SEND_LEASE_SECONDS)
    Delivery.objects.filter(pk=reminder.pk).update(
        status=DeliveryStatus.SENDING, lease_until=lease, attempts=1
    )

    clock.move_to(lease - SECONDS)
    assert beat()["swept"] == 0  # it may still be working
    clock.move_to(lease + SECONDS)
    assert beat()["swept"] == 1

    assert enqueued[-1] == Enqueued(ids=[reminder.id], countdown=0.0)
    assert worker() == {reminder.id: "sent"}
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.SENT, 2)
    assert len(receivers.pushes) == 1


def test_two_sweeps_at_once_enqueue_each_row_once(
    clock, block, anas_phone, anas_tablet, receivers, beat, enqueued
):
    lost = queue_and_lose(beat, enqueued)
    assert len(lost) == 2
    later = TWO_HOURS + timedelta(minutes=5)
    clock.move_to(later)
    before = len(enqueued)

    first = notify.sweep_deliveries(later)
    second = notify.sweep_deliveries(later)

    assert (first, second) == (2, 0)
    swept = [pk for call in enqueued[before:] for pk in call.ids]
    assert sorted(swept) == sorted(d.id for d in lost)


def test_the_sweeper_leaves_alone_what_is_still_queued_or_done(clock, lost, receivers, enqueued):
    [reminder] = lost
    clock.move_to(reminder.lease_until - SECONDS)
    assert notify.sweep_deliveries() == 0  # its task is still within its lease

    for status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
        Delivery.objects.filter(pk=reminder.pk).update(status=status)
        clock.move_to(TWO_HOURS + timedelta(hours=1))
        assert notify.sweep_deliveries() == 0


def test_a_retry_waiting_for_its_turn_is_not_swept_early(clock, lost, receivers, worker, enqueued):
    [reminder] = lost
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNAVAILABLE)
    clock.move_to(TWO_HOURS)
    assert worker() == {reminder.id: "retry"}

    clock.move_to(TWO_HOURS + 4 * SECONDS)
    assert notify.sweep_deliveries() == 0
    clock.move_to(TWO_HOURS + 5 * SECONDS)
    assert worker() == {reminder.id: "sent"}


def test_a_broker_outage_at_dispatch_is_logged_and_the_sweeper_sends_later(
    clock, block, anas_phone, receivers, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from notifications.tasks import send_deliveries

    task = send_deliveries._get_current_object()

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(task, "apply_async", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        notify.tick()  # does not raise
    [reminder] = Delivery.objects.all()
    assert reminder.status == DeliveryStatus.PENDING
    assert "could not enqueue deliveries" in caplog.text

    handed = []
    monkeypatch.setattr(task, "apply_async", lambda args, **kw: handed.append(args[0]))
    clock.move_to(reminder.lease_until + SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify.tick()["swept"] == 1

    assert handed == [[reminder.id]]
    assert send_all_pending() == {reminder.id: "sent"}
    assert len(receivers.pushes) == 1


def test_a_lost_page_is_swept_sooner_than_a_lost_reminder(clock, settings, block, lost, enqueued):
    """Leases count from the due time, and a page's is the shorter: the sweeper takes a
    lost page first, and leaves a reminder due at the same moment for its own task."""
    [reminder] = lost
    assert settings.DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS < settings.DELIVERY_ENQUEUE_LEASE_SECONDS
    alert = Alert.objects.create(
        clinic=block.patient.clinic,
        patient=block.patient,
        procedure=block,
        severity="emergency",
        reason="lost page",
    )
    page = Delivery.objects.create(
        patient=block.patient,
        alert=alert,
        purpose="alert_page",
        channel="sms",
        address="+447700900999",
        next_attempt_at=TWO_HOURS,
        lease_until=enqueue_lease(TWO_HOURS, page=True),
    )
    clock.move_to(page.lease_until + SECONDS)
    before = len(enqueued)

    assert notify.sweep_deliveries() == 1
    assert [pk for call in enqueued[before:] for pk in call.ids] == [page.pk]
    page.refresh_from_db()
    assert page.lease_until == enqueue_lease(timezone.now(), page=True)
    clock.move_to(reminder.lease_until - SECONDS)
    assert notify.sweep_deliveries() == 1  # the page again (still unsent), not the reminder
    clock.move_to(reminder.lease_until + SECONDS)
    before = len(enqueued)
    notify.sweep_deliveries()
    assert reminder.pk in [pk for call in enqueued[before:] for pk in call.ids]
