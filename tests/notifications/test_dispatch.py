"""The dispatcher: beat's tick claims check-ins whose reminder falls due before the next
tick, writes one delivery row per address on the patient's first reachable channel, and
hands the broker a countdown to the exact minute, never longer than one tick.

The clock is frozen at 10:59:50 UTC on 10 June 2026, ten seconds before the 2 h check-in
of Ana's block (09:00 UTC, 10:00 in London) falls due. The providers are real local
receivers; the broker is not running, so ``beat`` records what it would be handed and
``worker`` sends every pending delivery by hand.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from diary import services as diary
from diary.models import CheckIn, CheckInStatus, PatientStatus
from notifications import services as notify
from notifications.models import Delivery, DeliveryStatus, Purpose
from tests.factories import make_procedure
from tests.notifications.conftest import (
    ANAS_EMAIL,
    ANAS_NUMBER,
    ANAS_PHONE_TOKEN,
    ANAS_TABLET_TOKEN,
    BLOCK,
    TWO_HOURS,
    Enqueued,
    send_all_pending,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SECONDS = timedelta(seconds=1)


def checkin(block, key) -> CheckIn:
    return CheckIn.objects.get(procedure=block, key=key)


def deliveries(**filters) -> list[Delivery]:
    return list(Delivery.objects.filter(**filters).order_by("id"))


def answer(block, recorded_at, **symptoms):
    """Ana records a reading at ``recorded_at``: the check-in open then is answered."""
    diary.record_entry(
        patient=block.patient,
        data={
            "client_id": uuid.uuid4(),
            "procedure": block,
            "recorded_at": recorded_at,
            "pain_score": 3,
            **symptoms,
        },
    )


# --- On time, once --------------------------------------------------------------------


def test_ana_s_two_hour_reminder_is_claimed_ahead_and_arrives_at_eleven_not_before(
    clock, block, anas_phone, receivers, beat, enqueued
):
    beat()

    h2 = checkin(block, "h2")
    assert h2.status == CheckInStatus.DUE
    [reminder] = deliveries()
    assert (reminder.checkin_id, reminder.purpose, reminder.status) == (
        h2.id,
        Purpose.REMINDER,
        DeliveryStatus.PENDING,
    )
    assert (reminder.channel, reminder.address, reminder.platform) == (
        "push",
        ANAS_PHONE_TOKEN,
        "fcm",
    )
    assert reminder.next_attempt_at == TWO_HOURS == h2.remind_at == h2.due_at
    assert reminder.checkin_version == h2.plan_version
    assert enqueued == [Enqueued(ids=[reminder.id], countdown=10.0)]

    # A worker that takes the task early sends nothing early.
    assert notify.send_delivery(reminder.id) == "skipped"
    assert receivers.pushes == []

    clock.move_to(TWO_HOURS)
    assert notify.send_delivery(reminder.id) == "sent"
    [push] = receivers.pushes
    assert (push.address, push.at) == (ANAS_PHONE_TOKEN, TWO_HOURS)


def test_a_reminder_further_off_than_one_tick_waits_in_the_database_not_the_broker(
    clock, block, anas_phone, receivers, beat, enqueued
):
    clock.move_to(TWO_HOURS - 20 * SECONDS)

    result = beat()

    assert result["reminded"] == 0
    assert checkin(block, "h2").status == CheckInStatus.UPCOMING
    assert deliveries() == []
    assert enqueued == []


def test_a_tick_with_nothing_due_creates_nothing(clock, ana, anas_phone, receivers, beat, enqueued):
    make_procedure(ana, performed_at=TWO_HOURS + timedelta(days=1))  # booked for tomorrow

    beat()

    assert deliveries() == []
    assert enqueued == []


def test_nothing_waits_in_the_broker_longer_than_one_tick(
    clock, block, anas_phone, receivers, beat, worker, enqueued
):
    """Beat every 15 s for two hours: each reminder is queued to land on its own time."""
    lookahead = settings.DISPATCH_LOOKAHEAD_SECONDS
    moment = TWO_HOURS - 10 * SECONDS
    while moment < TWO_HOURS + timedelta(hours=2):
        clock.move_to(moment)
        before = len(enqueued)
        beat()
        for call in enqueued[before:]:
            assert 0 <= call.countdown <= lookahead
            for delivery in Delivery.objects.filter(pk__in=call.ids):
                assert delivery.next_attempt_at == moment + timedelta(seconds=call.countdown)
        moment += timedelta(seconds=lookahead)
        clock.move_to(moment)
        worker()

    hour = timedelta(hours=1)
    quarter = timedelta(minutes=15)
    assert [(d.checkin.key, d.purpose, d.next_attempt_at) for d in deliveries()] == [
        ("h2", Purpose.REMINDER, TWO_HOURS),
        ("h2", Purpose.REREMINDER, TWO_HOURS + quarter),
        ("h3", Purpose.REMINDER, TWO_HOURS + hour),
        ("h3", Purpose.REREMINDER, TWO_HOURS + hour + quarter),
        ("h4", Purpose.REMINDER, TWO_HOURS + 2 * hour),
    ]
    assert [p.status for p in receivers.pushes] == [200] * 5


def test_a_reminder_overdue_after_beat_was_down_goes_at_once(
    clock, block, anas_phone, receivers, beat, enqueued
):
    late = TWO_HOURS + timedelta(minutes=3)
    clock.move_to(late)

    beat()

    [reminder] = deliveries()
    assert reminder.next_attempt_at == late
    assert enqueued == [Enqueued(ids=[reminder.id], countdown=0.0)]


def test_running_the_tick_twice_creates_no_second_delivery(
    clock, block, anas_phone, receivers, beat, enqueued
):
    beat()
    first = deliveries()
    beat()
    clock.move_to(TWO_HOURS)
    beat()

    assert deliveries() == first
    assert len(first) == 1
    assert [call.ids for call in enqueued] == [[first[0].id]]


# --- Which channel ----------------------------------------------------------------------


def test_each_of_ana_s_working_phones_gets_its_own_push_and_nothing_else_is_used(
    clock, block, anas_phone, anas_tablet, receivers, beat, enqueued
):
    beat()

    sent = deliveries()
    assert sorted((d.channel, d.address) for d in sent) == [
        ("push", ANAS_PHONE_TOKEN),
        ("push", ANAS_TABLET_TOKEN),
    ]
    assert {d.device_id for d in sent} == {anas_phone.id, anas_tablet.id}
    assert [sorted(call.ids) for call in enqueued] == [sorted(d.id for d in sent)]


def test_a_disabled_phone_is_not_pushed_to(clock, block, anas_phone, anas_tablet, receivers, beat):
    anas_tablet.disabled_at = TWO_HOURS - timedelta(days=1)  # FCM said its token was dead
    anas_tablet.save(update_fields=["disabled_at"])

    beat()

    assert [(d.channel, d.address) for d in deliveries()] == [("push", ANAS_PHONE_TOKEN)]


def test_without_a_phone_app_ana_is_texted(clock, block, receivers, beat):
    beat()

    assert [(d.channel, d.address) for d in deliveries()] == [("sms", ANAS_NUMBER)]


def test_without_an_app_or_a_number_ana_is_emailed(clock, ana, block, receivers, beat):
    diary.update_patient(ana, phone="")

    beat()

    assert [(d.channel, d.address) for d in deliveries()] == [("email", ANAS_EMAIL)]


def test_ana_s_own_channel_order_is_followed(clock, ana, block, anas_phone, receivers, beat):
    notify.update_contact(notify.contact_of(ana), channel_order="email,push")

    beat()

    assert [(d.channel, d.address) for d in deliveries()] == [("email", ANAS_EMAIL)]


def test_a_channel_without_provider_settings_is_passed_over(
    clock, block, anas_phone, receivers, beat, clean_channel_env
):
    clean_channel_env.delenv("FCM_ACCESS_TOKEN")  # push is not configured on this server

    beat()

    assert [(d.channel, d.address) for d in deliveries()] == [("sms", ANAS_NUMBER)]


def test_a_paused_patient_gets_no_reminder_but_her_check_in_still_falls_due(
    clock, ana, block, anas_phone, receivers, beat, enqueued
):
    diary.update_patient(ana, status=PatientStatus.PAUSED)

    beat()

    assert checkin(block, "h2").status == CheckInStatus.DUE
    assert deliveries() == []
    assert enqueued == []


def test_with_no_channel_configured_one_failed_delivery_says_so(
    clock, block, anas_phone, clean_channel_env, settings, beat, enqueued
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""

    beat()

    [failed] = deliveries()
    assert (failed.checkin.key, failed.status) == ("h2", DeliveryStatus.FAILED)
    assert failed.last_error == notify.NO_CHANNEL
    assert "No working channel" in failed.last_error
    assert enqueued == []


def test_with_no_address_on_any_channel_one_failed_delivery_says_so(
    clock, ana, block, receivers, beat, enqueued
):
    diary.update_patient(ana, phone="", email="")

    beat()

    [failed] = deliveries()
    assert (failed.status, failed.last_error) == (DeliveryStatus.FAILED, notify.NO_CHANNEL)
    assert enqueued == []
    beat()
    assert len(deliveries()) == 1


# --- Reminding again --------------------------------------------------------------------


def test_an_unanswered_check_in_is_reminded_again_halfway_through_its_window(
    clock, block, anas_phone, receivers, beat, worker
):
    halfway = TWO_HOURS + timedelta(minutes=15)  # the 2 h check-in is open 30 min
    beat()
    clock.move_to(TWO_HOURS)
    worker()

    clock.move_to(halfway - 10 * SECONDS)
    beat()
    again = deliveries(purpose=Purpose.REREMINDER)
    assert [(d.checkin.key, d.next_attempt_at) for d in again] == [("h2", halfway)]
    clock.move_to(halfway)
    worker()
    beat()

    assert [p.body["message"]["notification"]["body"] for p in receivers.pushes] == [
        "Time for your check-in: 2 h after your block.",
        "Reminder: your check-in (2 h after your block) is still open.",
    ]
    assert checkin(block, "h2").rereminded_at is not None
    assert len(deliveries(checkin__key="h2")) == 2


def test_a_check_in_answered_before_halfway_is_not_reminded_again(
    clock, block, anas_phone, receivers, beat, worker
):
    beat()
    clock.move_to(TWO_HOURS)
    worker()
    answer(block, TWO_HOURS + timedelta(minutes=5))

    for minute in (14, 15, 16, 29):
        clock.move_to(TWO_HOURS + timedelta(minutes=minute, seconds=50))
        beat()

    assert deliveries(checkin__key="h2", purpose=Purpose.REREMINDER) == []
    assert len(receivers.pushes) == 1


def test_no_re_reminder_when_re_reminders_are_switched_off(
    clock, settings, ana, anas_phone, receivers, beat, worker
):
    settings.REREMINDER_FRACTION = None
    block = make_procedure(ana, performed_at=BLOCK)
    assert checkin(block, "h2").rereminder_at is None

    for minute in (0, 15, 29):
        clock.move_to(TWO_HOURS + timedelta(minutes=minute))
        beat()
        worker()

    assert [d.purpose for d in deliveries(checkin__key="h2")] == [Purpose.REMINDER]
    assert len(receivers.pushes) == 1


def test_a_day_level_re_reminder_is_not_sent_in_quiet_hours(
    clock, ana, anas_phone, receivers, beat, worker
):
    # Ana checks in at 17:00: halfway through the 12 h window is 23:00, inside 22:00-08:00.
    diary.update_patient(ana, checkin_time=time(17, 0))
    block = make_procedure(ana, performed_at=BLOCK)
    day_one = checkin(block, "d1")
    assert day_one.remind_at == datetime(2026, 6, 11, 16, 0, tzinfo=UTC)  # 17:00 BST
    assert day_one.rereminder_at is None

    for hour_utc in (16, 20, 22, 23, 2, 3):
        day = 11 if hour_utc >= 16 else 12
        clock.move_to(datetime(2026, 6, day, hour_utc, 0, tzinfo=UTC))
        beat()
        worker()

    assert [d.purpose for d in deliveries(checkin__key="d1")] == [Purpose.REMINDER]
    assert checkin(block, "d1").status == CheckInStatus.DUE
    clock.move_to(datetime(2026, 6, 12, 4, 0, tzinfo=UTC))
    beat()
    assert checkin(block, "d1").status == CheckInStatus.MISSED
    assert [d.purpose for d in deliveries(checkin__key="d1")] == [Purpose.REMINDER]


# --- Missed -----------------------------------------------------------------------------


def test_an_unanswered_check_in_is_missed_when_its_window_closes(
    clock, block, anas_phone, receivers, beat, worker
):
    beat()
    clock.move_to(TWO_HOURS + timedelta(minutes=30) - SECONDS)
    beat()
    assert checkin(block, "h2").status == CheckInStatus.DUE

    clock.move_to(TWO_HOURS + timedelta(minutes=30))
    beat()

    assert checkin(block, "h2").status == CheckInStatus.MISSED


def test_a_reminder_still_queued_when_the_window_closes_is_cancelled_not_sent(
    clock, block, anas_phone, receivers, beat
):
    beat()
    [reminder] = deliveries()  # its task was lost: nobody sent it in time

    clock.move_to(TWO_HOURS + timedelta(minutes=30))
    beat()
    assert checkin(block, "h2").status == CheckInStatus.MISSED

    assert send_all_pending() == {reminder.id: "cancelled"}
    reminder.refresh_from_db()
    assert reminder.status == DeliveryStatus.CANCELLED
    assert receivers.everything() == 0


# --- Re-planning ------------------------------------------------------------------------


def test_correcting_the_block_time_before_the_reminder_goes_moves_it_and_sends_it_once(
    clock, block, anas_phone, receivers, beat, worker
):
    beat()
    [queued] = deliveries()
    assert queued.checkin_version == 1

    # Dr Cole corrects the note: the block was at 09:20, so the 2 h check-in is at 11:20.
    corrected = BLOCK + timedelta(minutes=20)
    diary.update_procedure(block, performed_at=corrected)
    h2 = checkin(block, "h2")
    assert (h2.status, h2.remind_at, h2.plan_version) == (
        CheckInStatus.UPCOMING,
        corrected + timedelta(hours=2),
        2,
    )

    clock.move_to(TWO_HOURS)
    assert worker() == {queued.id: "cancelled"}
    assert receivers.pushes == []

    for moment in (h2.remind_at - 10 * SECONDS, h2.remind_at, h2.remind_at + 10 * SECONDS):
        clock.move_to(moment)
        beat()
        worker()

    reminders = deliveries(checkin__key="h2", purpose=Purpose.REMINDER)
    assert [(d.checkin_version, d.status) for d in reminders] == [
        (1, DeliveryStatus.CANCELLED),
        (2, DeliveryStatus.SENT),
    ]
    [push] = receivers.pushes
    assert push.at == h2.remind_at


def test_a_reminder_queued_for_the_old_time_is_dropped_when_the_new_one_is_due_already(
    clock, block, anas_phone, receivers, beat, worker
):
    beat()
    [old] = deliveries()

    # The block was at 08:59: the 2 h check-in fell due a minute ago, under a new plan.
    diary.update_procedure(block, performed_at=BLOCK - timedelta(minutes=1))
    clock.move_to(TWO_HOURS - 5 * SECONDS)
    beat()
    clock.move_to(TWO_HOURS)
    outcomes = worker()

    new = Delivery.objects.exclude(pk=old.pk).get()
    assert (old.checkin_version, new.checkin_version) == (1, 2)
    assert outcomes == {old.id: "cancelled", new.id: "sent"}
    assert len(receivers.pushes) == 1


def test_a_reminder_for_a_check_in_ana_answered_meanwhile_is_cancelled(
    clock, block, anas_phone, receivers, beat, worker
):
    beat()
    # The app shows the check-in as due; Ana answers it at once, before 11:00.
    answer(block, TWO_HOURS - 5 * SECONDS, checkin=checkin(block, "h2"))

    clock.move_to(TWO_HOURS)

    assert list(worker().values()) == ["cancelled"]
    assert receivers.pushes == []


def test_a_reminder_for_a_patient_paused_meanwhile_is_cancelled(
    clock, ana, block, anas_phone, receivers, beat, worker
):
    beat()
    diary.update_patient(ana, status=PatientStatus.PAUSED)

    clock.move_to(TWO_HOURS)

    assert list(worker().values()) == ["cancelled"]
    assert receivers.pushes == []


def test_correcting_the_block_time_after_a_day_reminder_went_sends_nothing_new(
    clock, block, anas_phone, receivers, beat, worker
):
    ten_london = datetime(2026, 6, 11, 9, 0, tzinfo=UTC)
    clock.move_to(ten_london - 10 * SECONDS)
    beat()
    clock.move_to(ten_london)
    worker()
    assert len(receivers.pushes) == 1
    before = checkin(block, "d1")

    # The block was at 09:30 that same morning: day 1 is still 10:00 on 11 June.
    diary.update_procedure(block, performed_at=BLOCK + timedelta(minutes=30))
    clock.move_to(ten_london + timedelta(minutes=1))
    beat()
    worker()

    after = checkin(block, "d1")
    assert (after.status, after.plan_version, after.due_at) == (
        CheckInStatus.DUE,
        before.plan_version,
        before.due_at,
    )
    assert len(deliveries(checkin__key="d1")) == 1
    assert len(receivers.pushes) == 1


def test_cancelling_the_block_cancels_its_queued_reminders(
    clock, block, anas_phone, anas_tablet, receivers, beat, worker
):
    beat()
    queued = deliveries()
    assert len(queued) == 2

    diary.cancel_procedure(block)
    clock.move_to(TWO_HOURS)

    assert worker() == {d.id: "cancelled" for d in queued}
    assert {d.status for d in deliveries()} == {DeliveryStatus.CANCELLED}
    clock.move_to(TWO_HOURS + timedelta(hours=1))
    beat()
    worker()
    assert len(deliveries()) == 2
    assert receivers.everything() == 0


def _run_days(clock, beat, worker, moments):
    """Beat ten seconds before each moment, the worker at it."""
    for moment in sorted(moments):
        clock.move_to(moment - 10 * SECONDS)
        beat()
        clock.move_to(moment)
        worker()


def test_ana_moving_to_new_york_after_day_three_moves_the_rest_to_ten_new_york_time(
    clock, ana, block, anas_phone, receivers, beat, worker
):
    london_days = [datetime(2026, 6, d, 9, 0, tzinfo=UTC) for d in (11, 12, 13)]  # 10:00 BST
    _run_days(clock, beat, worker, london_days)
    answer(block, london_days[0] + timedelta(minutes=10))  # she answered day 1 only
    assert checkin(block, "d3").status == CheckInStatus.DUE

    # At 13:00 in London on day 3 (08:00 in New York) she lands and changes her zone.
    clock.move_to(datetime(2026, 6, 13, 12, 0, tzinfo=UTC))
    diary.update_patient(ana, timezone="America/New_York")
    # ...and, settling in, lets reminders start at 07:30: a second re-plan of the same days.
    diary.update_patient(ana, quiet_end=time(7, 30))

    later = CheckIn.objects.filter(procedure=block, key__in=[f"d{d}" for d in range(4, 15)])
    for day in later:
        assert day.remind_at.astimezone(NEW_YORK).time() == time(10, 0)
    moments = {c.remind_at for c in later}
    moments |= {c.rereminder_at for c in CheckIn.objects.filter(procedure=block) if c.rereminder_at}
    # And beat keeps running every hour in between: nothing else may go out.
    start = datetime(2026, 6, 13, 12, 30, tzinfo=UTC)
    moments |= {start + timedelta(hours=h) for h in range(12 * 24)}
    _run_days(clock, beat, worker, {m for m in moments if m > start - timedelta(minutes=30)})

    sent = deliveries(purpose=Purpose.REMINDER, status=DeliveryStatus.SENT)
    by_day = {}
    for delivery in sent:
        by_day.setdefault(delivery.checkin.key, []).append(delivery.sent_at)
    assert sorted(by_day, key=lambda k: int(k[1:])) == [f"d{d}" for d in range(1, 15)]
    assert {k: v for k, v in by_day.items() if len(v) > 1} == {}
    assert [by_day[f"d{d}"][0].astimezone(LONDON).time() for d in (1, 2, 3)] == [time(10)] * 3
    assert {by_day[f"d{d}"][0].astimezone(NEW_YORK).time() for d in range(4, 15)} == {time(10)}
    assert by_day["d4"][0] == datetime(2026, 6, 14, 14, 0, tzinfo=UTC)


# --- Daylight saving and quiet hours ------------------------------------------------------


@pytest.mark.parametrize(
    ("performed_at", "expected_utc_hours"),
    [
        # Spring: the clocks go forward on Sunday 29 March 2026 (GMT → BST).
        (datetime(2026, 3, 27, 9, 0, tzinfo=UTC), [10, 9, 9]),
        # Autumn: back on Sunday 25 October 2026 (BST → GMT).
        (datetime(2026, 10, 23, 9, 0, tzinfo=UTC), [9, 10, 10]),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_ana_s_day_reminders_stay_at_ten_in_london_across_a_clock_change(
    clock, ana, anas_phone, receivers, beat, worker, performed_at, expected_utc_hours
):
    clock.move_to(performed_at)
    block = make_procedure(ana, performed_at=performed_at)
    days = [checkin(block, f"d{d}") for d in (1, 2, 3)]

    _run_days(clock, beat, worker, [d.remind_at for d in days])

    sent = [(d.checkin.key, d.sent_at) for d in deliveries(status=DeliveryStatus.SENT)]
    assert [key for key, _ in sent] == ["d1", "d2", "d3"]
    assert {at.astimezone(LONDON).time() for _, at in sent} == {time(10, 0)}
    assert [at.astimezone(UTC).hour for _, at in sent] == expected_utc_hours
    assert [p.at for p in receivers.pushes] == [at for _, at in sent]


def test_a_check_in_time_of_seven_inside_quiet_hours_is_reminded_at_eight(
    clock, ana, anas_phone, receivers, beat, worker
):
    diary.update_patient(ana, checkin_time=time(7, 0))
    block = make_procedure(ana, performed_at=BLOCK)
    day_one = checkin(block, "d1")
    assert day_one.due_at.astimezone(LONDON).time() == time(7, 0)

    seven, eight = day_one.due_at, datetime(2026, 6, 11, 7, 0, tzinfo=UTC)
    clock.move_to(seven)
    beat()
    worker()
    assert deliveries(checkin__key="d1") == []

    _run_days(clock, beat, worker, [eight])

    [reminder] = deliveries(checkin__key="d1")
    assert (reminder.status, reminder.sent_at) == (DeliveryStatus.SENT, eight)
    assert reminder.sent_at.astimezone(LONDON).time() == time(8, 0)


def test_an_evening_block_s_hourly_reminders_go_out_in_the_night_all_the_same(
    clock, ana, anas_phone, receivers, beat, worker
):
    evening = datetime(2026, 6, 10, 19, 0, tzinfo=UTC)  # 20:00 in London
    clock.move_to(evening)
    block = make_procedure(ana, performed_at=evening)
    night = [checkin(block, f"h{h}") for h in (3, 5, 8)]  # 23:00, 01:00 and 04:00 London

    _run_days(clock, beat, worker, [c.due_at for c in night])

    sent = deliveries(purpose=Purpose.REMINDER, status=DeliveryStatus.SENT)
    assert [(d.checkin.key, d.sent_at) for d in sent] == [(c.key, c.due_at) for c in night]
    assert [d.sent_at.astimezone(LONDON).time() for d in sent] == [time(23), time(1), time(4)]
