"""Check-ins through the service verbs: planned with a block, moved when it is corrected,
closed when it is cancelled, and moved along by the clock.

The clock is frozen with time-machine: "now" is 11:00 UTC on 10 June 2026 and Ana's block
was at 09:00 UTC (10:00 in London), so the first hour's check-ins have already closed.
"""

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.db.models import Count

from diary import services
from diary.models import AccessToken, CheckIn, CheckInStatus, ProcedureStatus
from tests.conftest import advance_clock
from tests.factories import make_procedure, patient_token

NOW = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
BLOCK = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")

UPCOMING, DUE, ANSWERED, MISSED, CANCELLED = (
    CheckInStatus.UPCOMING,
    CheckInStatus.DUE,
    CheckInStatus.ANSWERED,
    CheckInStatus.MISSED,
    CheckInStatus.CANCELLED,
)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def block(clock, ana, dr_cole):
    """Ana's block at 10:00 London time, two hours ago."""
    return make_procedure(ana, proceduralist=dr_cole, performed_at=BLOCK)


def checkins(procedure) -> dict[str, CheckIn]:
    return {c.key: c for c in CheckIn.objects.filter(procedure=procedure)}


def statuses(procedure) -> dict[str, str]:
    return {c.key: c.status for c in CheckIn.objects.filter(procedure=procedure)}


def answer(procedure, recorded_at, pain_score=3):
    """Ana records a reading at ``recorded_at`` (the check-in open then is answered)."""
    entry, _ = services.record_entry(
        patient=procedure.patient,
        data={
            "client_id": uuid.uuid4(),
            "procedure": procedure,
            "recorded_at": recorded_at,
            "pain_score": pain_score,
        },
    )
    return entry


def assert_one_row_per_step(procedure):
    duplicates = (
        CheckIn.objects.filter(procedure=procedure)
        .values("key")
        .annotate(rows=Count("id"))
        .filter(rows__gt=1)
    )
    assert list(duplicates) == []


# --- Planning ----------------------------------------------------------------------


def test_a_performed_block_plans_one_check_in_per_step_and_closed_windows_are_missed(block):
    planned = checkins(block)
    assert len(planned) == 25
    assert block.status == ProcedureStatus.PERFORMED
    assert {k: planned[k].status for k in ("m15", "m30", "m45", "h1")} == dict.fromkeys(
        ("m15", "m30", "m45", "h1"), MISSED
    )
    # The 2 h check-in opens right now: still upcoming until the clock moves it.
    assert planned["h2"].status == UPCOMING
    assert {planned[f"d{d}"].status for d in range(1, 15)} == {UPCOMING}
    assert planned["h2"].due_at == BLOCK + timedelta(hours=2)
    assert planned["d1"].due_at.astimezone(LONDON).replace(tzinfo=None) == datetime(
        2026, 6, 11, 10, 0
    )


def test_a_block_booked_for_tomorrow_is_planned_with_every_check_in_upcoming(clock, ana):
    tomorrow = make_procedure(ana, performed_at=NOW + timedelta(days=1))
    assert tomorrow.status == ProcedureStatus.PLANNED
    assert set(statuses(tomorrow).values()) == {UPCOMING}


def test_a_block_with_a_steroid_plans_twenty_seven_check_ins(clock, ana):
    block = make_procedure(ana, performed_at=BLOCK, steroid=True)
    planned = checkins(block)
    assert len(planned) == 27
    assert planned["d28"].due_at == datetime(2026, 7, 8, 9, 0, tzinfo=UTC)  # 10:00 BST


def test_a_patient_whose_diary_ended_gets_no_new_block(clock, ana):
    services.update_patient(ana, status="ended")
    with pytest.raises(services.DiaryError) as refused:
        make_procedure(ana, performed_at=BLOCK)
    assert refused.value.field == "patient"
    assert not CheckIn.objects.exists()


def test_a_block_cannot_be_created_already_cancelled(clock, ana):
    with pytest.raises(services.DiaryError) as refused:
        make_procedure(ana, performed_at=BLOCK, status=ProcedureStatus.CANCELLED)
    assert refused.value.field == "status"
    assert not CheckIn.objects.exists()


def test_the_database_refuses_a_second_check_in_for_the_same_step(block):
    h2 = checkins(block)["h2"]
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            procedure=block, key="h2", due_at=h2.due_at, closes_at=h2.closes_at, label="again"
        )


# --- Correcting the block's time -------------------------------------------------------


def test_correcting_the_time_moves_what_is_unanswered_and_keeps_what_was_answered(clock, block):
    answer(block, NOW + timedelta(minutes=5))  # answers the 2 h check-in
    before = checkins(block)
    assert before["h2"].status == ANSWERED

    corrected = BLOCK + timedelta(minutes=30)
    services.update_procedure(block, performed_at=corrected)

    after = checkins(block)
    assert {c.id for c in after.values()} == {c.id for c in before.values()}
    assert after["h2"].status == ANSWERED
    assert (after["h2"].due_at, after["h2"].answered_at) == (
        before["h2"].due_at,
        before["h2"].answered_at,
    )
    assert after["m15"].due_at == corrected + timedelta(minutes=15)
    assert after["h3"].due_at == corrected + timedelta(hours=3)
    assert after["h3"].closes_at == corrected + timedelta(hours=3, minutes=30)
    assert_one_row_per_step(block)


def test_a_check_in_whose_times_do_not_change_keeps_its_status_and_id(clock, block):
    # Next morning at 10:05 London time: day 1 is due (its reminder may have gone out).
    clock.move_to(datetime(2026, 6, 11, 9, 5, tzinfo=UTC), tick=False)
    advance_clock()
    day_one = checkins(block)["d1"]
    assert day_one.status == DUE

    services.update_procedure(block, performed_at=BLOCK - timedelta(minutes=20))

    after = checkins(block)["d1"]
    assert (after.id, after.status, after.due_at) == (day_one.id, DUE, day_one.due_at)


def test_moving_the_block_later_reopens_check_ins_that_had_been_missed(clock, block):
    assert statuses(block)["m15"] == MISSED
    services.update_procedure(block, performed_at=NOW)
    after = checkins(block)
    assert after["m15"].status == UPCOMING
    assert after["m15"].due_at == NOW + timedelta(minutes=15)


def test_moving_the_block_earlier_marks_closed_windows_missed(clock, ana):
    block = make_procedure(ana, performed_at=NOW + timedelta(minutes=5))
    assert set(statuses(block).values()) == {UPCOMING}
    services.update_procedure(block, performed_at=NOW - timedelta(hours=3))
    after = statuses(block)
    assert [after[k] for k in ("m15", "m30", "m45", "h1", "h2")] == [MISSED] * 5
    assert after["h3"] == UPCOMING


def test_a_change_that_does_not_move_the_block_touches_no_check_in(clock, block):
    before = checkins(block)
    services.update_procedure(block, levels="L4-L5,L5-S1", performed_at=BLOCK)
    after = checkins(block)
    assert [(c.id, c.due_at, c.status) for c in after.values()] == [
        (c.id, c.due_at, c.status) for c in before.values()
    ]


def test_removing_the_steroid_cancels_days_21_and_28_and_adding_it_back_reopens_them(clock, ana):
    block = make_procedure(ana, performed_at=BLOCK, steroid=True)
    ids = {k: c.id for k, c in checkins(block).items()}

    services.update_procedure(block, steroid=False)
    after = statuses(block)
    assert (after["d21"], after["d28"]) == (CANCELLED, CANCELLED)
    assert after["d14"] == UPCOMING

    services.update_procedure(block, steroid=True)
    again = checkins(block)
    assert (again["d21"].status, again["d28"].status) == (UPCOMING, UPCOMING)
    assert {k: c.id for k, c in again.items()} == ids


def test_adding_a_steroid_later_plans_days_21_and_28(clock, block):
    services.update_procedure(block, steroid=True)
    planned = checkins(block)
    assert len(planned) == 27
    assert planned["d21"].due_at == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert_one_row_per_step(block)


def test_many_corrections_never_duplicate_a_check_in(clock, ana):
    block = make_procedure(ana, performed_at=BLOCK, steroid=True)
    for minutes, steroid in [(10, False), (-40, True), (0, False), (90, True), (0, True)]:
        services.update_procedure(
            block, performed_at=BLOCK + timedelta(minutes=minutes), steroid=steroid
        )
    assert CheckIn.objects.filter(procedure=block).count() == 27
    assert_one_row_per_step(block)


# --- Cancelling ----------------------------------------------------------------------


def test_cancelling_closes_open_check_ins_and_keeps_the_diary(clock, block):
    answer(block, NOW + timedelta(minutes=5))
    services.cancel_procedure(block)
    block.refresh_from_db()
    after = statuses(block)
    assert block.status == ProcedureStatus.CANCELLED
    assert after["h2"] == ANSWERED
    assert after["m15"] == MISSED
    assert {after[f"d{d}"] for d in range(1, 15)} == {CANCELLED}
    assert after["h3"] == CANCELLED
    assert not CheckIn.objects.filter(procedure=block, status__in=(UPCOMING, DUE)).exists()


def test_cancelling_twice_is_harmless(clock, block):
    services.cancel_procedure(block)
    first = statuses(block)
    services.cancel_procedure(block)
    assert statuses(block) == first


def test_a_cancelled_block_cannot_be_corrected(clock, block):
    services.cancel_procedure(block)
    with pytest.raises(services.DiaryError) as refused:
        services.update_procedure(block, performed_at=NOW)
    assert refused.value.field == "status"
    assert set(statuses(block).values()) <= {MISSED, CANCELLED}


def test_cancelling_is_only_done_by_the_cancel_verb(clock, block):
    with pytest.raises(services.DiaryError) as refused:
        services.update_procedure(block, status=ProcedureStatus.CANCELLED)
    assert refused.value.field == "status"
    block.refresh_from_db()
    assert block.status == ProcedureStatus.PERFORMED


# --- The patient's time zone and check-in time -------------------------------------------


def test_ana_moving_to_new_york_moves_only_her_day_level_check_ins(clock, ana, block):
    # She answered day 1 from London at 10:30 on 11 June.
    clock.move_to(datetime(2026, 6, 11, 9, 30, tzinfo=UTC), tick=False)
    answer(block, datetime(2026, 6, 11, 9, 30, tzinfo=UTC))
    before = checkins(block)
    assert before["d1"].status == ANSWERED

    services.update_patient(ana, timezone="America/New_York")

    after = checkins(block)
    assert {k: after[k].due_at for k in after if not k.startswith("d")} == {
        k: before[k].due_at for k in before if not k.startswith("d")
    }
    assert after["d1"].due_at == before["d1"].due_at  # answered: part of the diary
    for day in range(2, 15):
        moved = after[f"d{day}"]
        assert moved.due_at.astimezone(NEW_YORK).time() == time(10, 0)
        assert moved.due_at - before[f"d{day}"].due_at == timedelta(hours=5)
        assert moved.status == UPCOMING
    assert {c.id for c in after.values()} == {c.id for c in before.values()}


def test_a_new_check_in_time_moves_the_days_to_half_past_eight(clock, ana, block):
    services.update_patient(ana, checkin_time=time(8, 30))
    after = checkins(block)
    assert {after[f"d{d}"].due_at.astimezone(LONDON).time() for d in range(1, 15)} == {time(8, 30)}
    assert after["h3"].due_at == BLOCK + timedelta(hours=3)


def test_a_time_zone_change_leaves_a_cancelled_block_alone(clock, ana, block):
    services.cancel_procedure(block)
    before = statuses(block)
    services.update_patient(ana, timezone="America/New_York")
    assert statuses(block) == before
    assert CheckIn.objects.filter(procedure=block, key="d5").get().due_at == datetime(
        2026, 6, 15, 9, 0, tzinfo=UTC
    )


def test_saving_the_same_time_zone_re_plans_nothing(clock, ana, block):
    clock.move_to(datetime(2026, 6, 11, 9, 5, tzinfo=UTC), tick=False)
    advance_clock()
    before = statuses(block)
    assert before["d1"] == DUE
    services.update_patient(ana, timezone="Europe/London", display_name="Ana S.")
    assert statuses(block) == before


def test_ending_ana_s_diary_revokes_her_phone_s_tokens(clock, ana, ben):
    patient_token(ana)
    patient_token(ben)
    services.update_patient(ana, status="ended")
    assert not AccessToken.objects.filter(patient=ana).exists()
    assert AccessToken.objects.filter(patient=ben).count() == 1


# --- The clock -------------------------------------------------------------------------


def test_the_clock_makes_a_check_in_due_at_its_time_and_missed_at_its_close(clock, block):
    assert advance_clock() == (1, 0)  # h2 opens at 11:00
    assert statuses(block)["h2"] == DUE

    clock.move_to(NOW + timedelta(minutes=29), tick=False)
    assert advance_clock() == (0, 0)

    clock.move_to(NOW + timedelta(minutes=30), tick=False)  # h2 closes at 11:30
    assert advance_clock() == (0, 1)
    assert statuses(block)["h2"] == MISSED


def test_running_the_clock_twice_changes_nothing_the_second_time(clock, block):
    clock.move_to(NOW + timedelta(hours=1, minutes=10), tick=False)
    first = advance_clock()
    assert first == (1, 1)  # h3 due; h2 missed
    assert advance_clock() == (0, 0)


def test_a_check_in_that_opened_and_closed_while_the_clock_was_stopped_is_missed(clock, block):
    clock.move_to(NOW + timedelta(hours=3, minutes=10), tick=False)  # 14:10
    due, missed = advance_clock()
    after = statuses(block)
    assert (after["h2"], after["h3"], after["h4"], after["h5"]) == (MISSED, MISSED, MISSED, DUE)
    assert (due, missed) == (1, 3)


def test_the_clock_leaves_answered_and_cancelled_check_ins_alone(clock, ana, block):
    answer(block, NOW + timedelta(minutes=5))
    other = make_procedure(ana, performed_at=NOW + timedelta(minutes=10))
    services.cancel_procedure(other)
    clock.move_to(NOW + timedelta(days=30), tick=False)
    advance_clock()
    assert statuses(block)["h2"] == ANSWERED
    assert set(statuses(other).values()) == {CANCELLED}


def test_the_clock_can_be_given_the_time_explicitly(clock, block):
    assert advance_clock(now=NOW + timedelta(hours=1)) == (1, 1)
    assert statuses(block)["h3"] == DUE


def test_ending_a_patients_diary_cancels_her_open_checkins_and_refuses_new_codes(anas_block):
    from diary.services import DiaryError, issue_enrollment_code, update_patient

    ana = anas_block.patient
    update_patient(ana, status="ended")
    statuses = set(anas_block.checkins.values_list("status", flat=True))
    assert "upcoming" not in statuses and "due" not in statuses
    assert "cancelled" in statuses
    with pytest.raises(DiaryError) as refused:
        issue_enrollment_code(ana)
    assert refused.value.field == "status"


def test_changing_an_ended_patients_time_zone_does_not_reopen_her_checkins(anas_block):
    ana = anas_block.patient
    services.update_patient(ana, status="ended")
    before = statuses(anas_block)
    services.update_patient(ana, timezone="America/New_York", checkin_time=time(7, 0))
    assert statuses(anas_block) == before
