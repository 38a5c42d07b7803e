"""The circuit breaker: when every text comes back "not a valid number" (a wrong sender
or credential after a deploy, not a clinic full of dead phones), SMS is held, nobody's
number is switched off, and the health check and the rota's warnings say so."""

from datetime import timedelta

import pytest
import time_machine

from notifications import breaker, oncall
from notifications.models import ContactPreference
from notifications.transports import Message, TransportError, get_transport
from tests.notifications.conftest import TWILIO_INVALID_NUMBER

NUMBERS = [f"+4477009{n:05d}" for n in range(10)]


@pytest.fixture
def three_strikes(settings):
    settings.BREAKER_THRESHOLD = 3
    settings.BREAKER_WINDOW_SECONDS = 300
    settings.BREAKER_HOLD_SECONDS = 600


@pytest.fixture
def twilio_rejects_everyone(httpserver, http_channels):
    status, body = TWILIO_INVALID_NUMBER
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{http_channels.twilio_sid}/Messages.json", method="POST"
    ).respond_with_json(body, status=status)
    return httpserver


def text(number: str) -> Message:
    return Message(number, "", "Time for your check-in.", "https://d.example/c/1", "c-1")


def send(number: str) -> TransportError:
    with pytest.raises(TransportError) as failed:
        breaker.guarded_send(get_transport("sms"), text(number))
    return failed.value


def test_past_the_threshold_permanent_failures_stop_disabling_and_sms_is_held(
    three_strikes, twilio_rejects_everyone
):
    errors = [send(number) for number in NUMBERS[:4]]

    # Two are believed; the third trips the breaker and, with the rest, disables nobody.
    assert [e.permanent for e in errors] == [True, True, False, False]
    assert [e.error_code for e in errors] == ["21211", "21211", "21211", "circuit-open"]
    assert len(twilio_rejects_everyone.log) == 3  # held: the fourth never reached Twilio
    assert [h["channel"] for h in breaker.held()] == ["sms"]


def test_failures_spread_wider_than_the_window_do_not_trip_it(
    three_strikes, twilio_rejects_everyone
):
    with time_machine.travel("2026-06-10 09:00:00Z", tick=False) as clock:
        for number in NUMBERS[:6]:
            assert send(number).permanent is True
            clock.shift(timedelta(seconds=160))

    assert breaker.held() == []


def test_the_hold_ends_by_itself_or_when_released(three_strikes, twilio_rejects_everyone):
    for number in NUMBERS[:3]:
        send(number)
    assert breaker.held_since("sms") is not None

    breaker.release("sms")

    assert breaker.held() == []
    assert send(NUMBERS[5]).error_code == "21211"


def test_push_is_held_per_platform(three_strikes):
    for _ in range(3):
        breaker.count_permanent_failure("push/apns")

    assert breaker.held_since("push/apns") is not None
    assert breaker.held_since("push/fcm") is None


def test_a_held_channel_degrades_health_and_warns_on_the_rota(
    three_strikes, twilio_rejects_everyone, anon, north
):
    for number in NUMBERS[:3]:
        send(number)

    body = anon.get("/api/v1/health/").json()
    warnings = oncall.coverage_warnings(north, body_time(body))

    assert body["status"] == "degraded"
    assert [h["channel"] for h in body["held_channels"]] == ["sms"]
    assert any(w.startswith("SMS is held since") for w in warnings)


def test_a_held_reminder_disables_no_patients_number(
    three_strikes, clock, block, beat, receivers, worker, ana
):
    from tests.notifications.conftest import ANAS_NUMBER, TWO_HOURS

    for _ in range(3):
        breaker.count_permanent_failure("sms")
    receivers.script(ANAS_NUMBER, TWILIO_INVALID_NUMBER)
    beat()
    clock.move_to(TWO_HOURS)

    assert list(worker().values()) == ["retry"]
    assert receivers.texts == []  # held: Twilio was not even asked
    assert not ContactPreference.objects.filter(sms_disabled_at__isnull=False).exists()


def body_time(body):
    from datetime import datetime

    return datetime.fromisoformat(body["checked_at"].replace("Z", "+00:00"))
