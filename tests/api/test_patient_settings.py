"""Ana changes her own settings from the app: check-in time, quiet hours, time zone,
language and the channels that reach her. The rest of her record is the clinic's."""

import zoneinfo
from datetime import time

import pytest

from diary.models import CheckIn, StepKind
from notifications.models import ContactPreference

ME = "/api/v1/me/"


def daily_times(block, tz="Europe/London") -> set[time]:
    """The local time of day of each of the block's day-level check-ins."""
    zone = zoneinfo.ZoneInfo(tz)
    return {
        c.due_at.astimezone(zone).time()
        for c in CheckIn.objects.filter(procedure=block, kind=StepKind.DAILY)
    }


def test_ana_moves_her_daily_check_in_and_the_days_ahead_are_re_planned(as_ana, ana, anas_block):
    assert daily_times(anas_block) == {time(10, 0)}

    response = as_ana.patch(ME, {"checkin_time": "18:30"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["checkin_time"] == "18:30:00"
    assert daily_times(anas_block) == {time(18, 30)}


def test_ana_moving_abroad_keeps_her_check_ins_at_her_new_local_time(as_ana, anas_block):
    response = as_ana.patch(ME, {"timezone": "America/New_York"}, format="json")

    assert response.status_code == 200, response.content
    assert daily_times(anas_block, "America/New_York") == {time(10, 0)}


def test_ana_chooses_texts_first_and_spanish(as_ana, ana):
    response = as_ana.patch(ME, {"channel_order": "sms, push", "language": "es"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["channel_order"], body["language"]) == ("sms,push", "es")
    assert ContactPreference.objects.get(patient=ana).channel_order == "sms,push"
    ana.refresh_from_db()
    assert ana.language == "es"
    assert as_ana.get(ME).json()["channel_order"] == "sms,push"


def test_ana_turns_her_quiet_hours_off_and_on_again(as_ana, ana):
    off = as_ana.patch(ME, {"quiet_start": None, "quiet_end": None}, format="json")
    on = as_ana.patch(ME, {"quiet_start": "21:00", "quiet_end": "07:30"}, format="json")

    assert (off.json()["quiet_start"], off.json()["quiet_end"]) == (None, None)
    assert (on.json()["quiet_start"], on.json()["quiet_end"]) == ("21:00:00", "07:30:00")
    ana.refresh_from_db()
    assert (ana.quiet_start, ana.quiet_end) == (time(21, 0), time(7, 30))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"checkin_time": "25:00"}, "checkin_time", id="no-such-hour"),
        pytest.param({"checkin_time": "10:00+02:00"}, "checkin_time", id="time-with-offset"),
        pytest.param({"timezone": "Mars/Olympus"}, "timezone", id="unknown-zone"),
        pytest.param({"language": "klingon"}, "language", id="unknown-language"),
        pytest.param({"channel_order": "pigeon"}, "channel_order", id="unknown-channel"),
        pytest.param({"channel_order": "sms,sms"}, "channel_order", id="repeated-channel"),
        pytest.param({"channel_order": 7}, "channel_order", id="not-a-string"),
        pytest.param({"quiet_start": "21:00", "quiet_end": None}, "quiet_end", id="half-quiet"),
        pytest.param({"quiet_start": None}, "quiet_end", id="half-quiet-off"),
        pytest.param({"display_name": "Ana S."}, "display_name", id="the-clinics-field"),
        pytest.param({"on_anticoagulants": False}, "on_anticoagulants", id="clinical-field"),
        pytest.param({"status": "ended"}, "status", id="own-status"),
    ],
)
def test_a_wrong_or_forbidden_change_is_a_400_naming_the_field_and_changes_nothing(
    as_ana, ana, anas_block, body, field
):
    before = as_ana.get(ME).json()

    response = as_ana.patch(ME, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert as_ana.get(ME).json() == before
    assert daily_times(anas_block) == {time(10, 0)}


def test_bens_change_is_his_own(as_ben, ben, ana):
    assert as_ben.patch(ME, {"checkin_time": "07:00"}, format="json").status_code == 200

    ana.refresh_from_db()
    ben.refresh_from_db()
    assert (ana.checkin_time, ben.checkin_time) == (time(10, 0), time(7, 0))


def test_staff_and_strangers_cannot_change_a_patients_settings(as_cole, anon):
    assert as_cole.patch(ME, {"checkin_time": "07:00"}, format="json").status_code == 404
    assert anon.patch(ME, {"checkin_time": "07:00"}, format="json").status_code == 401
