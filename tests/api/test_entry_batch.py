"""Ana's phone was offline: her entries go in one request when it is back, each answered
on its own, stored in the order she recorded them, and a red flag among them still pages."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from diary.models import DiaryEntry
from notifications.models import Alert

BATCH = "/api/v1/me/entries/batch/"


def ago(minutes: int) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def test_entries_sent_out_of_order_are_stored_in_the_order_recorded(as_ana, anas_block, entry_for):
    sent = [
        entry_for(anas_block, recorded_at=ago(30), pain_score=2),
        entry_for(anas_block, recorded_at=ago(90), pain_score=6),
        entry_for(anas_block, recorded_at=ago(60), pain_score=4),
    ]

    response = as_ana.post(BATCH, {"entries": sent}, format="json")

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["index"], r["client_id"], r["status"]) for r in results] == [
        (i, body["client_id"], 201) for i, body in enumerate(sent)
    ]
    assert [r["entry"]["pain_score"] for r in results] == [2, 6, 4]
    stored = DiaryEntry.objects.filter(procedure=anas_block).order_by("id")
    assert [e.pain_score for e in stored] == [6, 4, 2]  # oldest recorded first


def test_the_same_batch_sent_again_is_answered_200_and_stores_nothing_more(
    as_ana, anas_block, entry_for
):
    sent = [entry_for(anas_block, recorded_at=ago(m)) for m in (50, 40)]
    first = as_ana.post(BATCH, {"entries": sent}, format="json").json()["results"]

    again = as_ana.post(BATCH, {"entries": sent}, format="json").json()["results"]

    assert [r["status"] for r in again] == [200, 200]
    assert [r["entry"]["id"] for r in again] == [r["entry"]["id"] for r in first]
    assert DiaryEntry.objects.filter(procedure=anas_block).count() == 2


def test_one_bad_entry_is_answered_with_its_errors_and_costs_the_others_nothing(
    as_ana, anas_block, entry_for
):
    used = as_ana.post("/api/v1/me/entries/", entry_for(anas_block), format="json").json()
    sent = [
        entry_for(anas_block, recorded_at=ago(45)),
        entry_for(anas_block, pain_score=11),
        entry_for(anas_block, client_id=used["client_id"], pain_score=9),
        entry_for(anas_block, bowel_bladder="yes"),  # a misspelt safety answer
    ]

    results = as_ana.post(BATCH, {"entries": sent}, format="json").json()["results"]

    assert [r["status"] for r in results] == [201, 400, 409, 400]
    assert "pain_score" in results[1]["error"]["fields"]
    assert results[2]["error"]["code"] == "conflict"
    assert "client_id" in results[2]["error"]["fields"]
    assert "bowel_bladder" in results[3]["error"]["fields"]
    assert results[0]["error"] is None
    assert [r["entry"] is None for r in results] == [False, True, True, True]
    assert DiaryEntry.objects.filter(procedure=anas_block).count() == 2


def test_a_red_flag_recorded_an_hour_ago_still_pages_and_says_it_is_late(
    as_ana, anas_block, entry_for, as_cole
):
    sent = [
        entry_for(anas_block, recorded_at=ago(70)),
        entry_for(anas_block, recorded_at=ago(60), bowel_bladder_change=True),
    ]

    results = as_ana.post(BATCH, {"entries": sent}, format="json").json()["results"]

    assert results[1]["status"] == 201
    assert results[1]["entry"]["advice"]["level"] == "emergency"
    alert = Alert.objects.get(procedure=anas_block)
    assert alert.severity == "emergency"
    assert 60 * 60 - 5 <= alert.reported_late_seconds <= 60 * 60 + 60
    listed = as_cole.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert listed["reported_late_seconds"] == alert.reported_late_seconds


def test_an_entry_sent_at_once_is_not_marked_late(as_ana, anas_block, entry_for):
    body = entry_for(anas_block, bowel_bladder_change=True)

    assert as_ana.post("/api/v1/me/entries/", body, format="json").status_code == 201

    assert Alert.objects.get(procedure=anas_block).reported_late_seconds is None


def test_the_batchs_sent_at_corrects_a_phone_clock_a_day_slow(as_ana, anas_block, entry_for):
    slow = timedelta(days=1)
    recorded = timezone.now() - timedelta(minutes=30) - slow
    body = entry_for(anas_block, recorded_at=recorded.isoformat())

    sent_at = (timezone.now() - slow).isoformat()
    results = as_ana.post(BATCH, {"entries": [body], "sent_at": sent_at}, format="json").json()[
        "results"
    ]

    assert results[0]["status"] == 201, results
    assert results[0]["entry"]["clock_skew_seconds"] == pytest.approx(86400, abs=60)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"entries": []}, id="empty"),
        pytest.param({"entries": "not a list"}, id="not-a-list"),
        pytest.param({"entries": [7]}, id="not-an-object"),
        pytest.param({}, id="missing"),
        pytest.param({"entries": [{}] * 51}, id="more-than-50"),
    ],
)
def test_a_batch_that_is_not_a_list_of_1_to_50_entries_is_a_400(as_ana, anas_block, body):
    response = as_ana.post(BATCH, body, format="json")

    assert response.status_code == 400
    assert all(name.split(".")[0] == "entries" for name in response.json()["fields"])
    assert response.json()["fields"]


def test_an_unknown_key_beside_the_entries_is_refused(as_ana, anas_block, entry_for):
    body = {"entries": [entry_for(anas_block)], "entires": []}

    response = as_ana.post(BATCH, body, format="json")

    assert response.status_code == 400
    assert "entires" in response.json()["fields"]
    assert not DiaryEntry.objects.exists()


def test_ben_cannot_slip_an_entry_into_anas_block(as_ben, anas_block, entry_for):
    results = as_ben.post(
        BATCH, {"entries": [entry_for(anas_block, client_id=str(uuid.uuid4()))]}, format="json"
    ).json()["results"]

    assert results[0]["status"] == 400
    assert "procedure" in results[0]["error"]["fields"]
    assert not DiaryEntry.objects.exists()


def test_staff_and_strangers_have_no_batch(as_cole, anon, anas_block, entry_for):
    body = {"entries": [entry_for(anas_block)]}
    assert as_cole.post(BATCH, body, format="json").status_code == 404
    assert anon.post(BATCH, body, format="json").status_code == 401
