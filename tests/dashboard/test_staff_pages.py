"""Staff management from the dashboard: Mara, North's admin, invites Ravi, who sets his
password from the e-mailed link and signs in; she changes roles and switches Nia's account
off, but never leaves North without an admin. Dr Cole (no admin role) is refused every page;
Omar, South's admin, sees only South's people."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from diary import services
from diary.models import AccessToken, StaffMembership
from diary.services import DiaryError
from tests.dashboard import PASSWORD, signed_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "tangerine ladder 42"
# The session and its signed-in staff member, the count and the page of people, the messages:
# the same for one colleague or thirty.
QUERIES_FOR_A_PAGE = 9


@pytest.fixture
def as_mara(mara):
    return signed_in(mara)


@pytest.fixture
def emailed(django_capture_on_commit_callbacks):
    """Runs the after-commit callbacks of what it wraps, so the invitation is really sent."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def invite(client, **fields):
    body = {
        "email": "ravi.patel@north.example.org",
        "first_name": "Ravi",
        "last_name": "Patel",
        "is_oncall": "on",
        **fields,
    }
    return client.post("/dashboard/staff/invite/", body)


def member_url(user, action=""):
    return f"/dashboard/staff/{user.membership.pk}/{action}"


def link_in(message) -> str:
    return re.search(r"http://\S+/dashboard/set-password/\S+/", message.body).group(0)


def open_link(client, link):
    """Django's view moves the token out of the address first; follow it there."""
    return client.get(link.removeprefix(settings.SITE_URL), follow=True)


def can_sign_in(username, password) -> bool:
    sent = Client().post("/dashboard/login/", {"username": username, "password": password})
    return sent.status_code == 302


# --- Inviting a colleague ---------------------------------------------------------------


def test_mara_invites_ravi_who_sets_his_password_from_the_email_and_signs_in(
    as_mara, north, emailed
):
    with emailed():
        sent = invite(as_mara)

    assert sent.status_code == 302
    ravi = get_user_model().objects.get(email="ravi.patel@north.example.org")
    membership = ravi.membership
    assert (membership.clinic, membership.is_oncall) == (north, True)
    assert not membership.is_clinician and not membership.is_admin
    assert ravi.username == "ravi.patel" and not ravi.has_usable_password()
    assert "Ravi Patel is invited" in as_mara.get(sent["Location"]).content.decode()

    (message,) = mail.outbox
    assert message.to == ["ravi.patel@north.example.org"]
    assert "mara has invited you to North" in message.body
    assert "Your username is: ravi.patel" in message.body
    assert "3 days" in message.body

    ravis_browser = Client()
    form = open_link(ravis_browser, link_in(message))
    assert form.status_code == 200
    assert "Choose your password" in form.content.decode()
    assert "ravi.patel" in form.content.decode()
    done = ravis_browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert ravis_browser.get("/dashboard/").status_code == 200  # signed in already
    assert can_sign_in("ravi.patel", NEW_PASSWORD)

    again = open_link(Client(), link_in(message))
    assert "This link no longer works" in again.content.decode()  # it worked once


def test_an_expired_link_is_refused_with_a_page_that_says_so(as_mara, emailed):
    with emailed():
        invite(as_mara)
    link = link_in(mail.outbox[0])

    later = timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        refused = open_link(Client(), link)

    page = refused.content.decode()
    assert refused.status_code == 200
    assert "This link no longer works" in page and "expired" in page
    assert "new_password1" not in page


@pytest.mark.parametrize("uid", ["xx", "MQ", "OTk5OQ"])  # not base64, a user, nobody
def test_a_mangled_link_is_a_clear_page_not_an_error(client, mara, uid):
    answer = client.get(f"/dashboard/set-password/{uid}/abc-123/", follow=True)

    assert answer.status_code == 200
    assert "This link no longer works" in answer.content.decode()


def test_a_new_link_can_be_sent_and_the_account_of_a_deactivated_colleague_ignores_it(
    as_mara, nurse_nia, emailed
):
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save()
    with emailed():
        assert as_mara.post(member_url(nurse_nia, "resend/")).status_code == 302
    link = link_in(mail.outbox[0])
    as_mara.post(member_url(nurse_nia, "deactivate/"))

    assert "This link no longer works" in open_link(Client(), link).content.decode()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"email": "ravi@"}, "valid email"),
        ({"email": "MARA@north.example.org"}, "already has an account"),
        ({"email": ""}, "required"),
    ],
)
def test_a_wrong_or_taken_email_is_named_and_nobody_is_invited(as_mara, fields, words):
    sent = invite(as_mara, **fields)

    assert sent.status_code == 400
    page = sent.content.decode()
    assert 'href="#id_email"' in page and words.lower() in page.lower()
    assert not StaffMembership.objects.filter(user__first_name="Ravi").exists()
    assert mail.outbox == []


def test_a_taken_username_gets_a_number(north, mara):
    first, _ = services.invite_staff(
        north, email="ravi@a.example", first_name="R", last_name="", roles=[], by=mara
    )
    second, _ = services.invite_staff(
        north, email="ravi@b.example", first_name="R", last_name="", roles=[], by=mara
    )

    assert (first.username, second.username) == ("ravi", "ravi2")


# --- Roles ---------------------------------------------------------------------------


def test_mara_changes_roles_and_may_drop_her_own_admin_once_nia_has_it(as_mara, mara, nurse_nia):
    made = as_mara.post(member_url(nurse_nia), {"is_clinician": "on", "is_admin": "on"})

    assert made.status_code == 302
    nia = StaffMembership.objects.get(user=nurse_nia)
    assert (nia.is_clinician, nia.is_oncall, nia.is_admin) == (True, False, True)
    assert as_mara.post(member_url(mara), {"is_oncall": "on"}).status_code == 302
    assert not StaffMembership.objects.get(user=mara).is_admin
    assert as_mara.get("/dashboard/staff/").status_code == 403  # no longer hers


def test_the_last_admin_cannot_drop_the_role_nor_deactivate_herself(as_mara, mara):
    dropped = as_mara.post(member_url(mara), {"is_clinician": "on"})

    assert dropped.status_code == 400
    assert 'href="#id_is_admin"' in dropped.content.decode()
    assert "at least one active admin" in dropped.content.decode()
    refused = as_mara.post(member_url(mara, "deactivate/"), follow=True)
    assert "cannot deactivate your own account" in refused.content.decode()
    mara.refresh_from_db()
    assert mara.is_active and mara.membership.is_admin


def test_a_deactivated_admin_does_not_count_and_the_last_one_stays(north, mara, nurse_nia):
    other = StaffMembership.objects.get(user=nurse_nia)
    services.change_roles(other, is_clinician=False, is_oncall=True, is_admin=True, by=mara)
    services.deactivate_staff(other, by=mara)

    with pytest.raises(DiaryError) as refused:
        services.deactivate_staff(mara.membership, by=nurse_nia)
    assert refused.value.field == "is_active"
    with pytest.raises(DiaryError) as dropped:
        services.change_roles(
            mara.membership, is_clinician=False, is_oncall=False, is_admin=False, by=mara
        )
    assert dropped.value.field == "is_admin"


# --- Deactivating ------------------------------------------------------------------------


def test_deactivating_nia_ends_her_sign_ins_and_api_tokens_until_reactivated(as_mara, nurse_nia):
    token = services.issue_staff_token(nurse_nia)
    nias_browser = signed_in(nurse_nia)

    done = as_mara.post(member_url(nurse_nia, "deactivate/"), follow=True)

    assert "can no longer sign in; 1 API token(s) revoked" in done.content.decode()
    assert nias_browser.get("/dashboard/").status_code == 302  # her open session ends
    assert not can_sign_in("nia", PASSWORD)
    assert not AccessToken.objects.filter(user=nurse_nia).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/patients/").status_code == 401
    assert "Deactivated" in as_mara.get("/dashboard/staff/").content.decode()

    as_mara.post(member_url(nurse_nia, "reactivate/"))
    assert can_sign_in("nia", PASSWORD)
    assert api.get("/api/v1/patients/").status_code == 401  # revoked tokens stay revoked


# --- Who may see the staff pages ----------------------------------------------------------

ACTIONS = [
    ("get", ""),
    ("post", ""),
    ("post", "deactivate/"),
    ("post", "reactivate/"),
    ("post", "resend/"),
    ("post", "details/"),
    ("post", "works-again/"),
]


def test_the_staff_list_shows_the_clinics_people_and_the_nav_link_is_for_admins(
    as_mara, dr_cole, nurse_nia, omar
):
    page = as_mara.get("/dashboard/staff/").content.decode()

    assert all(name in page for name in ("mara", "dr.cole", "nia", "Never"))
    assert "omar" not in page
    assert 'href="/dashboard/staff/"' in as_mara.get("/dashboard/").content.decode()
    assert 'href="/dashboard/staff/"' not in signed_in(dr_cole).get("/dashboard/").content.decode()


def test_dr_cole_is_refused_every_staff_page_and_action(dr_cole, nurse_nia):
    cole = signed_in(dr_cole)

    assert cole.get("/dashboard/staff/").status_code == 403
    assert cole.get("/dashboard/staff/invite/").status_code == 403
    assert invite(cole).status_code == 403
    for method, action in ACTIONS:
        answer = getattr(cole, method)(member_url(nurse_nia, action), {"is_admin": "on"})
        assert answer.status_code == 403, (method, action)
    nurse_nia.refresh_from_db()
    assert nurse_nia.is_active and not nurse_nia.membership.is_admin
    assert not get_user_model().objects.filter(email="ravi.patel@north.example.org").exists()


def test_omar_sees_only_south_and_gets_404_for_norths_people(omar, nurse_nia):
    as_omar = signed_in(omar)

    page = as_omar.get("/dashboard/staff/").content.decode()
    assert "omar" in page and "nia" not in page
    for method, action in ACTIONS:
        answer = getattr(as_omar, method)(member_url(nurse_nia, action), {"is_admin": "on"})
        assert answer.status_code == 404, (method, action)
    nurse_nia.refresh_from_db()
    assert nurse_nia.is_active and not nurse_nia.membership.is_admin


def test_signed_out_visitors_are_sent_to_the_login(client):
    assert client.get("/dashboard/staff/")["Location"].startswith("/dashboard/login/")


# --- Name and e-mail -----------------------------------------------------------------------


def details(client, user, **fields):
    body = {"first_name": "Nia", "last_name": "Okafor", "email": "nia@north.example.org"}
    return client.post(member_url(user, "details/"), {**body, **fields})


def test_mara_corrects_nias_name_and_email(as_mara, nurse_nia):
    saved = details(as_mara, nurse_nia, first_name="  Nia ")

    assert saved.status_code == 302
    nurse_nia.refresh_from_db()
    assert (nurse_nia.first_name, nurse_nia.last_name) == ("Nia", "Okafor")
    assert nurse_nia.email == "nia@north.example.org"
    page = as_mara.get(member_url(nurse_nia)).content.decode()
    assert "name and e-mail are saved" in page and 'value="nia@north.example.org"' in page


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"email": "MARA@north.example.org"}, "email", "already has an account"),
        ({"email": "nia@"}, "email", "valid email"),
        ({"email": ""}, "email", "required"),
        ({"first_name": "   "}, "first_name", "required"),
        ({"last_name": "x" * 151}, "last_name", "at most 150"),
    ],
)
def test_a_wrong_or_taken_detail_is_named_and_nothing_changes(
    as_mara, mara, nurse_nia, fields, field, words
):
    refused = details(as_mara, nurse_nia, **fields)

    assert refused.status_code == 400
    page = refused.content.decode()
    assert f'href="#id_{field}"' in page and words.lower() in page.lower()
    nurse_nia.refresh_from_db()
    assert (nurse_nia.last_name, nurse_nia.email) == ("", "")


def test_a_new_address_for_an_invitee_gets_a_fresh_link_and_the_old_one_stops(as_mara, emailed):
    with emailed():
        invite(as_mara, email="ravi@wrong.example")
    old_link = link_in(mail.outbox[0])
    ravi = get_user_model().objects.get(email="ravi@wrong.example")

    with emailed():
        saved = details(as_mara, ravi, first_name="Ravi", email="ravi.patel@north.example.org")

    assert saved.status_code == 302
    assert mail.outbox[1].to == ["ravi.patel@north.example.org"]
    assert "This link no longer works" in open_link(Client(), old_link).content.decode()
    assert "Choose your password" in open_link(Client(), link_in(mail.outbox[1])).content.decode()


# --- The list, a page at a time ------------------------------------------------------------


def test_the_staff_list_shows_25_a_page_in_the_same_queries(
    as_mara, north, django_assert_num_queries
):
    with django_assert_num_queries(QUERIES_FOR_A_PAGE):
        as_mara.get("/dashboard/staff/")
    StaffFactory.create_batch(29, clinic=north)

    with django_assert_num_queries(QUERIES_FOR_A_PAGE):
        first = as_mara.get("/dashboard/staff/")
    second = as_mara.get("/dashboard/staff/?page=2").content.decode()

    assert first.content.decode().count('href="/dashboard/staff/') - 1 >= 25
    assert (
        "Page 1 of 2 (30 people)" in first.content.decode() and "?page=2" in first.content.decode()
    )
    assert "Page 2 of 2" in second and second.count("<tr") == 1 + 5
    assert "Page 2 of 2" in as_mara.get("/dashboard/staff/?page=99").content.decode()
