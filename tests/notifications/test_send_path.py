"""What the send path reads once per batch instead of once per send still holds: the
circuit breaker's holds (read for a batch, again once a second, and at once when this batch
opens one), and the metrics' series (looked up once per process, still counting each send).
"""

import time

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY

from notifications import breaker
from notifications import services as notify
from notifications.models import Delivery, Purpose
from notifications.transports import ApnsTransport, Message, TransportError, get_transport
from tests.notifications.conftest import ANAS_PHONE_TOKEN, TWILIO_INVALID_NUMBER, TWO_HOURS

NUMBERS = [f"+4477009{n:05d}" for n in range(5)]


@pytest.fixture
def three_strikes(settings):
    settings.BREAKER_THRESHOLD = 3
    settings.BREAKER_WINDOW_SECONDS = 300
    settings.BREAKER_HOLD_SECONDS = 600


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def open_elsewhere(name: str) -> None:
    """What another worker's ``count_permanent_failure`` leaves when it trips the breaker."""
    cache.add(f"{breaker.PREFIX}:{name}:open", time.time(), timeout=600)


def test_a_hold_another_worker_opened_reaches_a_batch_within_a_second():
    clock = Clock()
    holds = breaker.HeldChannels(clock=clock)
    assert "push/fcm" not in holds

    open_elsewhere("push/fcm")
    clock.now += breaker.HeldChannels.REFRESH_SECONDS - 0.01
    assert "push/fcm" not in holds  # read a moment ago: not asked again yet

    clock.now += 0.01
    assert "push/fcm" in holds
    assert "push/apns" not in holds  # per platform, as before


def test_a_hold_this_batch_opens_stops_its_next_send_at_once(
    three_strikes, httpserver, http_channels
):
    status, body = TWILIO_INVALID_NUMBER
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{http_channels.twilio_sid}/Messages.json", method="POST"
    ).respond_with_json(body, status=status)
    holds = breaker.HeldChannels(clock=Clock())  # a clock that never moves: no re-read
    errors = []
    for number in NUMBERS[:4]:
        message = Message(number, "", "Time for your check-in.", "https://d.example/c/1", "c-1")
        with pytest.raises(TransportError) as failed:
            breaker.guarded_send(get_transport("sms"), message, holds)
        errors.append(failed.value)

    assert [e.error_code for e in errors] == ["21211", "21211", "21211", "circuit-open"]
    assert [e.permanent for e in errors] == [True, True, False, False]
    assert len(httpserver.log) == 3  # the fourth never reached Twilio


def test_a_reminder_push_held_by_another_worker_is_not_sent_and_disables_nobody(
    clock, block, beat, receivers, anas_phone
):
    beat()
    clock.move_to(TWO_HOURS)
    reminder = Delivery.objects.get(checkin__key="h2", purpose=Purpose.REMINDER)
    open_elsewhere("push/fcm")

    assert notify.send_delivery(reminder.pk) == "retry"

    assert receivers.pushes == []
    anas_phone.refresh_from_db()
    assert anas_phone.disabled_at is None


def sent_count(channel: str) -> float:
    labels = {"kind": "reminder", "channel": channel, "outcome": "sent"}
    return REGISTRY.get_sample_value("diary_sends_total", labels) or 0.0


def test_every_send_is_counted_though_its_series_is_looked_up_once(
    clock, block, beat, receivers, anas_phone, ana
):
    from diary import services as diary

    diary.register_device(patient=ana, platform="fcm", token=ANAS_PHONE_TOKEN + "-tablet")
    beat()
    clock.move_to(TWO_HOURS)
    before = sent_count("push")
    ids = list(Delivery.objects.filter(purpose=Purpose.REMINDER).values_list("pk", flat=True))

    notify.send_deliveries(ids)

    assert len(ids) == 2
    assert sent_count("push") == before + 2


def test_an_apns_push_logs_no_line_with_the_device_token_at_info(apns, caplog):
    iphone = "a1b2c3d4" * 8
    message = Message(
        iphone, "Pain diary", "Time for your check-in.", "https://d.example/c/1", "c", "apns"
    )
    caplog.set_level("INFO")

    ApnsTransport().send(message)

    assert len(apns.pushes) == 1
    assert not [r for r in caplog.records if iphone in r.getMessage()]
