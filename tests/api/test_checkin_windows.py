"""Check-in windows (CLINICAL.md v2): a check-in opens a little before it is due, a reading
before then answers nothing, and its status is the clock's, whatever beat has done."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from diary.models import CheckInStatus, DiaryEntry
from tests.factories import make_procedure

CHECKINS = "/api/v1/me/checkins/"
ENTRIES = "/api/v1/me/entries/"
BLOCK = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # London, GMT


@pytest.fixture
def clock():
    with time_machine.travel(BLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def block(clock, ana, dr_cole):
    return make_procedure(ana, proceduralist=dr_cole, performed_at=BLOCK)


def checkin(client, key, block):
    found = {c["id"]: c for c in client.get(CHECKINS, {"page_size": 200}).json()["results"]}
    return found[block.checkins.get(key=key).pk]


def test_every_check_in_opens_five_minutes_early_in_the_first_hours_and_an_hour_on_days(
    as_ana, block
):
    m30 = checkin(as_ana, "m30", block)
    d1 = checkin(as_ana, "d1", block)
    assert m30["opens_at"] == "2026-03-02T09:25:00Z"
    assert m30["due_at"] == "2026-03-02T09:30:00Z"
    assert d1["opens_at"] == "2026-03-03T09:00:00Z"  # due 10:00 London
    assert (m30["kind"], m30["follow_up"]) == ("scheduled", False)


@pytest.mark.parametrize(
    ("minutes", "status"),
    [(24, "upcoming"), (25, "due"), (44, "due"), (45, "missed")],
)
def test_the_status_comes_from_the_clock_at_read_time_between_beat_ticks(
    as_ana, block, clock, minutes, status
):
    clock.move_to(BLOCK + timedelta(minutes=minutes))  # no tick has run: stored "upcoming"
    assert checkin(as_ana, "m30", block)["status"] == status
    listed = as_ana.get(CHECKINS, {"status": status, "page_size": 200}).json()["results"]
    assert "30 min after your block" in [c["label"] for c in listed]
    assert block.checkins.get(key="m30").status == CheckInStatus.UPCOMING


def test_a_reading_at_minute_8_answers_no_check_in_and_is_kept_as_unscheduled(
    as_ana, block, clock, entry_for
):
    clock.move_to(BLOCK + timedelta(minutes=8))
    response = as_ana.post(ENTRIES, entry_for(block), format="json")

    assert response.status_code == 201
    assert response.json()["checkin"] is None
    assert DiaryEntry.objects.get().checkin_id is None
    assert block.checkins.get(key="m15").status == CheckInStatus.UPCOMING


def test_a_reading_just_after_a_check_in_opens_answers_it(as_ana, block, clock, entry_for):
    clock.move_to(BLOCK + timedelta(minutes=11))
    response = as_ana.post(ENTRIES, entry_for(block), format="json")

    m15 = block.checkins.get(key="m15")
    assert response.json()["checkin"] == m15.id
    m15.refresh_from_db()
    assert m15.status == CheckInStatus.ANSWERED


def test_numbness_inside_the_window_adds_a_follow_up_that_asks_still_numb_first(
    as_ana, block, clock, entry_for, ana
):
    clock.move_to(BLOCK + timedelta(minutes=30))
    body = entry_for(block, numbness="left_leg", weakness="left_leg", can_lift_heel=True)
    assert as_ana.post(ENTRIES, body, format="json").status_code == 201

    h4 = checkin(as_ana, "h4", block)
    assert h4["follow_up"] is True
    first = h4["questions"][0]
    assert first["id"] == "still_numb_or_weak"
    assert first["text"] == "Is your leg still numb or weak? Can you lift your heel off the bed?"
    assert first["fields"] == ["numbness", "weakness", "can_lift_heel"]
    m45 = checkin(as_ana, "m45", block)
    assert [q["id"] for q in m45["questions"]][:1] == ["pain_score"]

    ana.language = "es"
    ana.save(update_fields=["language"])
    in_spanish = checkin(as_ana, "h4", block)
    assert in_spanish["questions"][0]["text"].startswith(
        "¿Sigue teniendo la pierna dormida o débil?"
    )
    assert in_spanish["label"] == "4 h después del bloqueo"


def test_a_follow_up_check_in_of_its_own_says_so(as_ana, ana, dr_cole, clock, entry_for):
    """A protocol with no reading at 4 h: triage adds one, of kind follow_up."""
    block = make_procedure(ana, proceduralist=dr_cole, performed_at=BLOCK)
    block.checkins.filter(key="h4").delete()
    clock.move_to(BLOCK + timedelta(hours=1))
    body = entry_for(block, numbness="left_leg")
    assert as_ana.post(ENTRIES, body, format="json").status_code == 201

    added = block.checkins.get(key="followup")
    shown = checkin(as_ana, "followup", block)
    assert (shown["kind"], shown["follow_up"]) == ("follow_up", True)
    assert shown["opens_at"] == (added.due_at - timedelta(minutes=5)).isoformat().replace(
        "+00:00", "Z"
    )
