"""Red flags become alerts that page the on-call nurse, escalate until someone takes them,
and stop paging the moment they are acknowledged.

Ana reports from her phone (the real API); pages go by e-mail to a real local SMTP server and
the clinic's webhook to a real local HTTP receiver. Celery is driven by hand (``beat``,
``worker`` from conftest): what would reach the broker is recorded at ``apply_async``.
"""

import hashlib
import hmac
import json
import uuid
from datetime import timedelta

import time_machine

from diary.models import CheckIn, CheckInStatus, Finding
from notifications import alerts
from notifications.models import (
    Alert,
    AlertEventKind,
    AlertSettings,
    AlertState,
    Delivery,
    DeliveryStatus,
)
from tests.notifications.conftest import BLOCK, paged

WEBHOOK_SECRET = "north-paging-secret-0123456789"


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


def test_no_page_names_the_patient_or_the_symptom(paging, block, report, worker, smtp_server):
    report(block, 1, bowel_bladder_change=True, note="I cannot hold my bladder")
    worker()
    for message in smtp_server.messages:
        text = message.as_string().lower()
        assert "ana" not in text and "bladder" not in text and "bowel" not in text
        assert "emergency alert for a patient of north" in text
        assert "/dashboard/alerts/" in text


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


def test_alert_detail_shows_the_events_and_the_entry_behind_it(paging, block, report, as_cole):
    report(block, 1, fever=True, temperature_celsius="38.6")
    alert = Alert.objects.get()
    body = as_cole.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert body["rule"] == "fever"
    assert [e["kind"] for e in body["events"]][:2] == ["triggered", "paged"]
    assert len(body["entries"]) == 1 and body["entries"][0]["temperature_celsius"] == "38.6"


def test_staff_list_alerts_by_state_and_severity(paging, block, report, as_cole):
    report(block, 1, saddle_numbness=True)
    report(block, 1.5, site_problem=True)
    assert len(as_cole.get("/api/v1/alerts/?state=open").json()["results"]) == 2
    urgent = as_cole.get("/api/v1/alerts/?severity=urgent").json()["results"]
    assert [a["rule"] for a in urgent] == ["site_problem"]
    assert as_cole.get("/api/v1/alerts/?state=resolved").json()["results"] == []
    assert as_cole.get("/api/v1/alerts/?state=nonsense").status_code == 400


def test_omar_of_south_sees_and_touches_nothing_of_norths_alerts(paging, block, report, as_omar):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    assert as_omar.get("/api/v1/alerts/").json()["results"] == []
    assert as_omar.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert as_omar.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_a_patient_cannot_read_alerts(paging, block, report, as_ana):
    report(block, 1, saddle_numbness=True)
    assert as_ana.get("/api/v1/alerts/").status_code == 404


def test_with_nobody_on_call_the_clinic_admins_and_the_fallback_contact_are_paged(
    smtp_settings, clean_channel_env, north, mara, block, report, worker, smtp_server
):
    AlertSettings.objects.create(clinic=north, fallback_email="duty@north.example.org")
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["duty@north.example.org", "mara@north.example.org"]


def test_with_nobody_on_call_and_no_admin_only_the_fallback_contact_is_paged(
    smtp_settings, clean_channel_env, north, block, report, worker, smtp_server
):
    AlertSettings.objects.create(clinic=north, fallback_email="duty@north.example.org")
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["duty@north.example.org"]


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


def test_the_clinic_webhook_gets_each_event_signed(
    paging, north, block, report, worker, httpserver, as_nia
):
    received = []

    def handler(request):
        from werkzeug import Response

        received.append((request.get_data(), request.headers.get("X-Signature-256")))
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request("/pager", method="POST").respond_with_handler(handler)
    AlertSettings.objects.create(
        clinic=north, webhook_url=httpserver.url_for("/pager"), webhook_secret=WEBHOOK_SECRET
    )
    report(block, 1, bowel_bladder_change=True)
    worker()
    alert = Alert.objects.get()
    as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    worker()

    events = [json.loads(body)["event"] for body, _ in received]
    assert events == ["alert.triggered", "alert.acknowledged"]
    for body, signature in received:
        expected = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature, f"sha256={expected}")
        payload = json.loads(body)
        assert payload["alert"]["id"] == alert.pk
        assert "Ana" not in body.decode()


def test_two_escalation_passes_at_once_page_a_step_only_once(paging, block, report, beat):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    with time_machine.travel(alert.next_escalation_at, tick=False):
        first = alerts.escalate_due_alerts()
        second = alerts.escalate_due_alerts()
    assert (first, second) == (1, 0)
    steps = Delivery.objects.filter(alert=alert, event="escalated").values_list("step", flat=True)
    assert set(steps) == {1}


def test_with_nobody_on_call_no_admin_and_no_fallback_the_clinicians_are_paged(
    smtp_settings, clean_channel_env, dr_cole, block, report, worker, smtp_server
):
    dr_cole.email = "cole@north.example.org"
    dr_cole.save(update_fields=["email"])
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["cole@north.example.org"]


def test_an_alert_nobody_can_be_paged_for_says_so_in_its_log(
    clean_channel_env, settings, block, report
):
    settings.EMAIL_HOST = ""  # no channel works at all
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    report(block, 5, numbness="right_leg")
    alert = Alert.objects.get()
    assert alert.events.filter(kind=AlertEventKind.NO_RECIPIENT).exists()
    assert alert.state == AlertState.OPEN  # still escalates, and shows on the board


def test_pages_go_on_a_queue_of_their_own_so_reminders_never_delay_them(
    paging, settings, block, report, monkeypatch, beat
):
    from notifications.tasks import send_deliveries

    queues = []
    monkeypatch.setattr(
        send_deliveries._get_current_object(),
        "apply_async",
        lambda args, **options: queues.append((options.get("queue"), list(args[0]))),
    )
    report(block, 1, saddle_numbness=True)
    pages = set(Delivery.objects.filter(alert__isnull=False).values_list("pk", flat=True))
    assert queues and all(queue == settings.CELERY_ALERT_QUEUE for queue, _ in queues)
    assert {pk for _, ids in queues for pk in ids} == pages

    queues.clear()
    two_hours = CheckIn.objects.get(procedure=block, key="h2")
    with time_machine.travel(two_hours.remind_at, tick=False):
        beat()  # Ana's 2 h reminder, and the alert's escalation to Ravi
    by_queue = {queue: set(ids) for queue, ids in queues}
    reminders = set(Delivery.objects.filter(checkin=two_hours).values_list("pk", flat=True))
    escalation = set(Delivery.objects.filter(event="escalated").values_list("pk", flat=True))
    assert by_queue == {None: reminders, settings.CELERY_ALERT_QUEUE: escalation}


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


def test_nia_is_paged_on_every_working_channel_her_phone_app_sms_and_email(
    receivers, rota, north, nurse_nia, block, report, worker
):
    from diary.models import StaffMembership
    from notifications import oncall

    StaffMembership.objects.filter(user=nurse_nia).update(phone="+447700900555")
    oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia-phone")
    report(block, 4.5, fever=True)  # urgent: the primary only
    worker()

    [push] = receivers.accepted("pushes")
    [text] = receivers.accepted("texts")
    assert push.address == "fcm:nia-phone"
    assert text.address == "+447700900555"
    assert paged(receivers.smtp) == ["nia@north.example.org"]
    assert push.body["message"]["notification"]["body"].startswith(
        "Urgent alert for a patient of North"
    )
    assert text.body["Body"].startswith("Urgent alert for a patient of North")
    assert "numb" not in text.body["Body"].lower()


def test_a_dead_staff_push_token_is_switched_off_and_the_other_channels_still_page(
    receivers, rota, nurse_nia, block, report, worker
):
    from notifications import oncall
    from notifications.models import StaffDevice
    from tests.notifications.conftest import FCM_UNREGISTERED

    oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia-old-phone")
    receivers.script("fcm:nia-old-phone", FCM_UNREGISTERED)
    report(block, 4.5, fever=True)
    worker()

    assert StaffDevice.objects.get(token="fcm:nia-old-phone").disabled_at is not None
    assert paged(receivers.smtp) == ["nia@north.example.org"]


# --- The API says what it decided (rules v2) --------------------------------------------


def test_an_alert_lists_its_findings_with_their_rule_set_and_what_the_patient_was_told(
    paging, block, report, as_nia
):
    answer = report(block, 2, weakness="left_leg", can_lift_heel=False)
    assert answer["advice"]["message"].startswith("Do not walk without help")
    (finding,) = answer["findings"]
    assert finding["rule"] == "heel_lift_failure"
    assert finding["rule_title"].startswith("Cannot lift the heel")
    assert finding["rule_set"] == {"version": 2, "clinical_version": 2, "source": "default"}
    assert finding["pages_proceduralist"] is False

    (listed,) = as_nia.get("/api/v1/alerts/").json()["results"]
    assert [f["rule"] for f in listed["findings"]] == ["heel_lift_failure"]
    assert listed["patient_advice"]["level"] == "contact_clinic"
    assert listed["patient_advice"]["message"] == answer["advice"]["message"]
    assert listed["patient_advice"]["entry"] == answer["id"]
    detail = as_nia.get(f"/api/v1/alerts/{listed['id']}/").json()
    assert detail["findings"] == listed["findings"]
    assert detail["entries"][0]["advice_message"] == answer["advice"]["message"]


def test_a_clinic_s_own_rules_are_named_as_the_clinic_s(paging, block, report, as_nia, north):
    from diary import rulesets

    rulesets.set_overrides(north, {"fever_celsius": 38.5})
    answer = report(block, 5, fever=True)
    assert answer["findings"][0]["rule_set"] == {
        "version": 1,
        "clinical_version": 2,
        "source": "clinic",
    }


# --- The end of escalation ----------------------------------------------------------------


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


# --- Acknowledged, not resolved ------------------------------------------------------------


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
