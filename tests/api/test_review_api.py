"""Dr Cole reviews Ana's blocks: the diagnostic response of one block and RFA readiness.

Ana's diaries go in through the phone's own endpoint, the way the app sends them, some
readings late (recorded offline, sent hours afterwards). Omar of South sees nothing.
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from diary import review, rulesets
from diary.models import Patient, Procedure
from tests.factories import make_procedure

API = "/api/v1/"
# Rules v2: the provisional state, pre-block readings, and the baseline recorded with the block.
V2_FIELDS = {
    "leaning",
    "provisional_until_minutes",
    "still_due",
    "still_due_by_minutes",
    "pre_block_readings",
    "baseline_disability",
    "usual_painful_activity",
}
ANA_TEXTBOOK = "15:2 30:1+ 45:1 60:1 120:1 180:3 240:6"  # baseline 8: peak 87.5 % at 30 min
RESPONSE_FIELDS = {
    "baseline_pain",
    "threshold_percent",
    "expected_window_minutes",
    "readings",
    "peak_relief_percent",
    "peak_at_minutes",
    "minutes_at_or_above_threshold",
    "verdict",
    "reasons",
    "relief_beyond_window",
    "function_improved",
    "relief_end_observed",
    *V2_FIELDS,
}


def send_diary(client, block, text):
    """Post ``"15:2 30:1+ ..."`` (minutes:pain, + or - for the activity) in the order written."""
    for item in text.split():
        ok = {"+": True, "-": False}.get(item[-1])
        minutes, pain = item.rstrip("+-").split(":")
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": block.id,
            "recorded_at": (block.performed_at + timedelta(minutes=int(minutes))).isoformat(),
            "pain_score": int(pain),
        }
        if ok is not None:
            body |= {"activity": "bending to tie shoes", "activity_ok": ok}
        response = client.post(API + "me/entries/", body, format="json")
        assert response.status_code == 201, response.content


@pytest.fixture
def anas_morning_block(ana, dr_cole):
    """Ana's lidocaine block this morning, ten hours ago, baseline pain 8."""
    return make_procedure(
        ana, proceduralist=dr_cole, performed_at=timezone.now() - timedelta(hours=10)
    )


def response_of(client, block):
    return client.get(API + f"procedures/{block.id}/response/")


# --- One block --------------------------------------------------------------------------


def test_dr_cole_reads_ana_s_positive_lidocaine_block(as_ana, as_cole, anas_morning_block):
    send_diary(as_ana, anas_morning_block, ANA_TEXTBOOK)
    response = response_of(as_cole, anas_morning_block)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == RESPONSE_FIELDS
    assert {k: body[k] for k in V2_FIELDS} == {
        "leaning": None,
        "provisional_until_minutes": None,
        "still_due": 0,
        "still_due_by_minutes": None,
        "pre_block_readings": [],
        "baseline_disability": None,
        "usual_painful_activity": "",
    }
    assert {k: body[k] for k in RESPONSE_FIELDS - {"readings", "reasons", *V2_FIELDS}} == {
        "baseline_pain": 8,
        "threshold_percent": 80,
        "expected_window_minutes": 180,
        "peak_relief_percent": 87.5,
        "peak_at_minutes": 30,
        "minutes_at_or_above_threshold": 90,
        "verdict": "positive",
        "relief_beyond_window": False,
        "function_improved": True,
        "relief_end_observed": True,
    }
    assert body["readings"][:2] == [
        {"minutes_after_block": 15, "pain_score": 2, "relief_percent": 75.0, "activity_ok": None},
        {"minutes_after_block": 30, "pain_score": 1, "relief_percent": 87.5, "activity_ok": True},
    ]
    assert body["reasons"] == [
        "peak 87.5 % relief at 30 min, ≥ 80 % for 1 h 30 min, within the expected lidocaine "
        "window (3 h)",
        "could do a previously painful activity at 30 min",
    ]


def test_readings_sent_late_from_offline_count_at_the_time_they_were_recorded(
    as_ana, as_cole, anas_morning_block
):
    # The phone was offline for the first hour: 45 and 60 min arrive last, hours late.
    send_diary(as_ana, anas_morning_block, "15:2 30:1+ 120:1 180:3 240:6 45:1 60:1")
    body = response_of(as_cole, anas_morning_block).json()
    minutes = [r["minutes_after_block"] for r in body["readings"]]
    assert minutes == [15, 30, 45, 60, 120, 180, 240]
    assert (body["verdict"], body["minutes_at_or_above_threshold"]) == ("positive", 90)


def test_a_reading_before_the_block_is_left_out_and_said_so(as_ana, as_cole, anas_morning_block):
    send_diary(as_ana, anas_morning_block, "-30:8 15:1 30:1 60:1")
    body = response_of(as_cole, anas_morning_block).json()
    assert [r["minutes_after_block"] for r in body["readings"]] == [15, 30, 60]
    assert body["reasons"][-1] == "1 reading before the block not counted"


def test_a_block_with_no_diary_yet_is_indeterminate(as_cole, anas_block):
    body = response_of(as_cole, anas_block).json()
    assert (body["verdict"], body["readings"], body["peak_relief_percent"]) == (
        "provisional",
        [],
        None,
    )
    assert body["leaning"] == "indeterminate"
    assert body["reasons"][1:] == [
        "no reading in the expected lidocaine window (3 h); at least 3 needed",
        "no reading in the first hour",
    ]


def test_north_s_50_percent_threshold_turns_ana_s_62_percent_relief_positive(
    as_ana, as_cole, anas_morning_block, north, dr_cole
):
    send_diary(as_ana, anas_morning_block, "15:3 30:3 60:3 120:4")
    before = response_of(as_cole, anas_morning_block).json()
    assert (before["threshold_percent"], before["verdict"]) == (80, "negative")

    rulesets.set_overrides(north, {"positive_relief_percent": 50}, by=dr_cole)
    after = response_of(as_cole, anas_morning_block).json()
    assert (after["threshold_percent"], after["verdict"]) == (50, "positive")
    assert after["reasons"][0].startswith("peak 62.5 % relief at 15 min, ≥ 50 % for 1 h 45 min")


def test_a_bupivacaine_block_is_read_against_the_bupivacaine_window(as_ana, as_cole, ana):
    block = make_procedure(
        ana, anesthetic="bupivacaine", performed_at=timezone.now() - timedelta(hours=9)
    )
    send_diary(as_ana, block, "15:1 30:1 60:1 120:1 240:1 360:1 480:6")
    body = response_of(as_cole, block).json()
    assert (body["expected_window_minutes"], body["verdict"]) == (480, "positive")
    assert body["minutes_at_or_above_threshold"] == 345


# --- RFA readiness ----------------------------------------------------------------------


def test_ana_is_ready_after_a_positive_lidocaine_and_a_longer_bupivacaine_block(
    as_ana, as_cole, ana
):
    # A fixed day, so the dates of service (London time) do not depend on when this runs.
    with time_machine.travel(datetime(2025, 6, 15, 12, 0, tzinfo=UTC), tick=False):
        first = make_procedure(ana, performed_at=datetime(2025, 5, 16, 9, 0, tzinfo=UTC))
        second = make_procedure(
            ana, anesthetic="bupivacaine", performed_at=datetime(2025, 6, 6, 14, 0, tzinfo=UTC)
        )
        send_diary(as_ana, first, ANA_TEXTBOOK)
        send_diary(as_ana, second, "15:1 30:1+ 60:1 120:1 240:1 360:1 480:6")
        response = as_cole.get(API + f"patients/{ana.id}/rfa-readiness/")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "blocks": [first.id, second.id],
        "reasons": [
            f"L4-L5 left: two positive diagnostic blocks, #{first.id} (lidocaine, 2025-05-16) "
            f"and #{second.id} (bupivacaine, 2025-06-06), 21 days apart (at least 14)",
            "L4-L5 left: concordant: bupivacaine relief outlasted lidocaine (bupivacaine ≥ 80 % "
            "for 5 h 45 min, lidocaine ≥ 80 % for 1 h 30 min)",
            "2 diagnostic sessions in the 12 months to 2025-06-15, within the 4 allowed for the "
            "lumbar region",
        ],
    }


def test_ana_with_one_unrecorded_block_is_not_ready(as_cole, ana, anas_block):
    body = as_cole.get(API + f"patients/{ana.id}/rfa-readiness/").json()
    assert (body["ready"], body["blocks"]) == (False, [])
    assert body["reasons"][0].startswith(
        f"L4-L5 left: no positive diagnostic block (#{anas_block.id} (lidocaine, "
    )
    assert body["reasons"][0].endswith(") provisional)")  # its window is still open


def test_a_cancelled_block_is_left_out_of_readiness(as_ana, as_cole, ana):
    first = make_procedure(ana, performed_at=timezone.now() - timedelta(days=30))
    second = make_procedure(ana, performed_at=timezone.now() - timedelta(days=9))
    send_diary(as_ana, first, ANA_TEXTBOOK)
    send_diary(as_ana, second, ANA_TEXTBOOK)
    assert as_cole.get(API + f"patients/{ana.id}/rfa-readiness/").json()["ready"] is True
    as_cole.post(API + f"procedures/{second.id}/cancel/")
    body = as_cole.get(API + f"patients/{ana.id}/rfa-readiness/").json()
    assert (body["ready"], body["blocks"]) == (False, [first.id])


# --- Who may see it ---------------------------------------------------------------------

REVIEW_PATHS = ["procedures/{block}/response/", "patients/{ana}/rfa-readiness/"]


@pytest.mark.parametrize("path", REVIEW_PATHS)
def test_omar_of_south_gets_not_found_for_ana_s_review(as_omar, ana, anas_block, path):
    response = as_omar.get(API + path.format(block=anas_block.id, ana=ana.id))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", REVIEW_PATHS)
def test_ana_s_own_phone_gets_not_found_for_the_clinician_s_review(as_ana, ana, anas_block, path):
    response = as_ana.get(API + path.format(block=anas_block.id, ana=ana.id))
    assert response.status_code == 404


@pytest.mark.parametrize("path", REVIEW_PATHS)
def test_nurse_nia_of_north_may_read_the_review(as_nia, ana, anas_block, path):
    assert as_nia.get(API + path.format(block=anas_block.id, ana=ana.id)).status_code == 200


# --- Few queries ------------------------------------------------------------------------


def test_a_block_s_response_takes_a_query_each_for_entries_open_check_ins_and_rules(
    as_ana, anas_morning_block, north, django_assert_num_queries
):
    send_diary(as_ana, anas_morning_block, ANA_TEXTBOOK)
    rulesets.set_overrides(north, {"positive_relief_percent": 50})
    block = Procedure.objects.select_related("patient__clinic").get(pk=anas_morning_block.pk)
    with django_assert_num_queries(3):
        assert review.procedure_response(block).verdict == "positive"


def test_readiness_takes_one_query_each_for_blocks_entries_open_check_ins_and_rules(
    as_ana, ana, north, django_assert_num_queries
):
    for days in (40, 20, 5):
        send_diary(
            as_ana,
            make_procedure(ana, performed_at=timezone.now() - timedelta(days=days)),
            ANA_TEXTBOOK,
        )
    rulesets.set_overrides(north, {"positive_relief_percent": 50})
    patient = Patient.objects.select_related("clinic").get(pk=ana.pk)
    with django_assert_num_queries(4):
        assert review.rfa_readiness(patient).ready is True


# --- The verdict waits for its window (rules v2) ------------------------------------------


def test_inside_the_window_the_verdict_is_provisional_and_says_what_is_still_due(
    as_ana, as_cole, ana, dr_cole
):
    performed = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # London, GMT
    with time_machine.travel(performed - timedelta(minutes=15), tick=False) as clock:
        block = make_procedure(
            ana,
            proceduralist=dr_cole,
            performed_at=performed,
            baseline_disability_scale="odi",
            baseline_disability_score=46,
            usual_painful_activity="standing to cook",
        )
        send_diary(as_ana, block, "-20:8")  # a pre-block reading
        clock.move_to(performed + timedelta(minutes=70))
        send_diary(as_ana, block, "15:2 30:1+ 45:1 60:1")

        body = response_of(as_cole, block).json()
        assert (body["verdict"], body["leaning"]) == ("provisional", "positive")
        # 2 h and 3 h are due inside the 3 h lidocaine window; it waits for 3 h's to close.
        assert (body["still_due"], body["still_due_by_minutes"]) == (2, 180)
        assert body["provisional_until_minutes"] == 210
        assert body["reasons"][0] == (
            "provisional until 12:30: leaning positive so far; 2 more readings due by 12:00"
        )
        assert body["pre_block_readings"] == [{"minutes_after_block": -20, "pain_score": 8}]
        assert [r["minutes_after_block"] for r in body["readings"]] == [15, 30, 45, 60]
        assert body["baseline_disability"] == {"scale": "odi", "score": 46}
        assert body["usual_painful_activity"] == "standing to cook"
        readiness = as_cole.get(API + f"patients/{ana.id}/rfa-readiness/").json()
        assert readiness["blocks"] == []  # a provisional block never counts

        clock.move_to(performed + timedelta(minutes=211))
        assert response_of(as_cole, block).json()["verdict"] == "positive"


@pytest.mark.parametrize(
    ("scale", "score", "field"),
    [
        ("odi", 101, "baseline_disability_score"),
        ("rmdq", 25, "baseline_disability_score"),
        ("odi", None, "baseline_disability_score"),
        ("", 30, "baseline_disability_scale"),
        ("sf36", 30, "baseline_disability_scale"),
    ],
)
def test_a_baseline_disability_score_must_fit_its_scale(as_cole, ana, scale, score, field):
    body = {
        "patient": ana.id,
        "kind": "diagnostic_mbb",
        "levels": "L4-L5",
        "side": "left",
        "anesthetic": "lidocaine",
        "concentration_percent": "2",
        "volume_ml_per_level": "0.5",
        "performed_at": timezone.now().isoformat(),
        "baseline_pain": 7,
        "baseline_disability_scale": scale,
        "baseline_disability_score": score,
    }
    response = as_cole.post(API + "procedures/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not Procedure.objects.exists()
