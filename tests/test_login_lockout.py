"""Nurse Nia's account is locked after repeated wrong passwords at every door (the API's
token, the dashboard, the Django admin), counted by the address the throttles count, so a
rotating X-Forwarded-For changes nothing. A guesser at one address locks only that address
out; many addresses together meet the account's own, higher limit.
"""

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "correct horse battery"
TOKEN = "/api/v1/auth/token/"
DASHBOARD = "/dashboard/login/"
ADMIN = "/admin/login/"
# Below the per-address throttle (5/min in the test settings): these tests meet the lockout.
PAIR_LIMIT = 3
ACCOUNT_LIMIT = 4
LOCKED = "Too many failed sign-ins for this account"

pytestmark = pytest.mark.django_db

lockout_limits = override_settings(
    AXES_FAILURE_LIMIT=PAIR_LIMIT, LOGIN_LOCKOUT_ACCOUNT_FAILURES=ACCOUNT_LIMIT
)


def behind_one_proxy():
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": 1})


def api_login(password, **headers):
    return APIClient().post(TOKEN, {"username": "nia", "password": password}, **headers)


def dashboard_login(password, **headers):
    return Client().post(DASHBOARD, {"username": "nia", "password": password}, **headers)


def admin_login(password, **headers):
    return Client().post(ADMIN, {"username": "nia", "password": password}, **headers)


DOORS = {"api": api_login, "dashboard": dashboard_login, "admin": admin_login}


def signed_in(door, response) -> bool:
    if door == "api":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


@pytest.fixture
def nia_is_admin_staff(nurse_nia):
    """Nia may use the Django admin too, so that every door would let her in."""
    nurse_nia.is_staff = True
    nurse_nia.save(update_fields=["is_staff"])
    return nurse_nia


@lockout_limits
@pytest.mark.parametrize("door", DOORS)
def test_a_rotating_forwarded_for_does_not_stop_the_lockout(door, nia_is_admin_staff):
    login = DOORS[door]
    answers = [login("guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(PAIR_LIMIT)]

    right = login(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")

    assert not any(signed_in(door, a) for a in answers)
    assert answers[-1].status_code == 429, "the failure that reaches the limit says so"
    assert right.status_code == 429 and not signed_in(door, right)
    assert LOCKED in right.content.decode()
    assert int(right["Retry-After"]) == 15 * 60
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


@lockout_limits
@pytest.mark.parametrize("door", DOORS)
def test_behind_a_proxy_the_client_s_own_prefix_of_the_header_is_ignored(door, nia_is_admin_staff):
    login = DOORS[door]
    with behind_one_proxy():
        for n in range(PAIR_LIMIT):
            # The client wrote the first address; our proxy appended the one it saw.
            login("guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9")
        right = login(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.9")
        elsewhere = login(PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.10")

    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert signed_in(door, elsewhere), "only the guesser's address is locked out"
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


@lockout_limits
def test_every_door_counts_towards_one_lockout(nia_is_admin_staff):
    api_login("guess")
    dashboard_login("guess")
    admin_login("guess")

    assert api_login(PASSWORD).status_code == 429


@lockout_limits
def test_a_guesser_elsewhere_does_not_lock_nia_out_of_her_own_address(nurse_nia):
    for _ in range(PAIR_LIMIT):
        api_login("guess", REMOTE_ADDR="198.51.100.7")

    assert api_login(PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 429
    assert api_login(PASSWORD, REMOTE_ADDR="203.0.113.20").status_code == 200


@lockout_limits
def test_guesses_from_many_addresses_meet_the_account_s_own_limit(nurse_nia):
    answers = [
        api_login("guess", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(ACCOUNT_LIMIT)
    ]

    assert answers == [400] * (ACCOUNT_LIMIT - 1) + [429]
    assert api_login(PASSWORD, REMOTE_ADDR="203.0.113.20").status_code == 429


@lockout_limits
def test_the_api_answers_a_lockout_in_its_json_error_shape(nurse_nia):
    for _ in range(PAIR_LIMIT):
        api_login("guess")

    response = api_login(PASSWORD)

    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert (response.json()["code"], response.json()["fields"]) == ("throttled", {})
    assert response.json()["message"].startswith(LOCKED)


@lockout_limits
def test_the_dashboard_shows_the_lockout_on_its_sign_in_page(nurse_nia):
    for _ in range(PAIR_LIMIT):
        dashboard_login("guess")

    page = dashboard_login(PASSWORD)

    assert page.status_code == 429
    html = page.content.decode()
    assert LOCKED in html and 'name="password"' in html
    assert "Please enter a correct username" not in html


@lockout_limits
def test_the_lockout_ends_after_its_cool_off(nurse_nia):
    with time_machine.travel("2026-12-03 10:00Z", tick=False) as clock:
        for _ in range(PAIR_LIMIT):
            api_login("guess")
        clock.shift(14 * 60)
        assert api_login(PASSWORD).status_code == 429, "guessing on does not lengthen it"
        clock.shift(61)
        assert api_login(PASSWORD).status_code == 200


@lockout_limits
def test_an_admin_unlocks_nia_with_the_management_command(nurse_nia):
    for _ in range(PAIR_LIMIT):
        api_login("guess")

    call_command("axes_reset_username", "nia", verbosity=0)

    assert api_login(PASSWORD).status_code == 200


@lockout_limits
def test_an_admin_unlocks_nia_in_the_django_admin(nurse_nia):
    for _ in range(PAIR_LIMIT):
        api_login("guess")
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(root)
    [attempt] = AccessAttempt.objects.filter(username="nia")

    listed = admin.get("/admin/axes/accessattempt/")
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert listed.status_code == 200 and "nia" in listed.content.decode()
    assert deleted.status_code == 302
    assert api_login(PASSWORD).status_code == 200


def test_the_admin_login_is_throttled_per_address_like_the_others(nia_is_admin_staff):
    with behind_one_proxy():
        for n in range(5):  # backend.settings_test: "login": "5/min"
            admin_login("guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9")
        throttled = admin_login(PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.9")

    assert throttled.status_code == 429
    assert "Too many sign-in attempts" in throttled.content.decode()


def test_the_admin_s_guesses_share_the_other_logins_budget(nia_is_admin_staff):
    for _ in range(3):
        api_login("guess")
    for _ in range(2):
        dashboard_login("guess")

    assert admin_login(PASSWORD).status_code == 429


def test_loading_the_admin_login_form_is_not_counted(db):
    client = Client()
    assert {client.get(ADMIN).status_code for _ in range(8)} == {200}
