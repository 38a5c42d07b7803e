"""Acknowledging an alert stops its paging the moment it is taken; resolving it needs a
note; an alert acknowledged but not resolved reminds whoever took it, once.

Ana reports from her phone (the real API); pages go to a real local SMTP server; Celery is
driven by hand (``beat``, ``worker`` from conftest).
"""

from datetime import timedelta

import time_machine

from notifications import alerts
from notifications.models import Alert, AlertEventKind, AlertSettings, Delivery, DeliveryStatus
from tests.notifications.conftest import BLOCK, paged


def test_after_acknowledgement_nothing_more_is_sent_not_even_a_queued_page(
    paging, block, report, beat, worker, smtp_server, nurse_nia, as_nia
):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    queued = list(Delivery.objects.filter(alert=alert, status=DeliveryStatus.PENDING))
    assert queued  # planned, not yet sent

    response = as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_by"] == "nia"

    from notifications.services import send_deliveries

    outcomes = send_deliveries([d.pk for d in queued])
    assert "sent" not in outcomes
    with time_machine.travel(BLOCK + timedelta(hours=2), tick=False):
        assert beat()["escalated"] == 0
        worker()
    staff_pages = [to for to in paged(smtp_server) if to.endswith("@north.example.org")]
    assert staff_pages == []  # (Ana's own 2 h check-in reminder still went out)


def test_acknowledging_twice_is_harmless(paging, block, report, as_nia, as_cole):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    assert as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    second = as_cole.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    assert second.status_code == 200
    assert second.json()["acknowledged_by"] == "nia"
    assert alert.events.filter(kind=AlertEventKind.ACKNOWLEDGED).count() == 1


def test_resolving_needs_a_note_and_keeps_it(paging, block, report, as_nia):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    missing = as_nia.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "  "}, format="json")
    assert missing.status_code == 400
    assert "note" in missing.json()["fields"]
    done = as_nia.post(
        f"/api/v1/alerts/{alert.pk}/resolve/",
        {"note": "Called Ana; seen in ED, discharged."},
        format="json",
    )
    assert done.status_code == 200
    body = done.json()
    assert (body["state"], body["resolved_by"]) == ("resolved", "nia")
    assert body["resolution_note"] == "Called Ana; seen in ED, discharged."
    # Never acknowledged before: the record says both, by Nia, at the same moment.
    kinds = [(e["kind"], e["actor"]) for e in body["events"]][-2:]
    assert kinds == [("acknowledged", "nia"), ("resolved", "nia")]


def test_nia_is_reminded_once_two_hours_after_acknowledging_an_unresolved_alert(
    paging, block, report, worker, smtp_server, nurse_nia, django_capture_on_commit_callbacks
):
    from notifications.ack_reminders import remind_acknowledged

    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    worker()
    alerts.acknowledge_alert(alert, nurse_nia)
    acknowledged = alert.events.get(kind=AlertEventKind.ACKNOWLEDGED).at
    pages_before = len(smtp_server.messages)

    with time_machine.travel(acknowledged + timedelta(hours=2) - timedelta(seconds=1), tick=False):
        assert remind_acknowledged() == 0
    with time_machine.travel(acknowledged + timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert remind_acknowledged() == 1
        assert remind_acknowledged() == 0  # once
        worker()

    [reminder] = smtp_server.messages[pages_before:]
    assert reminder["To"] == "nia@north.example.org"
    assert "you acknowledged" in reminder.get_body(("plain",)).get_content()
    assert "Ana" not in reminder.as_string()
    assert not Delivery.objects.filter(event="reminded", purpose="alert_webhook").exists()


def test_a_resolved_alert_or_a_clinic_that_turned_it_off_gets_no_reminder(
    paging, north, block, report, worker, nurse_nia
):
    from notifications.ack_reminders import remind_acknowledged

    AlertSettings.objects.create(clinic=north, ack_reminder_seconds=0)
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    alerts.acknowledge_alert(alert, nurse_nia)

    with time_machine.travel(BLOCK + timedelta(days=1), tick=False):
        assert remind_acknowledged() == 0
        AlertSettings.objects.filter(clinic=north).update(ack_reminder_seconds=7200)
        alerts.resolve_alert(alert, nurse_nia, "Seen in clinic; MRI booked.")
        assert remind_acknowledged() == 0
