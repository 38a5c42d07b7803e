"""Clinic staff register a block, correct it, cancel it and read the diary it produced."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from diary import services
from diary.models import CheckIn, Procedure
from tests.factories import PatientFactory, StaffFactory, make_procedure

PROCEDURES = "/api/v1/procedures/"
NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
BLOCK = NOW - timedelta(hours=2)  # 10:00 in London


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def detail(procedure_id):
    return f"{PROCEDURES}{procedure_id}/"


def block_body(who, /, **overrides):
    body = {
        "patient": who.id,
        "kind": "diagnostic_mbb",
        "levels": "L4-L5",
        "side": "left",
        "anesthetic": "lidocaine",
        "concentration_percent": "2.00",
        "volume_ml_per_level": "0.50",
        "steroid": False,
        "performed_at": BLOCK.isoformat(),
        "baseline_pain": 8,
    }
    body.update(overrides)
    return body


def entry_body(block, **overrides):
    body = {
        "client_id": str(uuid.uuid4()),
        "procedure": block.id,
        "recorded_at": NOW.isoformat(),
        "pain_score": 2,
    }
    body.update(overrides)
    return body


def answer(block, recorded_at, pain_score=2):
    services.record_entry(
        patient=block.patient,
        data={
            "client_id": uuid.uuid4(),
            "procedure": block,
            "recorded_at": recorded_at,
            "pain_score": pain_score,
        },
    )


def db_checkins(block_id):
    return {c.key: c for c in CheckIn.objects.filter(procedure_id=block_id)}


# --- Registering a block ------------------------------------------------------------


def test_dr_cole_registers_ana_s_block_and_sees_its_check_ins(as_cole, ana, dr_cole):
    response = as_cole.post(PROCEDURES, block_body(ana, proceduralist=dr_cole.id), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "performed"
    assert body["patient"] == ana.id
    assert body["proceduralist"] == dr_cole.id
    assert len(body["checkins"]) == 25
    labels = [c["label"] for c in body["checkins"]]
    assert labels[0] == "15 min after your block"
    assert labels[-1] == "Day 14 after your block"
    statuses = {c["label"]: c["status"] for c in body["checkins"]}
    assert statuses["15 min after your block"] == "missed"
    # From the clock at read time: the 2 h check-in opened 5 min ago, so it is due now.
    assert statuses["2 h after your block"] == "due"
    assert statuses["3 h after your block"] == "upcoming"
    assert Procedure.objects.get(pk=body["id"]).checkins.count() == 25


def test_a_block_with_a_steroid_has_twenty_seven_check_ins(as_cole, ana):
    response = as_cole.post(PROCEDURES, block_body(ana, steroid=True), format="json")
    assert response.status_code == 201
    labels = [c["label"] for c in response.json()["checkins"]]
    assert len(labels) == 27
    assert labels[-2:] == ["Day 21 after your block", "Day 28 after your block"]


def test_a_block_booked_for_next_week_is_planned(as_cole, ana):
    next_week = (NOW + timedelta(days=7)).isoformat()
    response = as_cole.post(PROCEDURES, block_body(ana, performed_at=next_week), format="json")
    assert response.json()["status"] == "planned"
    assert {c["status"] for c in response.json()["checkins"]} == {"upcoming"}


def test_a_block_time_given_with_a_paris_offset_is_the_same_instant(as_cole, ana):
    response = as_cole.post(
        PROCEDURES, block_body(ana, performed_at="2026-06-10T11:00:00+02:00"), format="json"
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json()["performed_at"]) == BLOCK
    due = {c["label"]: datetime.fromisoformat(c["due_at"]) for c in response.json()["checkins"]}
    assert due["8 h after your block"] == BLOCK + timedelta(hours=8)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("l5-s1, L4-L5", "L4-L5,L5-S1"),
        ("L3-L4,L4-L5,L5-S1", "L3-L4,L4-L5,L5-S1"),
        (" l4-l5 ", "L4-L5"),
        ("L5-S1,L5-S1", "L5-S1"),
    ],
)
def test_levels_are_written_the_standard_way_in_anatomical_order(as_cole, ana, typed, stored):
    response = as_cole.post(PROCEDURES, block_body(ana, levels=typed), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["levels"] == stored
    assert Procedure.objects.get(pk=response.json()["id"]).levels == stored


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("levels", "L6-L7"),
        ("levels", "L4-L5, C5-C6"),
        ("levels", ""),
        ("levels", " , "),
        ("side", "both"),
        ("kind", "epidural"),
        ("anesthetic", "ropivacaine"),
        ("baseline_pain", 11),
        ("baseline_pain", -1),
        ("baseline_pain", "8"),
        ("concentration_percent", "0"),
        ("volume_ml_per_level", "-0.5"),
        ("performed_at", "2026-06-10T09:00:00"),
        ("performed_at", "yesterday"),
        ("steroid", "no"),
        ("status", "cancelled"),
        ("status", "done"),
        ("patient", 999999),
    ],
)
def test_a_wrong_value_is_refused_naming_its_field(as_cole, ana, field, value):
    response = as_cole.post(PROCEDURES, block_body(ana, **{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Procedure.objects.exists()


def test_a_naive_block_time_is_refused_as_ambiguous(as_cole, ana):
    response = as_cole.post(
        PROCEDURES, block_body(ana, performed_at="2026-06-10T09:00:00"), format="json"
    )
    assert "UTC offset" in response.json()["fields"]["performed_at"][0]


def test_the_proceduralist_must_be_staff_of_the_clinic(as_cole, ana, omar):
    response = as_cole.post(PROCEDURES, block_body(ana, proceduralist=omar.id), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["proceduralist"]


def test_a_block_for_a_patient_whose_diary_ended_is_refused(as_cole, ana):
    services.update_patient(ana, status="ended")
    response = as_cole.post(PROCEDURES, block_body(ana), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["patient"]
    assert not Procedure.objects.exists()


def test_an_unknown_field_is_refused(as_cole, ana):
    response = as_cole.post(PROCEDURES, block_body(ana, dose="lots"), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["dose"]


# --- Listing and reading ----------------------------------------------------------------


def test_nurse_nia_lists_north_s_blocks_newest_first_without_check_ins(as_nia, ana, ben):
    older = make_procedure(ana, performed_at=BLOCK - timedelta(days=20))
    newer = make_procedure(ben, performed_at=BLOCK)
    body = as_nia.get(PROCEDURES).json()
    assert body["count"] == 2
    assert [p["id"] for p in body["results"]] == [newer.id, older.id]
    assert "checkins" not in body["results"][0]


def test_blocks_can_be_filtered_by_patient_and_status(as_nia, ana, ben):
    anas = make_procedure(ana, performed_at=BLOCK)
    bens = make_procedure(ben, performed_at=BLOCK)
    services.cancel_procedure(bens)
    assert [p["id"] for p in as_nia.get(PROCEDURES, {"patient": ana.id}).json()["results"]] == [
        anas.id
    ]
    cancelled = as_nia.get(PROCEDURES, {"status": "cancelled"}).json()["results"]
    assert [p["id"] for p in cancelled] == [bens.id]


def test_blocks_are_paginated(as_nia, ana):
    for days in range(3):
        make_procedure(ana, performed_at=BLOCK - timedelta(days=days))
    page = as_nia.get(PROCEDURES, {"page_size": 2}).json()
    assert (page["count"], len(page["results"])) == (3, 2)
    assert page["next"] is not None
    last = as_nia.get(PROCEDURES, {"page_size": 2, "page": 2}).json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_dr_cole_reads_a_block_with_its_check_ins(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    response = as_cole.get(detail(block.id))
    assert response.status_code == 200
    assert len(response.json()["checkins"]) == 25
    assert response.json()["levels"] == "L4-L5"


# --- Correcting a block -------------------------------------------------------------------


def test_correcting_the_time_re_plans_only_what_ana_has_not_answered(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    answer(block, NOW + timedelta(minutes=5))  # answers the 2 h check-in
    before = db_checkins(block.id)
    corrected = BLOCK + timedelta(minutes=30)

    response = as_cole.patch(
        detail(block.id), {"performed_at": corrected.isoformat()}, format="json"
    )

    assert response.status_code == 200, response.json()
    after = db_checkins(block.id)
    assert after["h2"].status == "answered"
    assert after["h2"].due_at == before["h2"].due_at
    assert after["h3"].due_at == corrected + timedelta(hours=3)
    assert after["m15"].due_at == corrected + timedelta(minutes=15)
    assert {c.id for c in after.values()} == {c.id for c in before.values()}
    shown = {c["id"]: c for c in response.json()["checkins"]}
    assert datetime.fromisoformat(shown[after["h3"].id]["due_at"]) == after["h3"].due_at
    assert datetime.fromisoformat(response.json()["performed_at"]) == corrected


def test_correcting_the_levels_keeps_every_check_in_as_it_was(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    before = {(c.id, c.due_at, c.status) for c in db_checkins(block.id).values()}
    response = as_cole.patch(detail(block.id), {"levels": "l5-s1,l4-l5"}, format="json")
    assert response.status_code == 200
    assert response.json()["levels"] == "L4-L5,L5-S1"
    assert {(c.id, c.due_at, c.status) for c in db_checkins(block.id).values()} == before


def test_removing_the_steroid_cancels_days_21_and_28(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK, steroid=True)
    response = as_cole.patch(detail(block.id), {"steroid": False}, format="json")
    assert response.status_code == 200
    after = db_checkins(block.id)
    assert (after["d21"].status, after["d28"].status) == ("cancelled", "cancelled")
    assert after["d14"].status == "upcoming"


def test_a_wrong_level_on_a_correction_is_refused(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    response = as_cole.patch(detail(block.id), {"levels": "L9-L10"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["levels"]
    block.refresh_from_db()
    assert block.levels == "L4-L5"


def test_a_block_cannot_be_moved_to_another_patient(as_cole, ana, ben):
    block = make_procedure(ana, performed_at=BLOCK)
    response = as_cole.patch(detail(block.id), {"patient": ben.id}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["patient"]
    block.refresh_from_db()
    assert block.patient == ana


def test_a_block_is_not_cancelled_by_a_correction(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    response = as_cole.patch(detail(block.id), {"status": "cancelled"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]
    block.refresh_from_db()
    assert block.status == "performed"
    assert db_checkins(block.id)["d1"].status == "upcoming"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_blocks_are_not_replaced_or_deleted_through_the_api(as_cole, ana, method):
    block = make_procedure(ana, performed_at=BLOCK)
    response = getattr(as_cole, method)(detail(block.id), block_body(ana), format="json")
    assert response.status_code == 405
    assert Procedure.objects.filter(pk=block.pk).exists()


# --- Cancelling a block ------------------------------------------------------------------


def test_cancelling_ana_s_block_closes_its_open_check_ins(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    answer(block, NOW + timedelta(minutes=5))
    response = as_cole.post(f"{detail(block.id)}cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    shown = {c["label"]: c["status"] for c in response.json()["checkins"]}
    assert shown["2 h after your block"] == "answered"
    assert shown["15 min after your block"] == "missed"
    assert shown["3 h after your block"] == "cancelled"
    assert {s for label, s in shown.items() if label.startswith("Day")} == {"cancelled"}


def test_after_a_cancel_ana_s_entries_for_that_block_are_refused(as_cole, as_ana, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    as_cole.post(f"{detail(block.id)}cancel/")
    response = as_ana.post("/api/v1/me/entries/", entry_body(block), format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["procedure"]
    assert not block.entries.exists()


def test_a_cancelled_block_cannot_be_corrected(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    as_cole.post(f"{detail(block.id)}cancel/")
    response = as_cole.patch(detail(block.id), {"performed_at": NOW.isoformat()}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]
    block.refresh_from_db()
    assert block.performed_at == BLOCK


def test_cancelling_twice_answers_the_same(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    first = as_cole.post(f"{detail(block.id)}cancel/")
    second = as_cole.post(f"{detail(block.id)}cancel/")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["checkins"] == second.json()["checkins"]


def test_cancel_is_a_post(as_cole, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    assert as_cole.get(f"{detail(block.id)}cancel/").status_code == 405
    block.refresh_from_db()
    assert block.status == "performed"


# --- The block's diary ---------------------------------------------------------------------


def test_dr_cole_reads_ana_s_entries_in_the_order_she_recorded_them(as_cole, as_ana, ana):
    block = make_procedure(ana, performed_at=BLOCK)
    for minutes, score in [(50, 1), (-30, 8), (20, 3)]:
        recorded = (BLOCK + timedelta(minutes=minutes)).isoformat()
        response = as_ana.post(
            "/api/v1/me/entries/",
            entry_body(block, recorded_at=recorded, pain_score=score),
            format="json",
        )
        assert response.status_code == 201, response.json()

    response = as_cole.get(f"{detail(block.id)}entries/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [e["pain_score"] for e in body["results"]] == [8, 3, 1]
    assert [e["minutes_after_block"] for e in body["results"]] == [-30, 20, 50]
    assert [e["relief_percent"] for e in body["results"]] == [0.0, 62.5, 87.5]


def test_a_block_s_entries_are_only_its_own_and_paginated(as_cole, ana, ben):
    anas = make_procedure(ana, performed_at=BLOCK)
    bens = make_procedure(ben, performed_at=BLOCK)
    for minutes in (10, 20, 30):
        answer(anas, BLOCK + timedelta(minutes=minutes))
    answer(bens, BLOCK + timedelta(minutes=10))
    page = as_cole.get(f"{detail(anas.id)}entries/", {"page_size": 2}).json()
    assert (page["count"], len(page["results"])) == (3, 2)
    assert {e["procedure"] for e in page["results"]} == {anas.id}
    assert page["next"] is not None


def test_another_clinic_s_staff_is_not_a_proceduralist_here(as_cole, ana, south):
    stranger = StaffFactory(user__username="sam", clinic=south).user
    PatientFactory(clinic=south)
    response = as_cole.post(PROCEDURES, block_body(ana, proceduralist=stranger.id), format="json")
    assert list(response.json()["fields"]) == ["proceduralist"]
