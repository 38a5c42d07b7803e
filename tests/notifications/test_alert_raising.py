"""Red flags become alerts: which reports raise one, at what severity, whom it pages
first, and when a report raises nothing (routine, expected numbness, a repeat).

Ana reports from her phone (the real API); pages go to a real local SMTP server; Celery is
driven by hand (``beat``, ``worker`` from conftest).
"""

import uuid
from datetime import timedelta

import time_machine

from diary.models import CheckIn, CheckInStatus, Finding
from notifications.models import Alert, AlertEventKind, Delivery
from tests.notifications.conftest import BLOCK, paged


def test_a_bowel_or_bladder_report_gets_emergency_advice_and_pages_nia_and_dr_cole(
    paging, block, report, worker, smtp_server
):
    answer = report(block, 1, bowel_bladder_change=True)

    assert answer["advice"]["level"] == "emergency"
    assert "emergency department" in answer["advice"]["message"]
    alert = Alert.objects.get()
    assert answer["alert"] == {"id": alert.pk, "severity": "emergency"}
    assert (alert.rule, alert.state, alert.escalation_step) == ("bowel_bladder", "open", 0)
    worker()
    assert paged(smtp_server) == ["cole@north.example.org", "nia@north.example.org"]


def test_a_routine_entry_gets_routine_advice_and_raises_nothing(paging, block, report):
    answer = report(block, 1)
    assert answer["advice"]["level"] == "routine"
    assert answer["alert"] is None
    assert not Finding.objects.exists() and not Alert.objects.exists()


def test_a_retried_report_returns_the_same_advice_and_alert_without_a_second_page(
    paging, block, as_ana, django_capture_on_commit_callbacks, enqueued
):
    with time_machine.travel(BLOCK + timedelta(hours=1), tick=False):
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": block.id,
            "recorded_at": (BLOCK + timedelta(hours=1)).isoformat(),
            "pain_score": 3,
            "saddle_numbness": True,
        }
        with django_capture_on_commit_callbacks(execute=True):
            first = as_ana.post("/api/v1/me/entries/", body, format="json")
            again = as_ana.post("/api/v1/me/entries/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["advice"] == first.json()["advice"]
    assert again.json()["alert"] == first.json()["alert"]
    assert Alert.objects.count() == 1 and Finding.objects.count() == 1
    assert Delivery.objects.filter(alert__isnull=False).count() == 2


def test_numbness_inside_four_hours_is_expected_and_asks_again_at_four_hours(paging, block, report):
    answer = report(block, 2, numbness="left_leg")
    assert answer["advice"]["level"] == "expected"
    assert answer["alert"] is None
    at_four = CheckIn.objects.get(procedure=block, key="h4")
    assert at_four.follow_up is True


def test_numbness_after_four_hours_pages_the_primary_on_call_and_the_proceduralist(
    paging, block, report, worker, smtp_server
):
    """Rules v2: persistent motor block beyond 4 h "immediately notify the proceduralist"."""
    answer = report(block, 4.1, numbness="left_leg")
    assert answer["advice"]["level"] == "contact_clinic"
    assert answer["alert"]["severity"] == "urgent"
    worker()
    assert paged(smtp_server) == ["cole@north.example.org", "nia@north.example.org"]


def test_a_fever_pages_the_primary_on_call_only(paging, block, report, worker, smtp_server):
    answer = report(block, 5, fever=True)
    assert answer["alert"]["severity"] == "urgent"
    worker()
    assert paged(smtp_server) == ["nia@north.example.org"]


def test_the_same_finding_again_joins_the_open_alert_without_paging_again(
    paging, block, report, worker, smtp_server
):
    first = report(block, 5, fever=True)
    worker()
    second = report(block, 6, fever=True)
    worker()
    assert second["alert"] == first["alert"]
    alert = Alert.objects.get()
    kinds = list(alert.events.values_list("kind", flat=True))
    assert kinds.count(AlertEventKind.REPEATED) == 1
    assert paged(smtp_server) == ["nia@north.example.org"]


def test_a_finding_that_worsens_raises_the_alert_and_pages_again(
    paging, ana, block, report, worker, smtp_server
):
    report(block, 5, numbness="left_leg")
    worker()
    ana.on_anticoagulants = True  # now the same finding is one level higher
    ana.save(update_fields=["on_anticoagulants"])
    answer = report(block, 6, numbness="left_leg")
    worker()
    alert = Alert.objects.get()
    assert (alert.severity, alert.escalation_step) == ("emergency", 1)
    assert answer["advice"]["level"] == "emergency"
    # Urgent and persisting: Nia and Dr Cole who did the block. Emergency: both again.
    assert paged(smtp_server) == [
        "cole@north.example.org",
        "cole@north.example.org",
        "nia@north.example.org",
        "nia@north.example.org",
    ]
    assert AlertEventKind.RAISED in alert.events.values_list("kind", flat=True)


def test_silence_after_numbness_raises_an_unresponsive_alert(paging, block, report, beat):
    report(block, 1.1, numbness="left_leg")  # answers nothing open at 1 h 06; next is 2 h
    two_hours = CheckIn.objects.get(procedure=block, key="h2")
    with time_machine.travel(two_hours.closes_at, tick=False):
        beat()
    two_hours.refresh_from_db()
    assert two_hours.status == CheckInStatus.MISSED
    alert = Alert.objects.get()
    assert (alert.rule, alert.severity) == ("unresponsive_after_symptom", "urgent")
    with time_machine.travel(two_hours.closes_at + timedelta(minutes=1), tick=False):
        beat()  # seen again: still one alert, one finding
    assert Finding.objects.filter(rule="unresponsive_after_symptom").count() == 1


def test_a_missed_check_in_without_an_earlier_symptom_raises_nothing(paging, block, report, beat):
    report(block, 1.1)
    two_hours = CheckIn.objects.get(procedure=block, key="h2")
    with time_machine.travel(two_hours.closes_at, tick=False):
        beat()
    assert not Alert.objects.exists()


def test_a_still_numb_check_in_of_its_own_moves_with_a_corrected_block_time(
    paging, north, block, report
):
    from diary import rulesets, services

    rulesets.set_overrides(north, {"followup_hours": 3.75})  # after 3 h closes, before 4 h
    report(block, 2, numbness="left_leg")
    followup = CheckIn.objects.get(procedure=block, key="followup")
    assert followup.due_at == BLOCK + timedelta(hours=3.75)

    services.update_procedure(block, performed_at=BLOCK + timedelta(minutes=30))
    followup.refresh_from_db()
    assert followup.status == CheckInStatus.UPCOMING
    assert followup.due_at == BLOCK + timedelta(minutes=30, hours=3.75)
