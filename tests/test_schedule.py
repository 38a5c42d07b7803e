"""The diary's check-in schedule, as pure functions: a block in, due times out.

No database and no clock: every time is written out, so a daylight-saving change
is a date in the test, not a date on the calendar when the suite runs.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.schedule import AFTER_BLOCK, DAILY, Step, default_steps, local_wall_time, plan_checkins

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TEN = time(10, 0)


def plan(performed_at, *, timezone="Europe/London", checkin_time=TEN, steroid=False):
    return plan_checkins(
        performed_at=performed_at,
        steps=default_steps(),
        timezone=timezone,
        checkin_time=checkin_time,
        steroid=steroid,
    )


def by_key(planned):
    return {p.key: p for p in planned}


def local(moment, tz):
    return moment.astimezone(tz).replace(tzinfo=None)


# --- The default protocol -------------------------------------------------------


def test_default_protocol_has_four_quarter_hours_seven_hours_fourteen_days_and_two_steroid_days():
    steps = default_steps()
    keys = [s.key for s in steps]
    assert len(keys) == len(set(keys)) == 27
    assert [s.offset_minutes for s in steps if s.kind == AFTER_BLOCK] == [
        15,
        30,
        45,
        60,
        *(h * 60 for h in range(2, 9)),
    ]
    assert [s.day for s in steps if s.kind == DAILY and not s.steroid_only] == list(range(1, 15))
    assert [s.day for s in steps if s.steroid_only] == [21, 28]


def test_each_step_stays_open_for_its_window():
    windows = {s.key: s.window_minutes for s in default_steps()}
    assert {windows[k] for k in ("m15", "m30", "m45", "h1")} == {15}
    assert {windows[f"h{h}"] for h in range(2, 9)} == {30}
    assert {windows[f"d{d}"] for d in (*range(1, 15), 21, 28)} == {12 * 60}


def test_labels_say_when_the_reading_is_for_in_the_patients_words():
    labels = {s.key: s.label for s in default_steps()}
    assert labels["m15"] == "15 min after your block"
    assert labels["h1"] == "1 h after your block"
    assert labels["h8"] == "8 h after your block"
    assert labels["d1"] == "Day 1 after your block"
    assert labels["d28"] == "Day 28 after your block"


# --- Planning one block ----------------------------------------------------------


def test_a_block_without_steroid_plans_twenty_five_check_ins_earliest_first():
    block = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    planned = plan(block)
    assert len(planned) == 25
    assert [p.due_at for p in planned] == sorted(p.due_at for p in planned)
    assert {"d21", "d28"}.isdisjoint(p.key for p in planned)


def test_a_steroid_adds_days_21_and_28_at_the_check_in_time():
    block = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    planned = by_key(plan(block, steroid=True))
    assert len(planned) == 27
    assert local(planned["d21"].due_at, LONDON) == datetime(2026, 7, 1, 10, 0)
    assert local(planned["d28"].due_at, LONDON) == datetime(2026, 7, 8, 10, 0)
    assert planned["d28"].closes_at - planned["d28"].due_at == timedelta(hours=12)


def test_minute_steps_are_offsets_from_the_block_with_their_windows():
    block = datetime(2026, 6, 10, 9, 7, 30, tzinfo=UTC)
    planned = by_key(plan(block))
    assert planned["m15"].due_at == block + timedelta(minutes=15)
    assert planned["m15"].closes_at == block + timedelta(minutes=30)
    assert planned["h1"].due_at == block + timedelta(hours=1)
    assert planned["h1"].closes_at == block + timedelta(hours=1, minutes=15)
    assert planned["h2"].due_at == block + timedelta(hours=2)
    assert planned["h2"].closes_at == block + timedelta(hours=2, minutes=30)
    assert planned["h8"].due_at == block + timedelta(hours=8)
    assert planned["h8"].label == "8 h after your block"


def test_daily_steps_are_at_ten_local_on_each_following_day_open_twelve_hours():
    block = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 BST
    planned = by_key(plan(block))
    for day in range(1, 15):
        checkin = planned[f"d{day}"]
        assert local(checkin.due_at, LONDON) == datetime.combine(
            date(2026, 6, 10) + timedelta(days=day), TEN
        )
        assert checkin.closes_at - checkin.due_at == timedelta(hours=12)
        assert checkin.label == f"Day {day} after your block"


def test_every_planned_time_is_in_utc():
    planned = plan(datetime(2026, 6, 10, 11, 0, tzinfo=ZoneInfo("Europe/Paris")))
    assert {p.due_at.utcoffset() for p in planned} == {timedelta(0)}
    assert {p.closes_at.tzinfo for p in planned} == {UTC}


def test_a_custom_check_in_time_of_half_past_eight_is_kept_every_day():
    block = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
    planned = by_key(plan(block, checkin_time=time(8, 30)))
    assert {local(planned[f"d{d}"].due_at, LONDON).time() for d in range(1, 15)} == {time(8, 30)}
    assert planned["d1"].due_at == datetime(2026, 6, 11, 7, 30, tzinfo=UTC)


def test_a_naive_block_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(datetime(2026, 6, 10, 9, 0))


def test_an_unknown_step_kind_is_refused():
    steps = [Step("x1", "weekly", 60, "Weekly", day=1)]
    with pytest.raises(ValueError, match="weekly"):
        plan_checkins(
            performed_at=datetime(2026, 6, 10, 9, 0, tzinfo=UTC),
            steps=steps,
            timezone="Europe/London",
            checkin_time=TEN,
            steroid=False,
        )


# --- The patient's calendar day ----------------------------------------------------


def test_an_evening_block_in_new_york_has_day_one_on_the_next_new_york_day():
    # 21:00 EDT on 10 June is already 11 June in UTC: day 1 is still 11 June, locally.
    block = datetime(2026, 6, 10, 21, 0, tzinfo=NEW_YORK)
    assert block.astimezone(UTC).date() == date(2026, 6, 11)
    planned = by_key(plan(block, timezone="America/New_York"))
    assert local(planned["d1"].due_at, NEW_YORK) == datetime(2026, 6, 11, 10, 0)
    assert planned["d1"].due_at == datetime(2026, 6, 11, 14, 0, tzinfo=UTC)


def test_a_late_evening_block_in_london_has_day_one_the_next_morning():
    block = datetime(2026, 1, 20, 23, 50, tzinfo=UTC)  # 23:50 GMT
    planned = by_key(plan(block))
    assert planned["d1"].due_at == datetime(2026, 1, 21, 10, 0, tzinfo=UTC)
    assert planned["d1"].due_at - planned["h8"].due_at == timedelta(hours=2, minutes=10)


def test_the_day_is_the_patients_not_the_clinics_or_the_servers():
    block = datetime(2026, 6, 11, 2, 0, tzinfo=UTC)  # 22:00 EDT on 10 June, 03:00 BST on 11 June
    in_new_york = by_key(plan(block, timezone="America/New_York"))
    in_london = by_key(plan(block, timezone="Europe/London"))
    assert local(in_new_york["d1"].due_at, NEW_YORK) == datetime(2026, 6, 11, 10, 0)
    assert local(in_london["d1"].due_at, LONDON) == datetime(2026, 6, 12, 10, 0)


# --- Daylight saving -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "change_day", "utc_hour_before", "utc_hour_after"),
    [
        ("Europe/London", date(2026, 3, 29), 10, 9),  # GMT → BST
        ("Europe/London", date(2026, 10, 25), 9, 10),  # BST → GMT
        ("America/New_York", date(2026, 3, 8), 15, 14),  # EST → EDT
        ("America/New_York", date(2026, 11, 1), 14, 15),  # EDT → EST
    ],
)
def test_daily_check_ins_stay_at_ten_local_across_a_clock_change(
    zone, change_day, utc_hour_before, utc_hour_after
):
    tz = ZoneInfo(zone)
    # Block at noon local three days before the change: d2 is the day before, d3 the day of it.
    block_day = change_day - timedelta(days=3)
    block = datetime.combine(block_day, time(12, 0), tzinfo=tz)
    planned = by_key(plan(block, timezone=zone))
    before, on_the_day = planned["d2"], planned["d3"]
    assert local(before.due_at, tz) == datetime.combine(change_day - timedelta(days=1), TEN)
    assert local(on_the_day.due_at, tz) == datetime.combine(change_day, TEN)
    assert before.due_at.hour == utc_hour_before
    assert on_the_day.due_at.hour == utc_hour_after
    # 24 h of wall clock, but 23 or 25 h of real time.
    assert abs(on_the_day.due_at - before.due_at - timedelta(days=1)) == timedelta(hours=1)


def test_hourly_check_ins_count_real_hours_across_the_spring_change_in_london():
    # 00:30 GMT, given in London time: the clocks jump from 01:00 to 02:00 half an hour later.
    block = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    planned = by_key(plan(block))
    for hours in range(1, 9):
        assert planned[f"h{hours}"].due_at - block == timedelta(hours=hours), f"h{hours}"
    assert planned["h8"].due_at == datetime(2026, 3, 29, 8, 30, tzinfo=UTC)
    assert local(planned["h8"].due_at, LONDON) == datetime(2026, 3, 29, 9, 30)


def test_hourly_check_ins_count_real_hours_across_the_autumn_change_in_new_york():
    block = datetime(2026, 11, 1, 0, 30, tzinfo=NEW_YORK)  # 00:30 EDT; 02:00 EDT → 01:00 EST
    planned = by_key(plan(block, timezone="America/New_York"))
    assert [planned[f"h{h}"].due_at - block for h in range(1, 9)] == [
        timedelta(hours=h) for h in range(1, 9)
    ]


def test_a_check_in_time_skipped_by_spring_forward_lands_after_the_gap():
    # New York skips 02:00-03:00 on 8 March 2026; 02:30 that day does not exist.
    block = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)
    planned = by_key(plan(block, timezone="America/New_York", checkin_time=time(2, 30)))
    assert planned["d1"].due_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert local(planned["d1"].due_at, NEW_YORK) == datetime(2026, 3, 8, 3, 30)
    assert local(planned["d2"].due_at, NEW_YORK) == datetime(2026, 3, 9, 2, 30)


def test_local_wall_time_of_a_skipped_time_in_london_is_after_the_gap():
    moment = local_wall_time(date(2026, 3, 29), time(1, 30), LONDON)
    assert moment == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert local(moment, LONDON) == datetime(2026, 3, 29, 2, 30)


def test_local_wall_time_of_a_repeated_time_takes_the_first_one():
    # 01:30 happens twice in New York on 1 November 2026: first in EDT, then in EST.
    moment = local_wall_time(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert moment == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_local_wall_time_on_an_ordinary_day_is_the_zones_offset():
    assert local_wall_time(date(2026, 1, 15), TEN, NEW_YORK) == datetime(
        2026, 1, 15, 15, 0, tzinfo=UTC
    )
    assert local_wall_time(date(2026, 7, 15), TEN, LONDON) == datetime(
        2026, 7, 15, 9, 0, tzinfo=UTC
    )
