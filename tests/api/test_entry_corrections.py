"""Ana taps 9 instead of 3: she corrects the entry within half an hour. The correction takes
its place in the verdict; the first stays in the record; an alert it raised stands."""

import uuid
from datetime import timedelta

import time_machine
from django.utils import timezone

from diary import review
from diary.models import DiaryEntry
from notifications.models import Alert

ENTRIES = "/api/v1/me/entries/"


def sent(client, body):
    response = client.post(ENTRIES, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def correct(client, entry_id, **answers):
    body = {"client_id": str(uuid.uuid4()), "pain_score": 3, **answers}
    return client.post(f"{ENTRIES}{entry_id}/correct/", body, format="json")


def test_a_correction_takes_the_entrys_place_in_the_verdict_and_keeps_it_in_the_record(
    as_ana, anas_block, entry_for
):
    first = sent(as_ana, entry_for(anas_block, pain_score=9))

    response = correct(as_ana, first["id"], pain_score=2)

    assert response.status_code == 201, response.content
    fixed = response.json()
    assert (fixed["corrects"], fixed["pain_score"]) == (first["id"], 2)
    assert fixed["recorded_at"] == first["recorded_at"]
    assert fixed["procedure"] == first["procedure"]
    original = as_ana.get(f"{ENTRIES}{first['id']}/").json()
    assert original["pain_score"] == 9 and original["superseded_at"] is not None
    assert original["correctable_until"] is None
    readings = review.procedure_response(anas_block).readings
    assert [r.pain_score for r in readings] == [2]  # the correction, not the 9
    assert DiaryEntry.objects.filter(procedure=anas_block).count() == 2


def test_a_correction_answers_the_same_check_in(as_ana, anas_block, entry_for):
    checkin = anas_block.checkins.get(key="h2")
    first = sent(
        as_ana, entry_for(anas_block, checkin=checkin.pk, recorded_at=checkin.due_at.isoformat())
    )

    fixed = correct(as_ana, first["id"]).json()

    assert fixed["checkin"] == checkin.pk


def test_a_red_flag_taken_back_still_stands_for_the_nurse(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block, bowel_bladder_change=True))
    alert = Alert.objects.get(procedure=anas_block)

    response = correct(as_ana, first["id"], bowel_bladder_change=False)

    assert response.status_code == 201
    assert response.json()["alert"] is None
    alert.refresh_from_db()
    assert alert.state == "open"


def test_triage_runs_on_the_corrected_answers(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block))

    fixed = correct(as_ana, first["id"], saddle_numbness=True).json()

    assert fixed["advice"]["level"] == "emergency"
    assert Alert.objects.filter(procedure=anas_block, severity="emergency").exists()


def test_the_same_correction_sent_again_is_one_correction(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block, pain_score=9))
    body = {"client_id": str(uuid.uuid4()), "pain_score": 2}
    url = f"{ENTRIES}{first['id']}/correct/"

    once = as_ana.post(url, body, format="json")
    again = as_ana.post(url, body, format="json")

    assert (once.status_code, again.status_code) == (201, 200)
    assert once.json()["id"] == again.json()["id"]
    assert DiaryEntry.objects.filter(procedure=anas_block).count() == 2


def test_an_entry_corrected_already_is_corrected_through_its_correction(
    as_ana, anas_block, entry_for
):
    first = sent(as_ana, entry_for(anas_block, pain_score=9))
    fixed = correct(as_ana, first["id"], pain_score=2).json()

    refused = correct(as_ana, first["id"], pain_score=4)
    second = correct(as_ana, fixed["id"], pain_score=4)

    assert refused.status_code == 409
    assert f"entry {fixed['id']}" in refused.json()["fields"]["entry"][0]
    assert second.status_code == 201
    assert [r.pain_score for r in review.procedure_response(anas_block).readings] == [4]


def test_after_half_an_hour_a_new_entry_is_asked_for(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block, pain_score=9))

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = correct(as_ana, first["id"], pain_score=2)

    assert response.status_code == 409
    assert "within 30 min" in response.json()["fields"]["entry"][0]
    assert DiaryEntry.objects.get(pk=first["id"]).superseded_at is None


def test_a_correction_cannot_move_the_entry_to_another_time_or_block(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block))

    response = correct(as_ana, first["id"], recorded_at=timezone.now().isoformat(), procedure=1)

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"recorded_at", "procedure"}
    assert DiaryEntry.objects.get(pk=first["id"]).superseded_at is None


def test_a_wrong_answer_in_a_correction_is_a_400_and_the_entry_stays(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block))

    response = correct(as_ana, first["id"], pain_score=11)

    assert response.status_code == 400
    assert "pain_score" in response.json()["fields"]
    assert DiaryEntry.objects.get(pk=first["id"]).superseded_at is None


def test_a_client_id_used_before_is_a_409(as_ana, anas_block, entry_for):
    first = sent(as_ana, entry_for(anas_block))
    other = sent(as_ana, entry_for(anas_block))

    response = correct(as_ana, first["id"], client_id=other["client_id"])

    assert response.status_code == 409
    assert "client_id" in response.json()["fields"]


def test_ben_cannot_correct_anas_entry(as_ana, as_ben, anas_block, bens_block, entry_for):
    first = sent(as_ana, entry_for(anas_block, pain_score=9))

    assert correct(as_ben, first["id"]).status_code == 404
    assert DiaryEntry.objects.get(pk=first["id"]).superseded_at is None
