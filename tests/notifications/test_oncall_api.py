"""North's rota through the API: Mara, the clinic admin, books nurse Nia and Dr Cole on
call; everyone at North can read it; only Mara can change it; Omar, of South, sees none
of it. Staff register their phones for alert pushes.

North is in London (BST, UTC+1, in June). Nia's night shift runs 18:00 to 08:00 there.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from diary import services as diary_services
from notifications import oncall
from notifications.models import OnCallShift, StaffDevice
from tests.factories import StaffFactory

SHIFTS = "/api/v1/oncall/shifts/"
ON_CALL = "/api/v1/oncall/"
DEVICES = "/api/v1/staff/devices/"
NIGHT_STARTS = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 18:00 in London
NIGHT_ENDS = datetime(2026, 6, 11, 7, 0, tzinfo=UTC)  # 08:00 the next morning
TICK = timedelta(microseconds=1)


def shift_url(shift) -> str:
    return f"{SHIFTS}{shift.id}/"


@pytest.fixture
def mara(north):
    return StaffFactory(user__username="mara", clinic=north, is_admin=True).user


@pytest.fixture
def as_mara(mara, bearer):
    return bearer(diary_services.issue_staff_token(mara))


@pytest.fixture
def nias_night(nurse_nia):
    return oncall.create_shift(
        clinic=nurse_nia.membership.clinic,
        user=nurse_nia,
        role="primary",
        starts_at=NIGHT_STARTS,
        ends_at=NIGHT_ENDS,
    )


@pytest.fixture
def email_on(clean_channel_env, settings):
    """E-mail is the one channel the server can send on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def night_body(person, **changes):
    body = {
        "user": person.id,
        "role": "primary",
        "starts_at": "2026-06-10T18:00:00+01:00",
        "ends_at": "2026-06-11T08:00:00+01:00",
    }
    body.update(changes)
    return body


# --- Booking the rota ---------------------------------------------------------------


def test_mara_books_nia_for_the_night(as_mara, north, nurse_nia):
    response = as_mara.post(SHIFTS, night_body(nurse_nia))

    assert response.status_code == 201
    body = response.json()
    shift = OnCallShift.objects.get()
    assert body == {
        "id": shift.id,
        "user": nurse_nia.id,
        "user_name": "nia",
        "role": "primary",
        "starts_at": "2026-06-10T17:00:00Z",
        "ends_at": "2026-06-11T07:00:00Z",
        "created_at": body["created_at"],
    }
    assert (shift.clinic, shift.starts_at, shift.ends_at) == (north, NIGHT_STARTS, NIGHT_ENDS)


def test_mara_moves_the_end_of_nia_s_night_then_cancels_it(as_mara, nias_night):
    response = as_mara.patch(shift_url(nias_night), {"ends_at": "2026-06-11T09:00:00+01:00"})

    assert response.status_code == 200
    assert response.json()["ends_at"] == "2026-06-11T08:00:00Z"
    nias_night.refresh_from_db()
    assert nias_night.ends_at == NIGHT_ENDS + timedelta(hours=1)

    assert as_mara.delete(shift_url(nias_night)).status_code == 204
    assert not OnCallShift.objects.exists()


def test_dr_cole_reads_the_rota_but_cannot_change_it(as_cole, dr_cole, nias_night):
    listed = as_cole.get(SHIFTS)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [nias_night.id]
    assert as_cole.get(shift_url(nias_night)).json()["user_name"] == "nia"

    refused = [
        as_cole.post(SHIFTS, night_body(dr_cole)),
        as_cole.patch(shift_url(nias_night), {"role": "backup"}),
        as_cole.delete(shift_url(nias_night)),
    ]

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert refused[0].json()["message"] == "Only clinic admins can change on-call shifts."
    nias_night.refresh_from_db()
    assert nias_night.role == "primary"
    assert OnCallShift.objects.count() == 1


def test_nia_cannot_book_herself_either(as_nia, nurse_nia):
    response = as_nia.post(SHIFTS, night_body(nurse_nia))

    assert response.status_code == 403
    assert not OnCallShift.objects.exists()


def test_omar_sees_nothing_of_north_s_rota(as_omar, nias_night):
    assert as_omar.get(SHIFTS).json()["results"] == []
    assert as_omar.get(shift_url(nias_night)).status_code == 404
    assert as_omar.patch(shift_url(nias_night), {"role": "backup"}).status_code == 404
    assert as_omar.delete(shift_url(nias_night)).status_code == 404
    assert OnCallShift.objects.get().role == "primary"


def test_ana_the_patient_finds_no_rota(as_ana, nias_night):
    assert as_ana.get(SHIFTS).status_code == 404
    assert as_ana.get(ON_CALL).status_code == 404


# --- Bad input names the field ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2026-06-10T17:00:00+01:00"}, "ends_at"),  # before it starts
        ({"ends_at": "2026-06-10T18:00:00+01:00"}, "ends_at"),  # as it starts
        ({"ends_at": "2026-07-12T08:00:00+01:00"}, "ends_at"),  # more than 31 days
        ({"starts_at": "2026-06-10T18:00:00"}, "starts_at"),  # no offset: ambiguous
        ({"ends_at": "tomorrow"}, "ends_at"),
        ({"role": "deputy"}, "role"),
        ({"user": "7"}, "user"),
        ({"clinic": 1}, "clinic"),
        ({"created_at": "2026-06-10T18:00:00Z"}, "created_at"),
    ],
)
def test_a_bad_shift_is_refused_naming_the_field(as_mara, nurse_nia, changes, field):
    response = as_mara.post(SHIFTS, night_body(nurse_nia, **changes))

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not OnCallShift.objects.exists()


def test_omar_cannot_be_put_on_north_s_rota(as_mara, omar):
    response = as_mara.post(SHIFTS, night_body(omar))

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "user": [f"No staff member of your clinic has id {omar.id}."]
    }


def test_a_patch_that_would_end_the_shift_before_it_starts_is_refused(as_mara, nias_night):
    response = as_mara.patch(shift_url(nias_night), {"starts_at": "2026-06-11T09:00:00+01:00"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"ends_at": ["Must be after starts_at."]}
    nias_night.refresh_from_db()
    assert nias_night.starts_at == NIGHT_STARTS


# --- Filters ------------------------------------------------------------------------


@pytest.fixture
def rota(north, nurse_nia, dr_cole, nias_night):
    """Nia's night as primary, Dr Cole her backup, and Dr Cole's day after it."""
    coles_backup = oncall.create_shift(
        clinic=north, user=dr_cole, role="backup", starts_at=NIGHT_STARTS, ends_at=NIGHT_ENDS
    )
    coles_day = oncall.create_shift(
        clinic=north,
        user=dr_cole,
        role="primary",
        starts_at=NIGHT_ENDS,
        ends_at=NIGHT_ENDS + timedelta(hours=10),
    )
    return {"nias_night": nias_night, "coles_backup": coles_backup, "coles_day": coles_day}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_the_rota_filters_by_role_user_and_moment(as_cole, rota, dr_cole):
    night, backup, day = rota["nias_night"].id, rota["coles_backup"].id, rota["coles_day"].id

    assert ids(as_cole.get(SHIFTS)) == [night, backup, day]
    assert ids(as_cole.get(SHIFTS, {"role": "backup"})) == [backup]
    assert ids(as_cole.get(SHIFTS, {"user": dr_cole.id})) == [backup, day]
    assert ids(as_cole.get(SHIFTS, {"active_at": "2026-06-10T18:00:00+01:00"})) == [night, backup]
    assert ids(as_cole.get(SHIFTS, {"active_at": "2026-06-11T07:00:00Z"})) == [day]
    assert ids(as_cole.get(SHIFTS, {"active_at": "2026-06-10T16:59:59Z", "role": "primary"})) == []


@pytest.mark.parametrize(
    "moment",
    [
        "2026-06-10T18:00:00",
        "yesterday",
        "2026-02-31T10:00:00Z",
        # Beyond PostgreSQL's ±15:59 (no zone is that far from UTC): a 500 in the query.
        "2026-12-02T10:00:00+16:00",
        "2026-12-02T10:00:00-23:59",
    ],
)
def test_active_at_without_an_offset_or_not_a_time_is_refused(as_cole, rota, moment):
    response = as_cole.get(SHIFTS, {"active_at": moment})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["active_at"]


# --- Who is on call now -------------------------------------------------------------


def test_nia_is_on_call_from_the_first_moment_of_her_night(as_cole, rota, email_on):
    with time_machine.travel(NIGHT_STARTS, tick=False):
        body = as_cole.get(ON_CALL).json()

    assert [person["username"] for person in body["primary"]] == ["nia"]
    assert [person["username"] for person in body["backup"]] == ["dr.cole"]


def test_nobody_is_primary_the_moment_before_her_night(as_cole, rota, email_on):
    with time_machine.travel(NIGHT_STARTS - TICK, tick=False):
        body = as_cole.get(ON_CALL).json()

    assert body["primary"] == [] and body["backup"] == []


def test_at_the_end_of_her_night_the_day_belongs_to_dr_cole(as_cole, rota, email_on):
    with time_machine.travel(NIGHT_ENDS - TICK, tick=False):
        assert [p["username"] for p in as_cole.get(ON_CALL).json()["primary"]] == ["nia"]
    with time_machine.travel(NIGHT_ENDS, tick=False):
        body = as_cole.get(ON_CALL).json()

    assert [p["username"] for p in body["primary"]] == ["dr.cole"]
    assert body["backup"] == []


def test_on_call_now_says_how_each_is_paged_and_what_is_missing(
    as_nia, rota, nurse_nia, dr_cole, email_on
):
    dr_cole.first_name, dr_cole.last_name, dr_cole.email = "Ada", "Cole", "cole@north.example"
    dr_cole.save(update_fields=["first_name", "last_name", "email"])

    with time_machine.travel(NIGHT_STARTS + timedelta(hours=1), tick=False):
        body = as_nia.get(ON_CALL).json()

    assert body["primary"] == [
        {"id": nurse_nia.id, "username": "nia", "name": "nia", "channels": []}
    ]
    assert body["backup"] == [
        {"id": dr_cole.id, "username": "dr.cole", "name": "Ada Cole", "channels": ["email"]}
    ]
    assert body["warnings"] == [
        "No primary on call from Thu 11 Jun 18:00 to 19:00 (Europe/London).",
        "nia is on call but has no working channel: add an e-mail.",
    ]


def test_omar_sees_south_s_empty_rota_not_north_s(as_omar, rota, email_on):
    with time_machine.travel(NIGHT_STARTS, tick=False):
        body = as_omar.get(ON_CALL).json()

    assert body == {
        "primary": [],
        "backup": [],
        "warnings": ["No primary on call in the next 24 hours (America/New_York)."],
    }


# --- Staff phones -------------------------------------------------------------------


def test_nia_registers_her_phone_and_registering_it_again_changes_nothing(as_nia, nurse_nia):
    first = as_nia.post(DEVICES, {"platform": "fcm", "token": "fcm:nia-pixel"})
    again = as_nia.post(DEVICES, {"platform": "fcm", "token": "fcm:nia-pixel"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    device = StaffDevice.objects.get()
    assert (device.user, device.platform, device.token) == (nurse_nia, "fcm", "fcm:nia-pixel")


def test_a_phone_handed_to_dr_cole_pages_him_and_works_again(as_cole, nurse_nia, dr_cole):
    handed, _ = oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:ward-1")
    handed.disabled_at = NIGHT_STARTS
    handed.save(update_fields=["disabled_at"])

    response = as_cole.post(DEVICES, {"platform": "fcm", "token": "fcm:ward-1"})

    assert response.status_code == 200
    handed.refresh_from_db()
    assert (handed.user, handed.disabled_at) == (dr_cole, None)


def test_a_phone_of_another_clinic_cannot_be_taken_over(as_omar, nurse_nia):
    norths, _ = oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:ward-1")

    response = as_omar.post(DEVICES, {"platform": "fcm", "token": "fcm:ward-1"})

    assert response.status_code == 400
    assert response.json()["fields"] == {"token": ["This phone is registered at another clinic."]}
    norths.refresh_from_db()
    assert norths.user == nurse_nia  # North's pages still go to North's nurse


def test_nia_removes_her_own_phone_but_not_dr_cole_s(as_nia, nurse_nia, dr_cole):
    hers, _ = oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia")
    his, _ = oncall.register_staff_device(user=dr_cole, platform="apns", token="apns:cole")

    assert as_nia.delete(f"{DEVICES}{his.id}/").status_code == 404
    assert as_nia.delete(f"{DEVICES}{hers.id}/").status_code == 204
    assert list(StaffDevice.objects.all()) == [his]


def test_omar_cannot_remove_a_north_phone(as_omar, nurse_nia):
    hers, _ = oncall.register_staff_device(user=nurse_nia, platform="fcm", token="fcm:nia")

    assert as_omar.delete(f"{DEVICES}{hers.id}/").status_code == 404
    assert StaffDevice.objects.filter(pk=hers.pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"platform": "pager", "token": "123"}, "platform"),
        ({"platform": "fcm", "token": ""}, "token"),
        ({"platform": "fcm", "token": 7}, "token"),
        ({"platform": "fcm", "token": "fcm:nia", "user": 1}, "user"),
    ],
)
def test_a_bad_device_is_refused_naming_the_field(as_nia, body, field):
    response = as_nia.post(DEVICES, body)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not StaffDevice.objects.exists()


def test_a_patient_cannot_register_a_staff_phone(as_ana):
    assert as_ana.post(DEVICES, {"platform": "fcm", "token": "fcm:ana"}).status_code == 404
