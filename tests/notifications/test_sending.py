"""Sending one delivery: exactly once however often its task runs, one attempt row per try,
temporary failures tried again after 5 s, 10 s, 20 s… and, after the last try, the next
channel. And what a reminder says: the check-in's time, never a symptom or a score.

The clock is frozen ten seconds before Ana's 2 h check-in (11:00 UTC, 10 June 2026). FCM
and Twilio are pytest-httpserver, e-mail is aiosmtpd; the tests call the sender directly.
"""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from diary import services as diary
from diary.models import CheckIn, Limb
from notifications import services as notify
from notifications.models import (
    AttemptOutcome,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
)
from tests.factories import PatientFactory, make_procedure
from tests.links import checkin_opened_by, link_in
from tests.notifications.conftest import (
    ANAS_EMAIL,
    ANAS_NUMBER,
    ANAS_PHONE_TOKEN,
    BLOCK,
    FCM_UNAVAILABLE,
    TWILIO_UNAVAILABLE,
    TWO_HOURS,
    Enqueued,
)

SECONDS = timedelta(seconds=1)
REMINDER_TEXT = "Time for your check-in: 2 h after your block."
REREMINDER_TEXT = "Reminder: your check-in (2 h after your block) is still open."
SYMPTOM_WORDS = ("numb", "weak", "bowel", "bladder", "pain score", "saddle", "fever", "heel")


@pytest.fixture
def queued(clock, block, beat):
    """Ana's 2 h reminder, queued by beat; the clock then stands at 11:00."""

    def make() -> Delivery:
        beat()
        clock.move_to(TWO_HOURS)
        return Delivery.objects.get(checkin__key="h2", purpose=Purpose.REMINDER)

    return make


def attempts(delivery) -> list[DeliveryAttempt]:
    return list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("id"))


def assert_opens_checkin(url: str, block, key="h2") -> None:
    """The link opens the patient's web check-in at that check-in's questions."""
    assert url.startswith(settings.WEB_CHECKIN_URL)
    assert checkin_opened_by(url) == CheckIn.objects.get(procedure=block, key=key).pk


# --- Exactly once -------------------------------------------------------------------------


def test_a_delivery_is_sent_once_even_if_its_task_runs_twice(queued, anas_phone, receivers):
    reminder = queued()

    assert notify.send_delivery(reminder.id) == "sent"
    assert notify.send_delivery(reminder.id) == "skipped"

    assert len(receivers.pushes) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.SENT, 1)
    assert len(attempts(reminder)) == 1


def test_a_delivery_another_worker_is_sending_is_left_to_it(queued, anas_phone, receivers):
    reminder = queued()
    # Another worker claimed it a moment ago and is talking to FCM now.
    Delivery.objects.filter(pk=reminder.pk).update(
        status=DeliveryStatus.SENDING, lease_until=TWO_HOURS + 30 * SECONDS
    )

    assert notify.send_delivery(reminder.id) == "skipped"
    assert receivers.pushes == []


def test_a_sent_attempt_keeps_what_the_provider_answered(queued, anas_phone, receivers):
    reminder = queued()

    notify.send_delivery(reminder.id)

    reminder.refresh_from_db()
    assert (reminder.status, reminder.sent_at, reminder.last_error) == (
        DeliveryStatus.SENT,
        TWO_HOURS,
        "",
    )
    assert reminder.provider_id == "projects/north-diary/messages/1"
    assert reminder.lease_until is None
    [attempt] = attempts(reminder)
    assert (attempt.outcome, attempt.status_code, attempt.started_at) == (
        AttemptOutcome.SENT,
        200,
        TWO_HOURS,
    )
    assert json.loads(attempt.provider_response) == {"name": "projects/north-diary/messages/1"}


# --- Recording what was sent ---------------------------------------------------------------


@pytest.fixture
def seven_reminders(clock, beat, north, dr_cole):
    """Seven patients' 2 h reminders, queued by beat; the clock then stands at 11:00."""

    def make(*, phones: bool) -> list[int]:
        for n in range(7):
            patient = PatientFactory(clinic=north)
            if phones:
                diary.register_device(patient=patient, platform="fcm", token=f"fcm-token-{n}")
            make_procedure(patient, proceduralist=dr_cole, performed_at=BLOCK)
        beat()
        clock.move_to(TWO_HOURS)
        return list(
            Delivery.objects.filter(checkin__key="h2", purpose=Purpose.REMINDER)
            .order_by("id")
            .values_list("id", flat=True)
        )

    return make


def _count_before_each_send(monkeypatch, deliveries) -> list[int]:
    """How many of ``deliveries`` (a queryset) there were when each send began."""
    seen: list[int] = []
    real = notify.get_transport

    class Watching:
        def __init__(self, channel):
            self.transport = real(channel)

        def send(self, message):
            seen.append(deliveries.count())
            return self.transport.send(message)

    monkeypatch.setattr(notify, "get_transport", Watching)
    return seen


@pytest.fixture
def recorded_before_each_send(monkeypatch):
    """How many deliveries were recorded as sent when each send began."""
    return _count_before_each_send(monkeypatch, Delivery.objects.filter(status=DeliveryStatus.SENT))


def test_reminder_pushes_are_recorded_a_group_at_a_time(
    seven_reminders, receivers, recorded_before_each_send, settings
):
    settings.PUSH_RECORD_GROUP = 3
    ids = seven_reminders(phones=True)

    assert notify.send_deliveries(ids) == {"sent": 7}

    # A worker killed at any send leaves at most the group's pushes unrecorded.
    assert recorded_before_each_send == [0, 0, 0, 3, 3, 3, 6]
    assert len(receivers.pushes) == 7
    sent = Delivery.objects.filter(pk__in=ids)
    assert {(d.channel, d.status, d.attempts, d.lease_until) for d in sent} == {
        ("push", DeliveryStatus.SENT, 1, None)
    }
    assert DeliveryAttempt.objects.filter(delivery__in=ids, outcome="sent").count() == 7
    assert all(d.provider_id.startswith("projects/north-diary/messages/") for d in sent)


@pytest.fixture
def claimed_before_each_send(monkeypatch):
    """How many deliveries were claimed (sending) or done when each send began."""
    return _count_before_each_send(
        monkeypatch, Delivery.objects.exclude(status=DeliveryStatus.PENDING)
    )


def test_a_batch_is_claimed_a_chunk_at_a_time_so_a_killed_worker_strands_one_chunk(
    seven_reminders, receivers, claimed_before_each_send, settings
):
    """A worker killed at any send leaves at most its chunk in ``sending`` (to wait out the
    send lease); the rest of its batch is still pending, the sweeper's after a short lease."""
    settings.SEND_CLAIM_CHUNK = 3
    ids = seven_reminders(phones=True)

    assert notify.send_deliveries(ids) == {"sent": 7}

    assert claimed_before_each_send == [3, 3, 3, 6, 6, 6, 7]
    sent = Delivery.objects.filter(pk__in=ids)
    assert {(d.status, d.attempts) for d in sent} == {(DeliveryStatus.SENT, 1)}
    assert len(receivers.pushes) == 7


def _watch_each_send(monkeypatch, before_send) -> None:
    """Call ``before_send(address)`` as each send begins, then send for real."""
    real = notify.get_transport

    class Watching:
        def __init__(self, channel):
            self.transport = real(channel)

        def send(self, message):
            before_send(message.address)
            return self.transport.send(message)

    monkeypatch.setattr(notify, "get_transport", Watching)


def test_a_slow_chunk_keeps_its_lease_renewed_send_by_send(
    seven_reminders, receivers, clock, monkeypatch, settings
):
    """The send lease is short (a killed worker strands its chunk for one lease), so a
    live worker renews it as it goes: each row's lease runs a full lease from when its own
    send began, however long the chunk took before it."""
    settings.SEND_CLAIM_CHUNK = 7
    # A lease no longer than the slowest send: renewed before every send.
    settings.DELIVERY_SEND_LEASE_SECONDS = notify.slowest_send_seconds()
    ids = seven_reminders(phones=True)
    leases = []

    def three_seconds_a_send(address):
        leases.append(Delivery.objects.get(pk__in=ids, address=address).lease_until)
        assert leases[-1] == timezone.now() + timedelta(
            seconds=settings.DELIVERY_SEND_LEASE_SECONDS
        )
        clock.shift(3)

    _watch_each_send(monkeypatch, three_seconds_a_send)

    assert notify.send_deliveries(ids) == {"sent": 7}
    assert len(set(leases)) == 7  # renewed each time, not the claim's lease seven times


def test_a_row_taken_over_while_the_worker_stalled_is_left_to_its_new_holder(
    seven_reminders, receivers, clock, monkeypatch, settings
):
    settings.SEND_CLAIM_CHUNK = 7
    settings.DELIVERY_SEND_LEASE_SECONDS = notify.slowest_send_seconds()
    ids = seven_reminders(phones=True)
    taken = []

    def another_worker_takes_one_during_the_first_send(address):
        if not taken:  # the worker stalls past its lease; another claims a row not yet sent
            taken.append(Delivery.objects.filter(pk__in=ids).exclude(address=address).last())
            Delivery.objects.filter(pk=taken[0].pk).update(claim_token=uuid.uuid4())

    _watch_each_send(monkeypatch, another_worker_takes_one_during_the_first_send)

    assert notify.send_deliveries(ids) == {"sent": 6, "skipped": 1}
    assert taken[0].address not in {push.address for push in receivers.pushes}


def test_a_text_is_recorded_as_soon_as_it_is_sent(
    seven_reminders, receivers, recorded_before_each_send, settings
):
    settings.PUSH_RECORD_GROUP = 3
    ids = seven_reminders(phones=False)  # no app: texted

    assert notify.send_deliveries(ids) == {"sent": 7}

    # A second text would be a real duplicate: each is recorded before the next starts.
    assert recorded_before_each_send == [0, 1, 2, 3, 4, 5, 6]
    assert len(receivers.accepted("texts")) == 7
    assert DeliveryAttempt.objects.filter(delivery__in=ids, outcome="sent").count() == 7


def test_pushes_sent_before_a_batch_breaks_off_are_recorded(
    seven_reminders, receivers, monkeypatch
):
    ids = seven_reminders(phones=True)
    real = notify.get_transport
    sends = []

    class BreaksAtTheThird:
        def __init__(self, channel):
            self.transport = real(channel)

        def send(self, message):
            sends.append(message.address)
            if len(sends) == 3:
                raise RuntimeError("a bug in one message, or the task's soft time limit")
            return self.transport.send(message)

    monkeypatch.setattr(notify, "get_transport", BreaksAtTheThird)

    with pytest.raises(RuntimeError):
        notify.send_deliveries(ids)

    assert len(receivers.pushes) == 2
    statuses = dict(Delivery.objects.filter(pk__in=ids).values_list("address", "status"))
    assert [statuses[address] for address in sends] == ["sent", "sent", "sending"]
    assert DeliveryAttempt.objects.filter(delivery__in=ids).count() == 2


# --- Temporary failures -------------------------------------------------------------------


def test_fcm_down_once_is_tried_again_five_seconds_later_and_then_arrives(
    clock, queued, anas_phone, receivers, worker, enqueued
):
    reminder = queued()
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNAVAILABLE)

    assert worker() == {reminder.id: "retry"}
    reminder.refresh_from_db()
    assert (reminder.status, reminder.next_attempt_at) == (
        DeliveryStatus.PENDING,
        TWO_HOURS + 5 * SECONDS,
    )
    assert "status=503" in reminder.last_error
    assert enqueued[-1] == Enqueued(ids=[reminder.id], countdown=5.0)

    assert notify.send_delivery(reminder.id) == "skipped"  # not before its time
    clock.move_to(TWO_HOURS + 5 * SECONDS)
    assert worker() == {reminder.id: "sent"}

    assert [(a.outcome, a.status_code) for a in attempts(reminder)] == [
        (AttemptOutcome.RETRY, 503),
        (AttemptOutcome.SENT, 200),
    ]
    assert [p.status for p in receivers.pushes] == [503, 200]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        DeliveryStatus.SENT,
        2,
        "",
    )


def test_after_the_last_try_the_push_fails_and_ana_is_texted(
    clock, queued, anas_phone, receivers, worker, enqueued, settings
):
    assert settings.DELIVERY_MAX_ATTEMPTS == 5
    reminder = queued()
    receivers.script(ANAS_PHONE_TOKEN, *[FCM_UNAVAILABLE] * 5)

    waits = []
    for _ in range(4):
        assert worker() == {reminder.id: "retry"}
        reminder.refresh_from_db()
        wait = reminder.next_attempt_at - timezone.now()
        waits.append(wait.total_seconds())
        assert enqueued[-1] == Enqueued(ids=[reminder.id], countdown=wait.total_seconds())
        clock.move_to(reminder.next_attempt_at)
    assert waits == [5, 10, 20, 40]

    [(_, outcome)] = worker().items()
    assert outcome == "failed"

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (DeliveryStatus.FAILED, 5)
    assert [a.outcome for a in attempts(reminder)] == [AttemptOutcome.RETRY] * 4 + [
        AttemptOutcome.FAILED
    ]
    anas_phone.refresh_from_db()
    assert anas_phone.disabled_at is None  # FCM was down, the phone is fine
    [text] = Delivery.objects.filter(channel="sms")
    assert (text.purpose, text.status, text.address) == (
        Purpose.REMINDER,
        DeliveryStatus.PENDING,
        ANAS_NUMBER,
    )
    assert enqueued[-1] == Enqueued(ids=[text.id], countdown=0.0)

    assert worker() == {text.id: "sent"}
    assert [t.address for t in receivers.accepted("texts")] == [ANAS_NUMBER]


def test_a_temporary_failure_on_the_last_channel_gives_up_without_a_loop(
    clock, ana, queued, receivers, worker
):
    diary.update_patient(ana, email="")  # SMS is her only channel
    reminder = queued()
    receivers.script(ANAS_NUMBER, *[TWILIO_UNAVAILABLE] * 5)

    for _ in range(5):
        worker()
        reminder.refresh_from_db()
        clock.move_to(reminder.next_attempt_at)

    assert reminder.status == DeliveryStatus.FAILED
    assert list(Delivery.objects.values_list("channel", "status")) == [
        ("sms", DeliveryStatus.FAILED)
    ]
    assert len(receivers.texts) == 5
    assert worker() == {}


# --- What a reminder says -------------------------------------------------------------------


@pytest.fixture
def anas_worrying_entry(block):
    """Ana's reading from 10:10, answering the 1 h check-in: every red flag she could report."""
    diary.record_entry(
        patient=block.patient,
        data={
            "client_id": uuid.uuid4(),
            "procedure": block,
            "recorded_at": BLOCK + timedelta(hours=1, minutes=10),
            "pain_score": 9,
            "numbness": Limb.BOTH_LEGS,
            "weakness": Limb.LEFT_LEG,
            "can_lift_heel": False,
            "saddle_numbness": True,
            "bowel_bladder_change": True,
            "fever": True,
            "note": "Numb and weak in both legs, bladder trouble, pain score 9.",
        },
    )


def assert_nothing_clinical(text: str):
    lowered = text.lower()
    assert [word for word in SYMPTOM_WORDS if word in lowered] == []


def test_a_push_says_only_when_the_check_in_is(
    queued, block, anas_phone, anas_worrying_entry, receivers, worker
):
    queued()
    worker()

    [push] = receivers.pushes
    message = push.body["message"]
    assert message["notification"] == {"title": "Pain diary", "body": REMINDER_TEXT}
    assert_opens_checkin(message["data"]["url"], block)
    assert_nothing_clinical(json.dumps(push.body))


def test_a_text_says_only_when_the_check_in_is(
    queued, block, anas_worrying_entry, receivers, worker
):
    queued()
    worker()

    [text] = receivers.texts
    assert text.body["To"] == ANAS_NUMBER
    url = link_in(text.body["Body"])
    assert text.body["Body"] == f"{REMINDER_TEXT} {url}"
    assert_opens_checkin(url, block)
    assert_nothing_clinical(text.body["Body"])


def test_an_email_says_only_when_the_check_in_is(
    queued, ana, block, anas_worrying_entry, receivers, worker
):
    notify.update_contact(notify.contact_of(ana), channel_order="email")
    queued()
    worker()

    [email] = receivers.emails
    assert email["To"] == ANAS_EMAIL
    assert email["Subject"] == "Pain diary"
    text = email.get_body(("plain",)).get_content()
    url = link_in(text)
    [stop] = re.findall(r"Stop e-mail reminders: (\S+)", text)
    assert text.splitlines() == [REMINDER_TEXT, "", url, "", f"Stop e-mail reminders: {stop}"]
    assert_opens_checkin(url, block)
    assert_nothing_clinical(email.as_string())


def test_the_re_reminder_says_the_check_in_is_still_open_and_nothing_more(
    clock, queued, block, anas_worrying_entry, receivers, worker, beat
):
    queued()
    worker()
    clock.move_to(TWO_HOURS + timedelta(minutes=15) - 10 * SECONDS)
    beat()
    clock.move_to(TWO_HOURS + timedelta(minutes=15))
    worker()

    first, second = (t.body["Body"] for t in receivers.texts)
    assert first == f"{REMINDER_TEXT} {link_in(first)}"
    assert second == f"{REREMINDER_TEXT} {link_in(second)}"
    assert link_in(first) != link_in(second)  # each message its own link; both open it
    for text in (first, second):
        assert_opens_checkin(link_in(text), block)
    for text in receivers.texts:
        assert_nothing_clinical(text.body["Body"])


def test_a_retry_after_a_database_error_takes_back_its_own_claims_at_once(
    seven_reminders, receivers, monkeypatch, settings
):
    """The database went away mid-batch: the task fails with rows claimed under its token.
    Its retry (same task, same token) sends them now; any other task leaves them alone
    until their send lease runs out."""
    from django.db import OperationalError

    settings.PUSH_RECORD_GROUP = 1
    ids = seven_reminders(phones=True)
    real = notify.get_transport
    sends = []

    class DatabaseGoneAtTheThird:
        def __init__(self, channel):
            self.transport = real(channel)

        def send(self, message):
            sends.append(message.address)
            if len(sends) == 3:
                raise OperationalError("server closed the connection unexpectedly")
            return self.transport.send(message)

    monkeypatch.setattr(notify, "get_transport", DatabaseGoneAtTheThird)
    token = uuid.uuid4()
    with pytest.raises(OperationalError):
        notify.send_deliveries(ids, claim_token=token)
    held = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).count()
    assert held == 5  # the chunk of seven, less the two sent

    assert notify.send_deliveries(ids, claim_token=uuid.uuid4()) == {"skipped": 7}
    assert notify.send_deliveries(ids, claim_token=token) == {"sent": 5, "skipped": 2}
    assert len(receivers.pushes) == 7
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
