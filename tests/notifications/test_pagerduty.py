"""North's PagerDuty service hears of every alert: a trigger when it is raised, acknowledge
and resolve as Nia takes and closes it, all three naming one incident by its dedup key, and
nothing of Ana in any of them. PagerDuty is played by a local receiver that checks each
event as the Events API v2 does (pagerduty_receiver.py); the clinic's webhook, with the rule
left out, by pytest-httpserver.
"""

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from standardwebhooks import Webhook
from werkzeug import Response

from notifications import config, messages
from notifications.models import (
    Alert,
    AlertSettings,
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryStatus,
    Purpose,
)
from notifications.transports import Message, PagerDutyTransport, TransportError
from notifications.transports.webhook import sign
from tests.notifications.conftest import NORTHS_PAGERDUTY_KEY
from tests.notifications.pagerduty_receiver import INVALID, RATE_LIMITED, UNAVAILABLE
from web.dashboard.paged import paged

ANAS_MRN = "MRN-0042117"
WEBHOOK_SECRET = "north-paging-secret-0123456789"


@pytest.fixture
def north_on_pagerduty(north, pagerduty):
    AlertSettings.objects.create(clinic=north, pagerduty_routing_key=NORTHS_PAGERDUTY_KEY)
    return pagerduty


@pytest.fixture
def anas_details(ana):
    """What must never leave for PagerDuty: Ana's name, hospital number and phone."""
    ana.external_id = ANAS_MRN
    ana.save(update_fields=["external_id"])
    return [ana.display_name, *ana.display_name.split(), ANAS_MRN, ana.phone, ana.email]


def pagerduty_rows():
    return Delivery.objects.filter(channel=Channel.PAGERDUTY).order_by("id")


# --- Trigger, acknowledge, resolve ----------------------------------------------------------


def test_an_emergency_triggers_a_critical_incident_that_says_nothing_of_ana(
    paging, block, report, worker, north_on_pagerduty, anas_details
):
    report(block, 1, bowel_bladder_change=True)
    worker()

    alert = Alert.objects.get()
    [(raw, event)] = north_on_pagerduty.events
    url = f"{settings.SITE_URL}/dashboard/alerts/{alert.pk}/"
    assert event["routing_key"] == NORTHS_PAGERDUTY_KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == f"alert-{alert.pk}"
    assert event["payload"]["summary"] == (
        f"Emergency alert for a patient of North: open the dashboard. {url}"
    )
    assert event["payload"]["source"] == "127.0.0.1"  # the host of SITE_URL
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["custom_details"] == {
        "alert_id": alert.pk,
        "escalation_step": 0,
        "url": url,
    }
    assert event["links"] == [{"href": url, "text": "Open the alert on the dashboard"}]
    assert north_on_pagerduty.answers == [202]
    body = raw.decode()
    for private in [*anas_details, alert.rule, "bowel", "bladder"]:
        assert private.lower() not in body.lower(), private


def test_an_urgent_alert_is_an_error_at_pagerduty(
    paging, block, report, worker, north_on_pagerduty
):
    report(block, 5, fever=True)
    worker()

    [(_, event)] = north_on_pagerduty.events
    assert event["payload"]["severity"] == "error"
    assert event["payload"]["summary"].startswith("Urgent alert for a patient of North")


def test_trigger_acknowledge_and_resolve_name_one_incident(
    paging, block, report, worker, north_on_pagerduty, as_nia, anas_details
):
    report(block, 1, saddle_numbness=True)
    worker()
    alert = Alert.objects.get()
    assert as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    worker()
    resolved = as_nia.post(
        f"/api/v1/alerts/{alert.pk}/resolve/",
        {"note": "Called Ana, seen in clinic: MRI booked."},
        format="json",
    )
    assert resolved.status_code == 200
    worker()

    assert north_on_pagerduty.actions == ["trigger", "acknowledge", "resolve"]
    assert {event["dedup_key"] for _, event in north_on_pagerduty.events} == {f"alert-{alert.pk}"}
    [incident] = north_on_pagerduty.incidents.values()
    assert (incident.status, incident.log) == ("resolved", ["trigger", "acknowledge", "resolve"])
    # Acknowledge and resolve carry the keys and nothing else: not the note, not the patient.
    for _, event in north_on_pagerduty.events[1:]:
        assert set(event) == {"routing_key", "event_action", "dedup_key"}
    rows = list(pagerduty_rows())
    assert [(d.event, d.status) for d in rows] == [
        ("triggered", DeliveryStatus.SENT),
        ("acknowledged", DeliveryStatus.SENT),
        ("resolved", DeliveryStatus.SENT),
    ]
    assert {d.provider_id for d in rows} == {f"alert-{alert.pk}"}  # PagerDuty's dedup_key
    assert {d.purpose for d in rows} == {Purpose.ALERT_PAGERDUTY}
    assert {d.address for d in rows} == {"…d1a6"}  # the key's tail, never the key
    assert [line.words for line in paged(alert) if "PagerDuty" in line.words] == [
        "Told the clinic's PagerDuty service (triggered)",
        "Told the clinic's PagerDuty service (acknowledged)",
        "Told the clinic's PagerDuty service (resolved)",
    ]


def test_escalation_steps_send_nothing_more_pagerduty_escalates_itself(
    paging, block, report, beat, worker, north_on_pagerduty, smtp_server
):
    report(block, 1, saddle_numbness=True)
    worker()
    alert = Alert.objects.get()
    for minutes in (0, 5):
        with time_machine.travel(alert.next_escalation_at + timedelta(minutes=minutes)):
            assert beat()["escalated"] == 1
            worker()

    alert.refresh_from_db()
    assert alert.escalation_step == 2
    assert "mara@north.example.org" in [m["To"] for m in smtp_server.messages]
    assert north_on_pagerduty.actions == ["trigger"]


def test_a_worse_finding_triggers_again_into_the_same_incident(
    paging, ana, block, report, worker, north_on_pagerduty
):
    report(block, 5, numbness="left_leg")
    worker()
    ana.on_anticoagulants = True  # now the same finding is one level higher
    ana.save(update_fields=["on_anticoagulants"])
    report(block, 6, numbness="left_leg")
    worker()

    alert = Alert.objects.get()
    assert north_on_pagerduty.actions == ["trigger", "trigger"]
    severities = [event["payload"]["severity"] for _, event in north_on_pagerduty.events]
    assert severities == ["error", "critical"]
    [incident] = north_on_pagerduty.incidents.values()
    assert incident.dedup_key == f"alert-{alert.pk}"
    assert incident.log == ["trigger", "trigger"]  # appended to the open incident


def test_an_alert_acknowledged_before_its_trigger_left_triggers_nothing(
    paging, block, report, worker, north_on_pagerduty, as_nia
):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
    worker()

    assert north_on_pagerduty.actions == ["acknowledge"]
    assert north_on_pagerduty.incidents == {}  # no incident opened, none to acknowledge
    trigger = pagerduty_rows().get(event="triggered")
    assert trigger.status == DeliveryStatus.CANCELLED


# --- What PagerDuty answers -----------------------------------------------------------------


def test_an_event_pagerduty_refuses_fails_once_and_switches_nothing_off(
    paging, north, block, report, worker, enqueued, north_on_pagerduty
):
    north_on_pagerduty.script(INVALID)
    report(block, 1, bowel_bladder_change=True)
    before = len(enqueued)
    outcomes = worker()

    trigger = pagerduty_rows().get()
    assert outcomes[trigger.pk] == "failed"
    assert trigger.status == DeliveryStatus.FAILED
    assert "status=400" in trigger.last_error
    [attempt] = trigger.attempts_log.all()
    assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.FAILED, 400)
    assert "invalid event" in attempt.provider_response
    assert not any(trigger.pk in call.ids for call in enqueued[before:])  # not retried
    # The key stays: the clinic's next alert goes to PagerDuty as before.
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == NORTHS_PAGERDUTY_KEY


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        ((*RATE_LIMITED, {"Retry-After": "30"}), 30),  # PagerDuty's Retry-After, honoured
        (RATE_LIMITED, 5),  # none: our own back-off
        (UNAVAILABLE, 5),
    ],
)
def test_a_busy_pagerduty_is_tried_again_and_opens_one_incident(
    paging, block, report, worker, north_on_pagerduty, answer, wait
):
    north_on_pagerduty.script(answer)
    report(block, 1, bowel_bladder_change=True)
    worker()

    trigger = pagerduty_rows().get()
    assert trigger.status == DeliveryStatus.PENDING
    [attempt] = trigger.attempts_log.all()
    assert attempt.outcome == AttemptOutcome.RETRY
    retry_at = trigger.next_attempt_at
    assert retry_at - attempt.finished_at == timedelta(seconds=wait)  # the clock is frozen

    with time_machine.travel(retry_at, tick=False):
        worker()

    trigger.refresh_from_db()
    assert trigger.status == DeliveryStatus.SENT
    assert north_on_pagerduty.answers == [answer[0], 202]
    assert [e["dedup_key"] for _, e in north_on_pagerduty.events] == [trigger.provider_id] * 2
    assert len(north_on_pagerduty.incidents) == 1


def test_a_clinic_without_a_key_sends_nothing_to_pagerduty(
    paging, block, report, worker, pagerduty, smtp_server, south
):
    # South has PagerDuty; North, whose patient Ana is, does not.
    AlertSettings.objects.create(clinic=south, pagerduty_routing_key="f" * 32)
    report(block, 1, bowel_bladder_change=True)
    worker()

    assert smtp_server.messages  # Nia is paged as ever
    assert not pagerduty_rows().exists()
    assert pagerduty.events == []


def test_a_key_removed_before_the_event_left_sends_nothing(
    paging, north, block, report, worker, north_on_pagerduty
):
    report(block, 1, bowel_bladder_change=True)
    AlertSettings.objects.filter(clinic=north).update(pagerduty_routing_key="")
    worker()

    trigger = pagerduty_rows().get()
    assert trigger.status == DeliveryStatus.FAILED
    assert "no-routing-key" in trigger.last_error
    assert north_on_pagerduty.events == []


# --- The transport on its own ---------------------------------------------------------------


def event_message(action="acknowledge"):
    return Message(
        address="…d1a6",
        title="",
        body="",
        url="",
        collapse_id="alert-17-0-acknowledged",
        extra={
            "event": {
                "routing_key": NORTHS_PAGERDUTY_KEY,
                "event_action": action,
                "dedup_key": messages.pagerduty_dedup_key(17),
            }
        },
    )


def test_the_event_is_posted_as_json_with_a_user_agent(httpserver, north_on_pagerduty):
    result = PagerDutyTransport().send(event_message())

    [(request, _)] = httpserver.log
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "pain-diary-pagerduty/1"
    assert json.loads(request.get_data())["dedup_key"] == "alert-17"
    assert (result.status_code, result.provider_id) == (202, "alert-17")


def test_pagerdutys_own_check_refuses_a_bad_event_as_permanent(north_on_pagerduty):
    with pytest.raises(TransportError) as refused:
        PagerDutyTransport().send(event_message(action="snooze"))

    assert refused.value.permanent
    assert refused.value.status_code == 400
    assert refused.value.error_code == "invalid-event"


def test_pagerduty_unreachable_is_temporary(settings, closed_port, clean_channel_env):
    settings.PAGERDUTY_EVENTS_URL = f"http://127.0.0.1:{closed_port}/v2/enqueue"

    with pytest.raises(TransportError) as failed:
        PagerDutyTransport().send(event_message())

    assert not failed.value.permanent
    assert failed.value.error_code == "ConnectionError"


def test_a_malformed_events_url_is_ours_to_fix_and_temporary(settings, clean_channel_env, caplog):
    settings.PAGERDUTY_EVENTS_URL = "events.pagerduty.com/v2/enqueue"

    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_missing_channels()
    assert "PagerDuty disabled: PAGERDUTY_EVENTS_URL must start with https://" in caplog.text
    assert not PagerDutyTransport().is_configured()
    with pytest.raises(TransportError) as failed:
        PagerDutyTransport().send(event_message())

    assert not failed.value.permanent
    assert failed.value.error_code == "not-configured"


def test_the_routing_key_is_never_logged(north_on_pagerduty, caplog):
    north_on_pagerduty.script(UNAVAILABLE)

    with pytest.raises(TransportError):
        PagerDutyTransport().send(event_message())

    assert "status=503" in caplog.text
    assert NORTHS_PAGERDUTY_KEY not in caplog.text


# --- The webhook without the rule -----------------------------------------------------------


@pytest.fixture
def norths_webhook(httpserver, north):
    """North's own paging endpoint, keeping each body and its signature headers."""
    received = []

    def handler(request):
        received.append((request.get_data(), dict(request.headers)))
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request("/pager", method="POST").respond_with_handler(handler)
    return httpserver.url_for("/pager"), received


@pytest.mark.parametrize("include_rule", [True, False])
def test_the_webhook_names_the_rule_only_when_the_clinic_wants_it(
    paging, north, block, report, worker, norths_webhook, include_rule
):
    url, received = norths_webhook
    AlertSettings.objects.create(
        clinic=north,
        webhook_url=url,
        webhook_secret=WEBHOOK_SECRET,
        webhook_include_rule=include_rule,
    )
    report(block, 1, bowel_bladder_change=True)
    worker()

    alert = Alert.objects.get()
    [(body, headers)] = received
    payload = json.loads(body)
    assert ("rule" in payload["alert"]) is include_rule
    assert alert.rule in body.decode() if include_rule else alert.rule not in body.decode()
    assert payload["alert"]["severity"] == "emergency"
    # Both signatures are of the body as sent, without the rule when it is left out.
    assert headers["X-Signature-256"] == sign(body, WEBHOOK_SECRET)
    receiver = Webhook(WEBHOOK_SECRET.encode())
    lowered = {name.lower(): value for name, value in headers.items()}
    assert receiver.verify(body, lowered) == payload
