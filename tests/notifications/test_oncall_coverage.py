"""Who is on call, whether they can be reached, and the warnings a clinic admin reads
about the next 24 hours: a night with no primary, a nurse nobody can page.

North is in London (BST, UTC+1, in June). It is 08:00 there on Wednesday 10 June 2026.
"""

from datetime import UTC, datetime, timedelta

import pytest

from diary.services import DiaryError
from notifications import oncall
from tests.factories import StaffFactory

NOW = datetime(2026, 6, 10, 7, 0, tzinfo=UTC)  # 08:00 in London
HOUR = timedelta(hours=1)
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def at(hours: float) -> datetime:
    """``hours`` after 08:00 London time today."""
    return NOW + timedelta(hours=hours)


@pytest.fixture
def channels(clean_channel_env, settings):
    """Sets which channels the server can send on; none until told."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = ""

    def enable(*names):
        if "email" in names:
            settings.EMAIL_BACKEND = LOCMEM_BACKEND
        if "sms" in names:
            clean_channel_env.setenv("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef")
            clean_channel_env.setenv("TWILIO_AUTH_TOKEN", "twilio-test-auth-token")
            clean_channel_env.setenv("TWILIO_FROM", "+442079460999")
        if "fcm" in names:
            clean_channel_env.setenv("FCM_PROJECT_ID", "north-diary")
            clean_channel_env.setenv("FCM_ACCESS_TOKEN", "ya29.fcm-test-token")

    return enable


@pytest.fixture
def nia(nurse_nia):
    """Nurse Nia with her name, but no phone, e-mail or device yet."""
    nurse_nia.first_name = "Nia"
    nurse_nia.save(update_fields=["first_name"])
    return nurse_nia


@pytest.fixture
def cole(dr_cole):
    dr_cole.first_name, dr_cole.last_name, dr_cole.email = "Ada", "Cole", "cole@north.example"
    dr_cole.save(update_fields=["first_name", "last_name", "email"])
    return dr_cole


def shift(user, role, starts_at, ends_at):
    return oncall.create_shift(
        clinic=user.membership.clinic, user=user, role=role, starts_at=starts_at, ends_at=ends_at
    )


# --- on_call ------------------------------------------------------------------------


def test_a_shift_covers_its_start_but_not_its_end(north, nia):
    shift(nia, "primary", at(0), at(10))

    assert oncall.on_call(north.pk, at(0)).primary == [nia]
    assert oncall.on_call(north.pk, at(10) - timedelta(microseconds=1)).primary == [nia]
    assert oncall.on_call(north.pk, at(10)).primary == []
    assert oncall.on_call(north.pk, at(0) - timedelta(microseconds=1)).primary == []


def test_on_call_lists_primaries_and_backups_by_start_in_one_query(
    north, nia, cole, django_assert_num_queries
):
    mara = StaffFactory(user__username="mara", clinic=north, is_admin=True).user
    shift(cole, "backup", at(-2), at(10))
    shift(mara, "primary", at(-1), at(10))
    shift(nia, "primary", at(-3), at(10))
    shift(nia, "primary", at(-1), at(12))  # a generous handover: still paged once

    with django_assert_num_queries(1):
        now = oncall.on_call(north.pk, at(0))
        phones = [user.membership.phone for user in now.primary + now.backup]

    assert now.primary == [nia, mara]
    assert now.backup == [cole]
    assert phones == ["", "", ""]


def test_omar_s_shifts_at_south_are_not_north_s(north, south, nia, omar):
    shift(omar, "primary", at(0), at(10))

    assert oncall.on_call(north.pk, at(1)).primary == []
    assert oncall.on_call(south.pk, at(1)).primary == [omar]


def test_a_nurse_who_moved_to_another_clinic_is_no_longer_on_call_there(north, south, nia):
    shift(nia, "primary", at(0), at(10))
    nia.membership.clinic = south
    nia.membership.save(update_fields=["clinic"])

    assert oncall.on_call(north.pk, at(1)).primary == []


# --- shifts -------------------------------------------------------------------------


def test_omar_cannot_be_put_on_north_s_rota(north, omar):
    with pytest.raises(DiaryError) as refused:
        oncall.create_shift(clinic=north, user=omar, role="primary", starts_at=at(0), ends_at=at(8))
    assert refused.value.field == "user"


def test_a_switched_off_account_cannot_be_put_on_call(north, nia):
    nia.is_active = False
    nia.save(update_fields=["is_active"])

    with pytest.raises(DiaryError) as refused:
        shift(nia, "primary", at(0), at(8))
    assert (refused.value.field, refused.value.message) == (
        "user",
        "Nia's account is switched off.",
    )


@pytest.mark.parametrize(
    ("ends_at", "message"),
    [
        (at(0), "Must be after starts_at."),
        (at(-1), "Must be after starts_at."),
        (at(31 * 24 + 1), "A shift lasts at most 31 days; add another for the rest."),
    ],
)
def test_a_shift_ending_too_soon_or_too_late_is_refused(north, nia, ends_at, message):
    with pytest.raises(DiaryError) as refused:
        shift(nia, "primary", at(0), ends_at)
    assert (refused.value.field, refused.value.message) == ("ends_at", message)


def test_a_shift_of_exactly_31_days_is_allowed(north, nia):
    assert shift(nia, "primary", at(0), at(31 * 24)).pk


def test_moving_a_shift_s_start_past_its_end_is_refused_and_changes_nothing(north, nia):
    booked = shift(nia, "primary", at(0), at(10))

    with pytest.raises(DiaryError) as refused:
        oncall.update_shift(booked, starts_at=at(11))

    assert refused.value.field == "ends_at"
    booked.refresh_from_db()
    assert booked.starts_at == at(0)


# --- gaps ---------------------------------------------------------------------------


def test_gaps_are_the_parts_of_the_window_no_span_covers():
    spans = [(at(2), at(5)), (at(4), at(8)), (at(10), at(30))]

    assert oncall.gaps(spans, at(0), at(24)) == [(at(0), at(2)), (at(8), at(10))]
    assert oncall.gaps([], at(0), at(24)) == [(at(0), at(24))]
    assert oncall.gaps([(at(-5), at(30))], at(0), at(24)) == []
    assert oncall.gaps([(at(-5), at(3))], at(0), at(24)) == [(at(3), at(24))]


# --- coverage warnings --------------------------------------------------------------


def test_a_rota_covered_by_reachable_people_has_no_warnings(north, nia, cole, channels):
    channels("email")
    nia.email = "nia@north.example"
    nia.save(update_fields=["email"])
    shift(nia, "primary", at(-2), at(10))
    shift(cole, "primary", at(10), at(30))
    shift(cole, "backup", at(-2), at(10))

    assert oncall.coverage_warnings(north, NOW) == []


def test_a_night_with_no_primary_is_named_in_the_clinic_s_time(north, cole, channels):
    channels("email")
    shift(cole, "primary", at(-1), at(10))  # until 18:00 London time
    shift(cole, "primary", at(23), at(33))  # from 07:00 tomorrow
    shift(cole, "backup", at(10), at(23))  # a backup alone does not cover the night

    assert oncall.coverage_warnings(north, NOW) == [
        "No primary on call from 18:00 to Thu 11 Jun 07:00 (Europe/London)."
    ]


def test_a_gap_starting_now_and_one_at_the_end_of_the_day_are_both_named(north, cole, channels):
    channels("email")
    shift(cole, "primary", at(2), at(12))  # 10:00 to 20:00

    assert oncall.coverage_warnings(north, NOW) == [
        "No primary on call from now to 10:00 (Europe/London).",
        "No primary on call from 20:00 to Thu 11 Jun 08:00 (Europe/London).",
    ]


def test_nobody_on_the_rota_is_one_warning(north, channels):
    channels("email")

    assert oncall.coverage_warnings(north, NOW) == [
        "No primary on call in the next 24 hours (Europe/London)."
    ]


def test_south_s_gaps_are_told_in_new_york_time(south, omar, channels):
    channels("email")
    omar.email = "omar@south.example"
    omar.save(update_fields=["email"])
    shift(omar, "primary", at(0), at(13))  # 03:00 to 16:00 in New York (EDT, UTC-4)

    assert oncall.coverage_warnings(south, NOW) == [
        "No primary on call from 16:00 to Thu 11 Jun 03:00 (America/New_York)."
    ]


def test_nia_on_call_with_no_working_channel_is_told_what_to_add(north, nia, cole, channels):
    channels("email", "sms", "fcm")
    shift(nia, "primary", at(-1), at(30))
    shift(cole, "backup", at(-1), at(30))

    assert oncall.coverage_warnings(north, NOW) == [
        "Nia is on call but has no working channel: add a phone, an e-mail or a device."
    ]


def test_only_what_the_server_can_send_is_suggested(north, nia, channels):
    channels("email")
    nia.membership.phone = "+447700900456"  # no use: SMS is not set up here
    nia.membership.save(update_fields=["phone"])
    shift(nia, "primary", at(-1), at(30))

    assert oncall.coverage_warnings(north, NOW) == [
        "Nia is on call but has no working channel: add an e-mail."
    ]


def test_a_backup_later_today_who_cannot_be_reached_is_warned_about_too(north, nia, cole, channels):
    channels("email")
    shift(cole, "primary", at(-1), at(30))
    shift(nia, "backup", at(12), at(20))

    assert oncall.coverage_warnings(north, NOW) == [
        "Nia is on call but has no working channel: add an e-mail."
    ]


def test_with_no_channel_set_up_the_server_is_blamed_not_the_nurse(north, nia, channels):
    shift(nia, "primary", at(-1), at(30))

    assert oncall.coverage_warnings(north, NOW) == [
        "No channel is set up on the server (push, SMS or e-mail): nobody can be paged."
    ]


# --- working channels ---------------------------------------------------------------


def test_nia_s_channels_are_those_she_has_and_the_server_can_send(nia, channels):
    channels("email", "sms", "fcm")
    assert oncall.working_channels(nia) == []

    nia.email = "nia@north.example"
    nia.save(update_fields=["email"])
    nia.membership.phone = "+447700900456"
    nia.membership.save(update_fields=["phone"])
    oncall.register_staff_device(user=nia, platform="fcm", token="fcm:nia-pixel")

    assert oncall.working_channels(nia) == ["push", "sms", "email"]


def test_an_iphone_is_no_use_without_apns_nor_a_disabled_phone(nia, channels):
    channels("fcm")
    oncall.register_staff_device(user=nia, platform="apns", token="apns:nia-iphone")
    assert oncall.working_channels(nia) == []

    pixel, _ = oncall.register_staff_device(user=nia, platform="fcm", token="fcm:nia-pixel")
    assert oncall.working_channels(nia) == ["push"]

    pixel.disabled_at = NOW
    pixel.save(update_fields=["disabled_at"])

    assert oncall.working_channels(nia) == []


def test_channels_of_several_people_cost_one_query(nia, cole, channels, django_assert_num_queries):
    channels("email", "fcm")
    oncall.register_staff_device(user=nia, platform="fcm", token="fcm:nia-pixel")

    with django_assert_num_queries(1):
        found = oncall.channels_by_user([nia, cole])

    assert found == {nia.pk: ["push"], cole.pk: ["email"]}
