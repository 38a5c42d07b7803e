"""When a reminder goes, worked out without a database or a clock: minute-level check-ins at
their due time whatever the hour (the first hours are the diagnostic ones), day-level ones
held out of the patient's quiet hours (22:00-08:00 local unless she set others), and one
re-reminder halfway through the window, unless that lands in quiet hours or past the close.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.schedule import (
    AFTER_BLOCK,
    DAILY,
    ReminderPolicy,
    Step,
    default_steps,
    end_of_quiet_hours,
    in_quiet_hours,
    plan_checkins,
    reminder_times,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
DEFAULT = ReminderPolicy()
NO_QUIET = ReminderPolicy(quiet_start=None, quiet_end=None)
HOUR = timedelta(hours=1)


def london(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def plan(performed_at, *, checkin_time=time(10, 0), reminders=DEFAULT, tz="Europe/London"):
    planned = plan_checkins(
        performed_at=performed_at,
        steps=default_steps(),
        timezone=tz,
        checkin_time=checkin_time,
        steroid=False,
        reminders=reminders,
    )
    return {p.key: p for p in planned}


# --- Quiet hours --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(21, 59), False),
        (time(22, 0), True),
        (time(23, 30), True),
        (time(0, 0), True),
        (time(3, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
    ],
)
def test_default_quiet_hours_run_from_ten_at_night_to_eight_in_the_morning(local, quiet):
    moment = datetime.combine(datetime(2026, 6, 10).date(), local, tzinfo=LONDON)
    assert in_quiet_hours(moment, LONDON, DEFAULT) is quiet


def test_quiet_hours_are_the_patient_s_local_time_not_utc():
    # 22:30 UTC is 23:30 in London (quiet) and 18:30 in New York (not).
    moment = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    assert in_quiet_hours(moment, LONDON, DEFAULT)
    assert not in_quiet_hours(moment, NEW_YORK, DEFAULT)


def test_quiet_hours_within_one_day_do_not_wrap():
    siesta = ReminderPolicy(quiet_start=time(13, 0), quiet_end=time(15, 0))
    assert in_quiet_hours(london(2026, 6, 10, 14), LONDON, siesta)
    assert not in_quiet_hours(london(2026, 6, 10, 12, 59), LONDON, siesta)
    assert not in_quiet_hours(london(2026, 6, 10, 23), LONDON, siesta)
    assert end_of_quiet_hours(london(2026, 6, 10, 14), LONDON, siesta) == london(2026, 6, 10, 15)


def test_without_quiet_hours_nothing_is_quiet():
    for hour in range(24):
        assert not in_quiet_hours(london(2026, 6, 10, hour), LONDON, NO_QUIET)
        assert end_of_quiet_hours(london(2026, 6, 10, hour), LONDON, NO_QUIET) == london(
            2026, 6, 10, hour
        )


def test_late_evening_quiet_ends_at_eight_next_morning():
    assert end_of_quiet_hours(london(2026, 6, 10, 23), LONDON, DEFAULT) == london(2026, 6, 11, 8)


def test_small_hours_quiet_ends_at_eight_the_same_morning():
    assert end_of_quiet_hours(london(2026, 6, 11, 3), LONDON, DEFAULT) == london(2026, 6, 11, 8)


def test_outside_quiet_hours_the_moment_is_kept():
    assert end_of_quiet_hours(london(2026, 6, 11, 9), LONDON, DEFAULT) == london(2026, 6, 11, 9)


def test_quiet_ends_at_eight_local_on_the_morning_the_clocks_go_forward():
    # 23:00 GMT on Saturday 28 March; 08:00 on Sunday is BST, 07:00 UTC.
    ends = end_of_quiet_hours(london(2026, 3, 28, 23), LONDON, DEFAULT)
    assert ends == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert ends.astimezone(LONDON).time() == time(8, 0)


def test_quiet_ends_at_eight_local_on_the_morning_the_clocks_go_back():
    ends = end_of_quiet_hours(london(2026, 10, 24, 23), LONDON, DEFAULT)
    assert ends == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert ends.astimezone(LONDON).time() == time(8, 0)


# --- reminder_times -----------------------------------------------------------------------


def times(kind, due_at, window, policy=DEFAULT, tz=LONDON):
    return reminder_times(kind, due_at, due_at + window, tz, policy)


def test_a_minute_level_check_in_is_reminded_at_its_due_time_and_again_halfway():
    due = london(2026, 6, 10, 12)
    assert times(AFTER_BLOCK, due, timedelta(minutes=30)) == (
        due,
        due + timedelta(minutes=15),
    )


def test_a_minute_level_check_in_at_three_in_the_morning_is_never_held():
    due = london(2026, 6, 11, 3)
    assert times(AFTER_BLOCK, due, timedelta(minutes=30)) == (
        due,
        due + timedelta(minutes=15),
    )


def test_a_day_level_check_in_at_ten_is_reminded_at_ten_and_again_at_four():
    due = london(2026, 6, 11, 10)
    assert times(DAILY, due, 12 * HOUR) == (due, london(2026, 6, 11, 16))


def test_a_day_level_check_in_at_seven_is_reminded_at_eight_and_again_at_one():
    due = london(2026, 6, 11, 7)
    assert times(DAILY, due, 12 * HOUR) == (london(2026, 6, 11, 8), london(2026, 6, 11, 13))


def test_a_daily_check_in_at_eleven_at_night_is_reminded_at_eight_next_day():
    due = london(2026, 6, 11, 23)
    remind_at, again = times(DAILY, due, 12 * HOUR)  # open until 11:00 next morning
    assert remind_at == london(2026, 6, 12, 8)
    assert again is None  # halfway is 05:00, inside quiet hours


def test_a_daily_check_in_whose_window_closes_before_quiet_ends_gets_no_reminder():
    due = london(2026, 6, 11, 23)
    assert times(DAILY, due, 6 * HOUR) == (None, None)  # closes 05:00
    assert times(DAILY, due, 9 * HOUR) == (None, None)  # closes exactly at 08:00


def test_a_window_spanning_midnight_is_reminded_at_its_start_and_not_again_in_the_night():
    due = london(2026, 6, 11, 21)  # open until 09:00; halfway is 03:00
    assert times(DAILY, due, 12 * HOUR) == (due, None)


def test_a_window_spanning_midnight_is_reminded_again_before_quiet_hours_start():
    due = london(2026, 6, 11, 18)  # open until 04:00; halfway is 23:00: quiet
    assert times(DAILY, due, 10 * HOUR) == (due, None)
    due = london(2026, 6, 11, 17)  # open until 03:00; halfway is 22:00 sharp: quiet
    assert times(DAILY, due, 10 * HOUR) == (due, None)
    due = london(2026, 6, 11, 16)  # open until 02:00; halfway is 21:00
    assert times(DAILY, due, 10 * HOUR) == (due, london(2026, 6, 11, 21))


def test_without_quiet_hours_a_late_daily_check_in_is_reminded_at_once_and_in_the_night():
    due = london(2026, 6, 11, 23)
    assert times(DAILY, due, 12 * HOUR, NO_QUIET) == (due, london(2026, 6, 12, 5))


def test_a_re_reminder_that_would_come_no_later_than_the_reminder_is_dropped():
    # Due 02:00, reminded at 08:00 (end of quiet), halfway is 08:00 too: one reminder only.
    due = london(2026, 6, 11, 2)
    assert times(DAILY, due, 12 * HOUR) == (london(2026, 6, 11, 8), None)


def test_no_re_reminder_when_they_are_switched_off():
    policy = ReminderPolicy(rereminder_fraction=None)
    due = london(2026, 6, 11, 10)
    assert times(DAILY, due, 12 * HOUR, policy) == (due, None)
    assert times(AFTER_BLOCK, due, timedelta(minutes=30), policy) == (due, None)


def test_the_re_reminder_fraction_is_of_the_window():
    policy = ReminderPolicy(rereminder_fraction=0.75)
    due = london(2026, 6, 11, 10)
    assert times(DAILY, due, 12 * HOUR, policy) == (due, london(2026, 6, 11, 19))


# --- plan_checkins carries them -----------------------------------------------------------


BLOCK = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 in London


def test_every_planned_check_in_carries_its_reminder_times():
    planned = plan(BLOCK)

    for p in planned.values():
        expected = reminder_times(p.kind, p.due_at, p.closes_at, LONDON, DEFAULT)
        assert (p.remind_at, p.rereminder_at) == expected
    assert planned["h2"].remind_at == BLOCK + 2 * HOUR
    assert planned["h2"].rereminder_at == BLOCK + 2 * HOUR + timedelta(minutes=15)
    assert planned["d1"].remind_at == datetime(2026, 6, 11, 9, 0, tzinfo=UTC)
    assert planned["d1"].rereminder_at == datetime(2026, 6, 11, 15, 0, tzinfo=UTC)


def test_an_evening_block_s_hourly_reminders_go_through_the_night():
    planned = plan(london(2026, 6, 10, 18))

    for hours in range(2, 9):
        p = planned[f"h{hours}"]
        assert p.remind_at == p.due_at  # 20:00 … 02:00, none held
    assert planned["h8"].remind_at.astimezone(LONDON).time() == time(2, 0)
    assert planned["h8"].rereminder_at.astimezone(LONDON).time() == time(2, 15)


def test_a_check_in_time_of_seven_is_reminded_at_eight_every_day():
    planned = plan(BLOCK, checkin_time=time(7, 0))

    for day in range(1, 15):
        p = planned[f"d{day}"]
        assert p.due_at.astimezone(LONDON).time() == time(7, 0)
        assert p.remind_at.astimezone(LONDON).time() == time(8, 0)
        assert p.remind_at.date() == p.due_at.date()


def test_a_check_in_time_of_eleven_at_night_is_reminded_at_eight_the_next_morning():
    planned = plan(BLOCK, checkin_time=time(23, 0))

    d1 = planned["d1"]
    assert d1.due_at == datetime(2026, 6, 11, 22, 0, tzinfo=UTC)  # 23:00 BST
    assert d1.remind_at == datetime(2026, 6, 12, 7, 0, tzinfo=UTC)  # 08:00 BST
    assert d1.rereminder_at is None


def test_day_level_reminders_stay_at_ten_in_london_across_both_clock_changes():
    for performed_at, utc_hours in [
        (datetime(2026, 3, 27, 9, 0, tzinfo=UTC), [10, 9, 9]),
        (datetime(2026, 10, 23, 9, 0, tzinfo=UTC), [9, 10, 10]),
    ]:
        planned = plan(performed_at)
        days = [planned[f"d{d}"] for d in (1, 2, 3)]
        assert [p.remind_at.astimezone(LONDON).time() for p in days] == [time(10)] * 3
        assert [p.remind_at.hour for p in days] == utc_hours
        assert [p.rereminder_at.astimezone(LONDON).time() for p in days] == [time(16)] * 3


def test_a_new_york_patient_is_reminded_at_ten_new_york_time():
    planned = plan(BLOCK, tz="America/New_York")
    assert planned["d1"].remind_at == datetime(2026, 6, 11, 14, 0, tzinfo=UTC)


def test_custom_quiet_hours_hold_only_day_level_reminders():
    night_shift = ReminderPolicy(quiet_start=time(8, 0), quiet_end=time(16, 0))
    planned = plan(BLOCK, reminders=night_shift)  # block 10:00: h1-h5 fall in 08-16

    assert planned["h2"].remind_at == planned["h2"].due_at
    assert planned["d1"].remind_at.astimezone(LONDON).time() == time(16, 0)
    assert planned["d1"].rereminder_at is None  # 16:00 is when she is first reminded


def test_a_step_whose_window_is_all_quiet_is_planned_without_a_reminder():
    steps = [Step("night", DAILY, 4 * 60, "Night reading", day=1)]
    [planned] = plan_checkins(
        performed_at=BLOCK,
        steps=steps,
        timezone="Europe/London",
        checkin_time=time(23, 0),
        steroid=False,
        reminders=DEFAULT,
    )
    assert planned.due_at == datetime(2026, 6, 11, 22, 0, tzinfo=UTC)
    assert (planned.remind_at, planned.rereminder_at) == (None, None)
