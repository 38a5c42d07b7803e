"""An alert nobody takes escalates: the backup, then the admins, each step paged once,
a step missed while beat was down paged at the next tick, and after the clinic's last
step the fallback contact once more, then it stops.

Ana reports from her phone (the real API); pages go to a real local SMTP server; Celery is
driven by hand (``beat``, ``worker`` from conftest).
"""

from datetime import timedelta

import time_machine

from notifications import alerts
from notifications.models import Alert, AlertEventKind, AlertSettings, Delivery
from tests.notifications.conftest import BLOCK, paged


def test_unacknowledged_the_backup_then_the_admins_are_paged_after_the_delay(
    paging, block, report, beat, worker, smtp_server
):
    report(block, 1, saddle_numbness=True)
    worker()
    alert = Alert.objects.get()
    assert alert.next_escalation_at == BLOCK + timedelta(hours=1, minutes=5)
    with time_machine.travel(alert.next_escalation_at - timedelta(seconds=1), tick=False):
        assert beat()["escalated"] == 0
    with time_machine.travel(alert.next_escalation_at, tick=False):
        assert beat()["escalated"] == 1
        worker()
    assert "ravi@north.example.org" in paged(smtp_server)
    with time_machine.travel(alert.next_escalation_at + timedelta(minutes=5), tick=False):
        assert beat()["escalated"] == 1
        worker()
    assert "mara@north.example.org" in paged(smtp_server)
    alert.refresh_from_db()
    assert alert.escalation_step == 2


def test_two_escalation_passes_at_once_page_a_step_only_once(paging, block, report, beat):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    with time_machine.travel(alert.next_escalation_at, tick=False):
        first = alerts.escalate_due_alerts()
        second = alerts.escalate_due_alerts()
    assert (first, second) == (1, 0)
    steps = Delivery.objects.filter(alert=alert, event="escalated").values_list("step", flat=True)
    assert set(steps) == {1}


def test_an_escalation_missed_while_beat_was_down_is_paged_at_the_next_tick_and_logged(
    paging, block, report, beat, worker, smtp_server, caplog
):
    report(block, 1, saddle_numbness=True)
    worker()
    alert = Alert.objects.get()
    with time_machine.travel(alert.next_escalation_at + timedelta(hours=1), tick=False):
        assert beat()["escalated"] == 1
        worker()
    assert "escalation overdue" in caplog.text
    assert "ravi@north.example.org" in paged(smtp_server)


def test_after_the_clinics_last_step_the_fallback_contact_is_paged_once_more_and_it_stops(
    paging, north, block, report, beat, smtp_server, worker
):
    AlertSettings.objects.create(
        clinic=north, max_escalation_steps=2, fallback_email="duty-manager@north.example.org"
    )
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    worker()
    steps = []
    for _ in range(5):  # far past the cap
        alert.refresh_from_db()
        if alert.next_escalation_at is None:
            break
        with time_machine.travel(alert.next_escalation_at, tick=False):
            steps.append(beat()["escalated"])
            worker()

    alert.refresh_from_db()
    assert steps == [1, 1, 1]  # steps 1 and 2, then the last page
    assert (alert.state, alert.escalation_step, alert.next_escalation_at) == ("open", 3, None)
    last = Delivery.objects.filter(alert=alert, step=3)
    assert [d.address for d in last] == ["duty-manager@north.example.org"]
    assert "the last" in alert.events.filter(kind=AlertEventKind.ESCALATED).last().detail
    with time_machine.travel(BLOCK + timedelta(days=1), tick=False):
        assert beat()["escalated"] == 0
