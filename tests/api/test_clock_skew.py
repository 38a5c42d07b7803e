"""A phone whose clock is wrong: its readings are placed, and triaged, at the time it meant.

The phone sends ``sent_at`` (its own clock at sending); the server measures the offset at
receipt and moves ``recorded_at`` by it when it is more than the tolerance.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from diary.clock import read_clock
from diary.models import DiaryEntry

ENTRIES = "/api/v1/me/entries/"
RECEIVED = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def post(client, body):
    return client.post(ENTRIES, body, format="json")


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def an_hour_after_the_block(anas_block):
    with time_machine.travel(anas_block.performed_at + timedelta(hours=1), tick=False):
        yield timezone.now()


# --- The pure measure --------------------------------------------------------------------


def test_a_clock_within_the_tolerance_is_measured_but_not_corrected():
    reading = read_clock(
        RECEIVED - timedelta(minutes=3),
        sent_at=RECEIVED - timedelta(seconds=90),
        received_at=RECEIVED,
        tolerance=120,
    )

    assert reading.recorded_at == RECEIVED - timedelta(minutes=3)
    assert (reading.skew_seconds, reading.phone_recorded_at) == (90, None)


def test_a_clock_past_the_tolerance_moves_the_reading_by_its_offset():
    phone_time = RECEIVED - timedelta(hours=24, minutes=10)

    reading = read_clock(
        phone_time, sent_at=RECEIVED - timedelta(hours=24), received_at=RECEIVED, tolerance=120
    )

    assert reading.recorded_at == RECEIVED - timedelta(minutes=10)
    assert (reading.skew_seconds, reading.phone_recorded_at) == (86_400, phone_time)


def test_a_clock_ahead_gives_a_negative_offset():
    reading = read_clock(
        RECEIVED + timedelta(hours=2),
        sent_at=RECEIVED + timedelta(hours=2),
        received_at=RECEIVED,
        tolerance=120,
    )

    assert (reading.recorded_at, reading.skew_seconds) == (RECEIVED, -7_200)


def test_without_sent_at_nothing_is_measured():
    reading = read_clock(RECEIVED, sent_at=None, received_at=RECEIVED, tolerance=120)

    assert reading.skew_seconds is None
    assert reading.recorded_at == RECEIVED and reading.phone_recorded_at is None


# --- Through the API ---------------------------------------------------------------------


def test_without_sent_at_a_day_slow_phone_cannot_be_told_from_a_reading_before_the_block(
    as_ana, anas_block, entry_for, an_hour_after_the_block
):
    """Why apps should send sent_at: without it the reading is kept as the phone says,
    a pre-block reading (shown as baseline, never as relief), with no offset measured."""
    a_day_slow = an_hour_after_the_block - timedelta(days=1)

    stored = post(as_ana, entry_for(anas_block, recorded_at=iso(a_day_slow))).json()

    assert stored["minutes_after_block"] == -23 * 60
    assert stored["clock_skew_seconds"] is None


def test_a_phone_a_day_slow_that_sends_its_clock_has_the_reading_placed_when_it_was_taken(
    as_ana, anas_block, entry_for, an_hour_after_the_block
):
    now = an_hour_after_the_block
    phone_now = now - timedelta(days=1)
    body = entry_for(
        anas_block,
        recorded_at=iso(phone_now - timedelta(minutes=5)),
        sent_at=iso(phone_now),
    )

    response = post(as_ana, body)

    assert response.status_code == 201, response.content
    stored = response.json()
    assert stored["minutes_after_block"] == 55
    assert stored["clock_skew_seconds"] == 86_400
    assert datetime.fromisoformat(stored["recorded_at"]) == now - timedelta(minutes=5)
    assert datetime.fromisoformat(stored["phone_recorded_at"]) == phone_now - timedelta(minutes=5)
    assert "sent_at" not in stored
    entry = DiaryEntry.objects.get()
    assert (entry.clock_skew_seconds, entry.recorded_at) == (86_400, now - timedelta(minutes=5))


def test_triage_reads_the_corrected_time(as_ana, anas_block, entry_for):
    """Numbness five hours after the block is persisting (beyond the 4 h window), even
    from a phone whose clock says it is the hour of the block."""
    now = anas_block.performed_at + timedelta(hours=5)
    phone_now = anas_block.performed_at
    with time_machine.travel(now, tick=False):
        slow = post(
            as_ana,
            entry_for(
                anas_block,
                recorded_at=iso(phone_now),
                sent_at=iso(phone_now),
                numbness="left_leg",
            ),
        ).json()

    assert [f["rule"] for f in slow["findings"]] == ["numbness_persisting"]
    assert slow["advice"]["level"] == "contact_clinic"


def test_a_phone_clock_ahead_is_not_refused_as_the_future(
    as_ana, anas_block, entry_for, an_hour_after_the_block
):
    phone_now = an_hour_after_the_block + timedelta(hours=3)

    response = post(
        as_ana, entry_for(anas_block, recorded_at=iso(phone_now), sent_at=iso(phone_now))
    )

    assert response.status_code == 201, response.content
    assert response.json()["clock_skew_seconds"] == -10_800
    assert response.json()["minutes_after_block"] == 60


def test_a_small_offset_keeps_the_phones_time(
    as_ana, anas_block, entry_for, an_hour_after_the_block
):
    phone_now = an_hour_after_the_block - timedelta(seconds=40)

    stored = post(
        as_ana, entry_for(anas_block, recorded_at=iso(phone_now), sent_at=iso(phone_now))
    ).json()

    assert stored["clock_skew_seconds"] == 40
    assert stored["phone_recorded_at"] is None
    assert datetime.fromisoformat(stored["recorded_at"]) == phone_now


def test_a_retry_measured_again_is_the_same_entry(as_ana, anas_block, entry_for):
    """The retry's clock offset comes out a little different; the entry is the same."""
    sent = anas_block.performed_at + timedelta(hours=1) - timedelta(days=1)
    body = entry_for(anas_block, recorded_at=iso(sent), sent_at=iso(sent))
    with time_machine.travel(anas_block.performed_at + timedelta(hours=1), tick=False):
        first = post(as_ana, body)
    with time_machine.travel(anas_block.performed_at + timedelta(hours=1, seconds=30), tick=False):
        retry = post(as_ana, {**body, "sent_at": iso(sent + timedelta(seconds=1))})

    assert (first.status_code, retry.status_code) == (201, 200), retry.content
    assert retry.json()["id"] == first.json()["id"]
    assert DiaryEntry.objects.count() == 1


def test_sent_at_without_an_offset_is_a_clear_error(as_ana, anas_block, entry_for):
    response = post(as_ana, entry_for(anas_block, sent_at="2026-12-03T10:00:00"))

    assert response.status_code == 400
    assert "sent_at" in response.json()["fields"]
