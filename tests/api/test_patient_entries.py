"""Ana's diary entries: a reading, its relief against her baseline, and the check-in it answers."""

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from diary import services
from diary.models import CheckInStatus, DiaryEntry
from tests.factories import make_procedure

pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")

ENTRIES = "/api/v1/me/entries/"


def post(client, body):
    return client.post(ENTRIES, body, format="json")


@pytest.fixture
def five_past_two_hours(anas_block):
    """The clock stopped 2 h 5 min after Ana's block: her 2 h check-in is open."""
    with time_machine.travel(anas_block.performed_at + timedelta(hours=2, minutes=5), tick=False):
        yield timezone.now()


# --- The happy path -------------------------------------------------------------------


def test_ana_records_a_full_reading_and_it_answers_her_open_checkin(
    as_ana, anas_block, entry_for, five_past_two_hours
):
    h2 = anas_block.checkins.get(key="h2")
    body = entry_for(
        anas_block,
        pain_score=2,
        reported_relief_percent=70,
        activity="bending to tie shoes",
        activity_ok=True,
        numbness="left_leg",
        weakness="none",
        can_lift_heel=True,
        analgesic_taken=True,
        note="Much easier to bend.",
    )

    response = post(as_ana, body)

    assert response.status_code == 201, response.content
    stored = response.json()
    assert stored["relief_percent"] == 75.0  # (8 - 2) / 8
    assert stored["minutes_after_block"] == 125
    assert stored["checkin"] == h2.id
    assert stored["client_id"] == body["client_id"]
    assert stored["procedure"] == anas_block.id
    for answer in ("pain_score", "reported_relief_percent", "activity", "activity_ok"):
        assert stored[answer] == body[answer]
    assert (stored["numbness"], stored["can_lift_heel"], stored["note"]) == (
        "left_leg",
        True,
        "Much easier to bend.",
    )
    h2.refresh_from_db()
    assert h2.status == CheckInStatus.ANSWERED
    assert h2.answered_at == five_past_two_hours


def test_a_reading_with_only_the_required_answers_records_the_questions_as_not_asked(
    as_ana, anas_block, entry_for
):
    stored = post(as_ana, entry_for(anas_block)).json()

    # Unknown, not "no": the record does not claim an answer nobody gave (rules v2).
    assert (stored["numbness"], stored["weakness"]) == (None, None)
    for red_flag in ("saddle_numbness", "bowel_bladder_change", "fever", "site_problem"):
        assert stored[red_flag] is None
    assert stored["answered_questions"] == []
    assert stored["analgesic_taken"] is False
    assert (stored["activity_ok"], stored["can_lift_heel"]) == (None, None)
    assert stored["advice"]["level"] == "routine"
    assert stored["findings"] == []


def test_the_entry_says_which_safety_questions_were_answered(as_ana, anas_block, entry_for):
    body = entry_for(anas_block, numbness="none", fever=False, radicular_symptoms=False)
    stored = post(as_ana, body).json()

    assert stored["answered_questions"] == ["numbness", "fever", "radicular_symptoms"]
    assert (stored["numbness"], stored["fever"], stored["site_problem"]) == ("none", False, None)
    assert (stored["activity"], stored["note"], stored["reported_relief_percent"]) == ("", "", None)


@pytest.mark.parametrize(
    ("baseline", "score", "relief"),
    [
        pytest.param(8, 2, 75.0, id="better"),
        pytest.param(8, 8, 0.0, id="unchanged"),
        pytest.param(8, 10, -25.0, id="worse-is-negative"),
        pytest.param(3, 1, 66.7, id="rounded-to-one-place"),
        pytest.param(0, 0, None, id="no-baseline-pain-means-no-relief-figure"),
    ],
)
def test_relief_is_measured_against_the_baseline_before_the_block(
    as_ana, ana, entry_for, baseline, score, relief
):
    block = make_procedure(ana, baseline_pain=baseline)

    response = post(as_ana, entry_for(block, pain_score=score))

    assert response.status_code == 201
    assert response.json()["relief_percent"] == relief


def test_ana_may_name_the_checkin_she_is_answering(as_ana, anas_block, entry_for):
    h2 = anas_block.checkins.get(key="h2")

    response = post(as_ana, entry_for(anas_block, checkin=h2.id))

    assert response.status_code == 201
    assert response.json()["checkin"] == h2.id
    h2.refresh_from_db()
    assert h2.status == CheckInStatus.ANSWERED


def test_naming_a_checkin_that_has_not_opened_is_refused_and_stores_nothing(
    as_ana, anas_block, entry_for
):
    day_one = anas_block.checkins.get(key="d1")

    response = post(as_ana, entry_for(anas_block, checkin=day_one.id))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["checkin"]
    assert "Opens at" in response.json()["fields"]["checkin"][0]
    assert not DiaryEntry.objects.exists()
    day_one.refresh_from_db()
    assert day_one.status == CheckInStatus.UPCOMING


def test_a_reading_taken_in_a_window_but_sent_after_it_closed_still_answers_it(
    as_ana, anas_block, entry_for
):
    # Recorded offline at 1 h 5 min, sent now: the 1 h check-in was marked missed meanwhile.
    h1 = anas_block.checkins.get(key="h1")
    assert h1.status == CheckInStatus.MISSED
    recorded_at = anas_block.performed_at + timedelta(minutes=65)

    response = post(as_ana, entry_for(anas_block, recorded_at=recorded_at.isoformat()))

    assert response.json()["checkin"] == h1.id
    h1.refresh_from_db()
    assert (h1.status, h1.answered_at) == (CheckInStatus.ANSWERED, recorded_at)


def test_a_reading_taken_after_a_window_closed_does_not_answer_it(as_ana, anas_block, entry_for):
    h1 = anas_block.checkins.get(key="h1")

    response = post(as_ana, entry_for(anas_block, checkin=h1.id))

    assert response.status_code == 201
    h1.refresh_from_db()
    assert h1.status == CheckInStatus.MISSED


# --- Retries --------------------------------------------------------------------------


def test_a_retry_of_the_same_reading_returns_the_original_and_stores_nothing_new(
    as_ana, anas_block, entry_for
):
    body = entry_for(anas_block, pain_score=3, note="after lunch")
    first = post(as_ana, body)

    again = post(as_ana, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert DiaryEntry.objects.filter(patient=anas_block.patient).count() == 1


def test_the_same_moment_written_in_another_utc_offset_is_still_a_retry(
    as_ana, anas_block, entry_for
):
    moment = timezone.now().replace(microsecond=0)
    body = entry_for(anas_block, recorded_at=moment.isoformat())
    first = post(as_ana, body)
    in_kolkata = moment.astimezone(timezone.get_fixed_timezone(330)).isoformat()

    again = post(as_ana, {**body, "recorded_at": in_kolkata})

    assert again.status_code == 200
    assert again.json() == first.json()


def test_a_different_reading_under_a_used_client_id_conflicts_and_changes_nothing(
    as_ana, anas_block, entry_for
):
    body = entry_for(anas_block, pain_score=3)
    first = post(as_ana, body).json()

    response = post(as_ana, {**body, "pain_score": 9, "fever": True})

    assert response.status_code == 409
    assert list(response.json()["fields"]) == ["client_id"]
    assert response.json()["code"] == "conflict"
    assert str(first["id"]) in response.json()["fields"]["client_id"][0]
    stored = DiaryEntry.objects.get(pk=first["id"])
    assert (stored.pain_score, stored.fever) == (3, None)


def test_client_ids_belong_to_one_patient_so_ben_may_reuse_anas(
    as_ana, as_ben, anas_block, bens_block, entry_for
):
    shared = str(uuid.uuid4())
    assert post(as_ana, entry_for(anas_block, client_id=shared)).status_code == 201

    response = post(as_ben, entry_for(bens_block, client_id=shared, pain_score=7))

    assert response.status_code == 201
    assert response.json()["procedure"] == bens_block.id


# --- Whose block, which check-in ------------------------------------------------------


def _message_without(response, field, pk):
    return response.json()["fields"][field][0].replace(str(pk), "<id>")


def test_ana_cannot_write_to_bens_block_and_cannot_tell_it_exists(
    as_ana, anas_block, bens_block, entry_for
):
    missing_id = bens_block.id + 1000

    bens = post(as_ana, entry_for(anas_block, procedure=bens_block.id))
    nobodys = post(as_ana, entry_for(anas_block, procedure=missing_id))

    assert (bens.status_code, nobodys.status_code) == (400, 400)
    assert list(bens.json()["fields"]) == ["procedure"]
    assert _message_without(bens, "procedure", bens_block.id) == _message_without(
        nobodys, "procedure", missing_id
    )
    assert not DiaryEntry.objects.exists()


def test_ana_cannot_answer_bens_checkin_and_cannot_tell_it_exists(
    as_ana, anas_block, bens_block, entry_for
):
    bens_checkin = bens_block.checkins.get(key="h2")
    missing_id = bens_checkin.id + 1000

    bens = post(as_ana, entry_for(anas_block, checkin=bens_checkin.id))
    nobodys = post(as_ana, entry_for(anas_block, checkin=missing_id))

    assert (bens.status_code, nobodys.status_code) == (400, 400)
    assert list(bens.json()["fields"]) == ["checkin"]
    assert _message_without(bens, "checkin", bens_checkin.id) == _message_without(
        nobodys, "checkin", missing_id
    )
    bens_checkin.refresh_from_db()
    assert bens_checkin.status == CheckInStatus.UPCOMING


def test_a_checkin_of_anas_other_block_is_refused_naming_the_checkin(
    as_ana, ana, anas_block, entry_for
):
    other_block = make_procedure(ana, side="right", performed_at=anas_block.performed_at)
    other_h2 = other_block.checkins.get(key="h2")

    response = post(as_ana, entry_for(anas_block, checkin=other_h2.id))

    assert response.status_code == 400
    assert response.json()["fields"] == {"checkin": ["This check-in is for another block."]}
    other_h2.refresh_from_db()
    assert other_h2.status == CheckInStatus.UPCOMING
    assert not DiaryEntry.objects.exists()


def test_a_cancelled_block_takes_no_more_readings(as_ana, anas_block, entry_for):
    services.cancel_procedure(anas_block)

    response = post(as_ana, entry_for(anas_block))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["procedure"]
    assert not anas_block.entries.exists()


# --- When a reading may be taken ------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "accepted"),
    [
        pytest.param(lambda now, block: now + timedelta(minutes=4), True, id="4-min-ahead"),
        pytest.param(lambda now, block: now + timedelta(minutes=6), False, id="6-min-ahead"),
        pytest.param(
            lambda now, block: block.performed_at - timedelta(hours=23), True, id="23-h-before"
        ),
        pytest.param(
            lambda now, block: block.performed_at - timedelta(hours=25), False, id="25-h-before"
        ),
    ],
)
def test_a_reading_may_be_a_little_ahead_of_the_server_and_up_to_a_day_before_the_block(
    as_ana, anas_block, entry_for, five_past_two_hours, when, accepted
):
    recorded_at = when(five_past_two_hours, anas_block)

    response = post(as_ana, entry_for(anas_block, recorded_at=recorded_at.isoformat()))

    if accepted:
        assert response.status_code == 201, response.content
        expected = (recorded_at - anas_block.performed_at) // timedelta(minutes=1)
        assert response.json()["minutes_after_block"] == expected
    else:
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["recorded_at"]
        assert not DiaryEntry.objects.exists()


def test_a_reading_before_the_block_has_negative_minutes_and_answers_no_checkin(
    as_ana, anas_block, entry_for
):
    before = anas_block.performed_at - timedelta(hours=1)

    stored = post(as_ana, entry_for(anas_block, recorded_at=before.isoformat())).json()

    assert stored["minutes_after_block"] == -60
    assert stored["checkin"] is None


# --- Reading the diary back -----------------------------------------------------------


def test_ana_lists_the_readings_of_one_block(
    as_ana, as_ben, ana, anas_block, bens_block, entry_for
):
    other_block = make_procedure(ana, side="right")
    mine = [post(as_ana, entry_for(anas_block, pain_score=s)).json()["id"] for s in (2, 3)]
    post(as_ana, entry_for(other_block))
    post(as_ben, entry_for(bens_block))

    response = as_ana.get(ENTRIES, {"procedure": anas_block.id})

    assert response.status_code == 200
    assert [e["id"] for e in response.json()["results"]] == mine
    assert as_ana.get(ENTRIES, {"procedure": bens_block.id}).json()["count"] == 0


def test_readings_come_a_page_at_a_time(as_ana, anas_block, entry_for):
    for score in (1, 2, 3):
        post(as_ana, entry_for(anas_block, pain_score=score))

    first = as_ana.get(ENTRIES, {"page_size": 1}).json()

    assert (first["count"], len(first["results"])) == (3, 1)
    assert "page=2" in first["next"]
    second = as_ana.get(first["next"]).json()
    assert second["results"][0]["id"] != first["results"][0]["id"]


def test_a_page_is_never_larger_than_two_hundred(as_ana, ana, anas_block):
    start = anas_block.performed_at
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            client_id=uuid.uuid4(),
            patient=ana,
            procedure=anas_block,
            recorded_at=start + timedelta(seconds=i),
            pain_score=i % 11,
            fingerprint="bulk",
        )
        for i in range(201)
    )

    body = as_ana.get(ENTRIES, {"page_size": 500}).json()

    assert body["count"] == 201
    assert len(body["results"]) == 200
    assert body["next"] is not None


def test_an_unreadable_procedure_filter_is_refused_naming_it(as_ana, anas_block):
    response = as_ana.get(ENTRIES, {"procedure": "mine"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["procedure"]


# --- Cost -----------------------------------------------------------------------------


def test_recording_a_reading_costs_a_bounded_number_of_queries(
    as_ana, anas_block, entry_for, django_assert_max_num_queries
):
    # token, procedure, (savepoint), insert, find check-in, link it, answer it, (release)
    with django_assert_max_num_queries(8):
        response = post(as_ana, entry_for(anas_block))

    assert response.status_code == 201
    assert response.json()["checkin"] is not None


def test_naming_the_checkin_costs_no_more_than_finding_it(
    as_ana, anas_block, entry_for, django_assert_max_num_queries
):
    h2 = anas_block.checkins.get(key="h2")
    with django_assert_max_num_queries(8):
        response = post(as_ana, entry_for(anas_block, checkin=h2.id))

    assert response.status_code == 201


def test_a_retry_of_a_reading_stored_before_the_new_safety_answers_is_still_a_retry(
    as_ana, anas_block, entry_for
):
    body = entry_for(anas_block, pain_score=4)
    assert as_ana.post("/api/v1/me/entries/", body).status_code == 201
    entry = DiaryEntry.objects.get(client_id=body["client_id"])
    # As fingerprinted before temperature_celsius and the other later answers existed, and
    # before rule set v2 (when a question left out was stored as "no").
    data = {**body, "procedure": anas_block, "recorded_at": entry.recorded_at}
    data["client_id"] = entry.client_id
    data = {**services.V1_ANSWER_DEFAULTS, **data}
    without = services.LATER_ENTRY_FIELDS + services.V2_ENTRY_FIELDS
    legacy = services.entry_fingerprint(data, without=without)
    DiaryEntry.objects.filter(pk=entry.pk).update(fingerprint=legacy)

    again = as_ana.post("/api/v1/me/entries/", body)
    assert again.status_code == 200
    assert again.json()["id"] == entry.pk
    changed = as_ana.post("/api/v1/me/entries/", {**body, "severe_back_pain": True})
    assert changed.status_code == 409
