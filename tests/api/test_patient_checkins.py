"""Ana's check-ins: what the app asks of her, and how they move with the clock."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.conftest import advance_clock
from tests.factories import make_procedure

pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")

CHECKINS = "/api/v1/me/checkins/"
# A Monday in March, before the clocks change in London (GMT = UTC).
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def labels(client, status):
    response = client.get(CHECKINS, {"status": status, "page_size": 200})
    assert response.status_code == 200, response.content
    return [c["label"] for c in response.json()["results"]]


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def block_65_minutes_ago(clock, ana, dr_cole, as_ana, entry_for):
    """Ana's block at 10:55; at noon she has answered 15 min (offline, sent late),
    missed 30 and 45 min, and the 1 h check-in is due."""
    block = make_procedure(ana, proceduralist=dr_cole, performed_at=NOON - timedelta(minutes=65))
    late = entry_for(block, recorded_at=(NOON - timedelta(minutes=40)).isoformat())
    assert as_ana.post("/api/v1/me/entries/", late, format="json").status_code == 201
    advance_clock()
    return block


def test_each_checkin_shows_when_it_is_due_and_when_it_closes(as_ana, anas_block):
    response = as_ana.get(CHECKINS)

    assert response.status_code == 200
    first = response.json()["results"][0]
    assert {"id", "procedure", "due_at", "closes_at", "status", "label"} <= set(first)
    assert first["procedure"] == anas_block.id
    assert first["label"] == "15 min after your block"
    due_at = anas_block.performed_at + timedelta(minutes=15)
    assert first["due_at"] == due_at.isoformat().replace("+00:00", "Z")
    assert first["closes_at"] == (due_at + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("answered", ["15 min after your block"]),
        ("missed", ["30 min after your block", "45 min after your block"]),
        ("due", ["1 h after your block"]),
    ],
)
def test_ana_filters_her_checkins_by_status(as_ana, block_65_minutes_ago, status, expected):
    assert labels(as_ana, status) == expected


def test_the_upcoming_checkins_are_the_rest_of_the_hours_and_the_fourteen_days(
    as_ana, block_65_minutes_ago
):
    upcoming = labels(as_ana, "upcoming")

    assert upcoming[:7] == [f"{h} h after your block" for h in range(2, 9)]
    assert upcoming[7:] == [f"Day {d} after your block" for d in range(1, 15)]


def test_ben_filtering_by_status_sees_none_of_anas_checkins(as_ben, block_65_minutes_ago):
    for status in ("upcoming", "due", "answered", "missed"):
        assert labels(as_ben, status) == []


@pytest.mark.parametrize("status", ["late", "DUE", "due,missed", "due\x00"])
def test_an_unknown_status_filter_is_refused_naming_the_parameter(as_ana, anas_block, status):
    response = as_ana.get(CHECKINS, {"status": status})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]


def test_checkins_move_from_upcoming_to_due_to_missed_as_time_passes(clock, ana, as_ana):
    make_procedure(ana, performed_at=NOON)
    assert labels(as_ana, "due") == []
    assert len(labels(as_ana, "upcoming")) == 4 + 7 + 14

    clock.shift(timedelta(minutes=16))
    advance_clock()
    assert labels(as_ana, "due") == ["15 min after your block"]
    assert labels(as_ana, "missed") == []

    clock.shift(timedelta(minutes=15))  # 12:31: the 15 min window closed at 12:30
    advance_clock()
    assert labels(as_ana, "missed") == ["15 min after your block"]
    assert labels(as_ana, "due") == ["30 min after your block"]


def test_an_answered_checkin_stays_answered_when_its_window_closes(clock, ana, as_ana, entry_for):
    block = make_procedure(ana, performed_at=NOON)
    clock.shift(timedelta(minutes=16))
    advance_clock()
    answer = entry_for(block)
    assert as_ana.post("/api/v1/me/entries/", answer, format="json").status_code == 201

    clock.shift(timedelta(hours=1))
    advance_clock()

    assert labels(as_ana, "answered") == ["15 min after your block"]
    assert "15 min after your block" not in labels(as_ana, "missed")


def test_checkins_come_a_page_at_a_time(as_ana, anas_block):
    first = as_ana.get(CHECKINS, {"page_size": 1}).json()

    assert first["count"] == anas_block.checkins.count()
    assert len(first["results"]) == 1
    assert "page=2" in first["next"]
    second = as_ana.get(first["next"]).json()
    assert second["results"][0]["id"] != first["results"][0]["id"]
