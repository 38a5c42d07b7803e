"""Staff management through the API: Mara, North's admin, lists North's people, invites
Ravi, changes Nia's roles and name, switches accounts off and on, and is never allowed to
leave North without an active admin. Dr Cole and Nia (no admin role) are refused; Omar,
South's admin, finds none of North's people."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from rest_framework.test import APIClient

from diary import services
from diary.models import AccessToken, StaffMembership
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {services.issue_staff_token(user)}")
    return client


@pytest.fixture
def as_mara(mara):
    return api_as(mara)


@pytest.fixture
def emailed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def url(member=None, action=""):
    return "/api/v1/staff/" if member is None else f"/api/v1/staff/{member.pk}/{action}"


def test_mara_lists_norths_staff_a_page_at_a_time(as_mara, mara, nurse_nia, dr_cole, omar):
    listed = as_mara.get("/api/v1/staff/?page_size=2")

    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 3  # Omar is South's
    assert len(body["results"]) == 2 and body["next"]
    every = as_mara.get("/api/v1/staff/").json()["results"]
    assert {m["username"] for m in every} == {"mara", "nia", "dr.cole"}
    nia = next(m for m in every if m["username"] == "nia")
    assert nia["id"] == nurse_nia.membership.pk and nia["user"] == nurse_nia.pk
    assert (nia["is_oncall"], nia["is_admin"], nia["is_active"]) == (True, False, True)


def test_listing_staff_takes_the_same_queries_for_three_or_thirty(
    as_mara, north, django_assert_num_queries
):
    StaffFactory.create_batch(2, clinic=north)
    with django_assert_num_queries(3):  # the token with its user and membership, count, page
        assert as_mara.get("/api/v1/staff/").status_code == 200
    StaffFactory.create_batch(27, clinic=north)
    with django_assert_num_queries(3):
        assert len(as_mara.get("/api/v1/staff/").json()["results"]) == 30


def test_mara_invites_ravi_who_is_emailed_a_link_that_expires(as_mara, emailed):
    with emailed():
        made = as_mara.post(
            url(),
            {"email": "ravi.patel@north.example.org", "first_name": "Ravi", "is_oncall": True},
        )

    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["username"], body["has_password"], body["is_oncall"]) == (
        "ravi.patel",
        False,
        True,
    )
    assert not body["is_admin"] and not body["is_clinician"]
    (message,) = mail.outbox
    assert message.to == ["ravi.patel@north.example.org"]
    assert "/dashboard/set-password/" in message.body and "3 days" in message.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "MARA@north.example.org", "first_name": "M"}, "email"),
        ({"email": "ravi@", "first_name": "Ravi"}, "email"),
        ({"first_name": "Ravi"}, "email"),
        ({"email": "ravi@north.example.org"}, "first_name"),
        ({"email": "ravi@north.example.org", "first_name": "   "}, "first_name"),
        ({"email": "ravi@north.example.org", "first_name": "R", "is_admin": "yes"}, "is_admin"),
        ({"email": "ravi@north.example.org", "first_name": "R", "role": "admin"}, "role"),
        ({"email": ["ravi@north.example.org"], "first_name": "R"}, "email"),
    ],
)
def test_a_bad_or_taken_invitation_names_the_field_and_invites_nobody(as_mara, body, field):
    refused = as_mara.post(url(), body)

    assert refused.status_code == 400
    assert field in refused.json()["fields"]
    assert StaffMembership.objects.count() == 1 and mail.outbox == []


def test_mara_corrects_nias_name_and_roles_in_one_change(as_mara, nurse_nia, caplog):
    nia = nurse_nia.membership
    with caplog.at_level(logging.INFO, logger="diary.services.staff"):
        changed = as_mara.patch(
            url(nia), {"first_name": " Nia ", "last_name": "Okafor", "is_clinician": True}
        )

    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert (body["first_name"], body["last_name"]) == ("Nia", "Okafor")
    assert (body["is_clinician"], body["is_oncall"], body["is_admin"]) == (True, True, False)
    assert "staff roles changed" in caplog.text


def test_a_new_email_for_a_pending_invitee_sends_a_fresh_link_there(as_mara, north, mara, emailed):
    with emailed():
        ravi, _ = services.invite_staff(
            north, email="ravi@wrong.example", first_name="Ravi", last_name="", roles=[], by=mara
        )
        changed = as_mara.patch(url(ravi.membership), {"email": "ravi@north.example.org"})

    assert changed.status_code == 200
    assert [m.to for m in mail.outbox] == [["ravi@wrong.example"], ["ravi@north.example.org"]]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"email": "Mara@North.example.org"}, "email", "already has an account"),
        ({"email": "nia@"}, "email", "valid"),
        ({"first_name": ""}, "first_name", ""),
        ({"last_name": "x" * 151}, "last_name", "150"),
        ({"username": "boss"}, "username", "Unknown field"),
        ({"is_active": False}, "is_active", "Unknown field"),
    ],
)
def test_a_bad_change_names_the_field_and_changes_nothing(
    as_mara, nurse_nia, ravi, body, field, words
):
    before = as_mara.get(url(nurse_nia.membership)).json()
    refused = as_mara.patch(url(nurse_nia.membership), body)

    assert refused.status_code == 400
    assert words in " ".join(refused.json()["fields"][field])
    assert as_mara.get(url(nurse_nia.membership)).json() == before


def test_the_last_active_admin_cannot_demote_or_deactivate_herself(as_mara, mara):
    demoted = as_mara.patch(url(mara.membership), {"is_admin": False})
    switched_off = as_mara.post(url(mara.membership, "deactivate/"))

    assert demoted.status_code == 400
    assert "at least one active admin" in demoted.json()["fields"]["is_admin"][0]
    assert switched_off.status_code == 400
    assert "is_active" in switched_off.json()["fields"]
    mara.refresh_from_db()
    assert mara.is_active and mara.membership.is_admin


def test_a_change_is_all_or_nothing(as_mara, mara):
    refused = as_mara.patch(url(mara.membership), {"first_name": "Mara", "is_admin": False})

    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["is_admin"]
    mara.refresh_from_db()
    assert mara.first_name == "" and mara.membership.is_admin


def test_with_a_second_admin_mara_may_step_down(as_mara, mara, nurse_nia):
    assert as_mara.patch(url(nurse_nia.membership), {"is_admin": True}).status_code == 200
    assert as_mara.patch(url(mara.membership), {"is_admin": False}).json()["is_admin"] is False
    assert as_mara.get(url()).status_code == 403  # no longer hers


def test_deactivating_nia_revokes_her_tokens_until_reactivated(as_mara, bearer, nurse_nia, caplog):
    as_nia = api_as(nurse_nia)
    with caplog.at_level(logging.INFO, logger="diary.services.staff"):
        off = as_mara.post(url(nurse_nia.membership, "deactivate/"))

    assert off.status_code == 200 and off.json()["is_active"] is False
    assert "staff deactivated" in caplog.text
    assert not AccessToken.objects.filter(user=nurse_nia).exists()
    assert as_nia.get("/api/v1/patients/").status_code == 401
    on = as_mara.post(url(nurse_nia.membership, "reactivate/"))
    assert on.status_code == 200 and on.json()["is_active"] is True


def test_a_new_link_goes_to_an_active_colleague_only(as_mara, ravi, emailed):
    with emailed():
        sent = as_mara.post(url(ravi.membership, "resend-invitation/"))
    assert sent.status_code == 200 and mail.outbox[0].to == [ravi.email]

    as_mara.post(url(ravi.membership, "deactivate/"))
    refused = as_mara.post(url(ravi.membership, "resend-invitation/"))
    assert refused.status_code == 400 and "is_active" in refused.json()["fields"]


def test_staff_without_the_admin_role_are_refused_every_call(bearer, dr_cole, nurse_nia, mara):
    for who in (dr_cole, nurse_nia):
        api = api_as(who)
        mara_member = mara.membership
        for method, path, body in [
            ("get", url(), None),
            ("post", url(), {"email": "x@north.example.org", "first_name": "X"}),
            ("get", url(mara_member), None),
            ("patch", url(mara_member), {"is_admin": False}),
            ("post", url(mara_member, "deactivate/"), None),
            ("post", url(mara_member, "reactivate/"), None),
            ("post", url(mara_member, "resend-invitation/"), None),
        ]:
            answer = getattr(api, method)(path, body, format="json")
            assert answer.status_code == 403, (who.username, method, path)
            assert answer.json()["message"] == "Only clinic admins manage staff."
    assert get_user_model().objects.filter(email="x@north.example.org").count() == 0


def test_omar_of_south_finds_none_of_norths_people(bearer, omar, mara, as_ana):
    south = api_as(omar)
    assert [m["username"] for m in south.get(url()).json()["results"]] == ["omar"]
    for method, action in [
        ("get", ""),
        ("patch", ""),
        ("post", "deactivate/"),
        ("post", "reactivate/"),
        ("post", "resend-invitation/"),
    ]:
        answer = getattr(south, method)(url(mara.membership, action), {}, format="json")
        assert answer.status_code == 404, (method, action)
    assert as_ana.get(url()).status_code == 404  # a patient's token
    mara.refresh_from_db()
    assert mara.is_active


def test_the_database_itself_refuses_a_second_account_for_one_address(mara):
    users = get_user_model().objects
    users.create_user(username="no-email-1")
    users.create_user(username="no-email-2")  # blank addresses are not one address

    with pytest.raises(IntegrityError), transaction.atomic():
        users.create_user(username="mara-again", email="MARA@north.example.org")
