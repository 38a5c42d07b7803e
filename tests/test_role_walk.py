"""Every dashboard page and action, and every staff write of the API, as each role: a
clinician (Dr Cole) registers patients and blocks; an on-call nurse who is not a clinician
(Nia) reads them and acts on alerts; a clinic admin (Mara) changes the rota, settings and
staff; Omar of South gets nothing of North's. The walk covers every URL of the dashboard and
every route of the staff-management API."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from diary import services
from notifications.models import Alert, OnCallShift
from tests.dashboard import emergency, signed_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nia_not_clinician(north):
    return StaffFactory(
        user__username="nia2", clinic=north, is_clinician=False, is_oncall=True
    ).user


@pytest.fixture
def mara_admin_only(north):
    return StaffFactory(
        user__username="mara2", clinic=north, is_clinician=False, is_admin=True
    ).user


@pytest.fixture
def world(north, dr_cole, ana, anas_block, bens_block):
    alert = Alert.objects.get(pk=emergency(bens_block).findings.get().alert_events.get().alert_id)
    shift = OnCallShift.objects.create(
        clinic=north,
        user=dr_cole,
        role="primary",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    return {
        "ana": ana,
        "block": anas_block,
        "alert": alert,
        "shift": shift,
        "member": dr_cole.membership,
    }


# (method, path, who may: "any" staff of North, "clinician" or "admin")
def dashboard_actions(w):
    ana, block, alert, shift = w["ana"].pk, w["block"].pk, w["alert"].pk, w["shift"].pk
    member = w["member"].pk
    return [
        ("get", "/dashboard/", "any"),
        ("get", "/dashboard/patients/", "any"),
        ("get", f"/dashboard/patients/{ana}/", "any"),
        ("get", f"/dashboard/procedures/{block}/", "any"),
        ("get", f"/dashboard/procedures/{block}/report.pdf", "any"),
        ("get", "/dashboard/alerts/", "any"),
        ("get", "/dashboard/alerts/board/", "any"),
        ("get", f"/dashboard/alerts/{alert}/", "any"),
        ("get", "/dashboard/rota/", "any"),
        ("get", "/dashboard/clinic/", "any"),
        ("post", f"/dashboard/patients/{ana}/start-link/", "any"),
        ("post", f"/dashboard/alerts/{alert}/acknowledge/", "any"),
        ("get", "/dashboard/patients/new/", "clinician"),
        ("post", "/dashboard/patients/new/", "clinician"),
        ("get", f"/dashboard/patients/{ana}/blocks/new/", "clinician"),
        ("get", f"/dashboard/procedures/{block}/edit/", "clinician"),
        ("post", f"/dashboard/patients/{ana}/code/", "clinician"),
        ("post", f"/dashboard/patients/{ana}/revoke/", "clinician"),
        ("post", f"/dashboard/procedures/{block}/handout/", "clinician"),
        ("post", f"/dashboard/procedures/{block}/cancel/", "clinician"),
        ("get", "/dashboard/rota/shifts/new/", "admin"),
        ("get", f"/dashboard/rota/shifts/{shift}/", "admin"),
        ("post", f"/dashboard/rota/shifts/{shift}/delete/", "admin"),
        ("post", "/dashboard/clinic/", "admin"),
        ("get", "/dashboard/staff/", "admin"),
        ("get", "/dashboard/staff/invite/", "admin"),
        ("post", "/dashboard/staff/invite/", "admin"),
        ("get", f"/dashboard/staff/{member}/", "admin"),
        ("post", f"/dashboard/staff/{member}/", "admin"),
        ("post", f"/dashboard/staff/{member}/details/", "admin"),
        ("post", f"/dashboard/staff/{member}/resend/", "admin"),
        ("post", f"/dashboard/staff/{member}/works-again/", "admin"),
        ("post", f"/dashboard/staff/{member}/deactivate/", "admin"),
        ("post", f"/dashboard/staff/{member}/reactivate/", "admin"),
        ("get", "/dashboard/audit/", "admin"),
        ("get", "/dashboard/audit/export.csv", "admin"),
        ("post", f"/dashboard/alerts/{alert}/resolve/", "any"),
    ]


# Pages that are not a staff member's clinic data: signing in and out, and choosing a
# password from an invitation (tests/dashboard/test_staff_pages.py); and the local outbox's
# page, which exists only while the outbox is on (tests/notifications/test_local_outbox.py
# shows Nia her clinic's messages and Omar none of them).
NOT_WALKED = {"login", "logout", "set_password", "outbox"}


def test_the_walk_covers_every_dashboard_url(world):
    walked = {path for _, path, _ in dashboard_actions(world)}
    names = set()
    for pattern in get_resolver().url_patterns:
        if (
            getattr(pattern, "app_name", None) == "dashboard"
            or str(pattern.pattern) == "dashboard/"
        ):
            names |= {p.name for p in pattern.url_patterns if isinstance(p, URLPattern)}

    reached = {resolve(path).url_name for path in walked}
    assert reached | NOT_WALKED == names


ROLES = {
    "dr_cole": {"any", "clinician"},
    "nia_not_clinician": {"any"},
    "mara_admin_only": {"any", "admin"},
}


@pytest.mark.parametrize("who", sorted(ROLES))
def test_each_role_may_do_what_it_is_for_and_nothing_else(request, world, who):
    client = signed_in(request.getfixturevalue(who))
    for method, path, needs in dashboard_actions(world):
        answer = getattr(client, method)(path)
        if needs in ROLES[who]:
            assert answer.status_code in (200, 204, 302, 400, 422), (who, method, path)
        else:
            assert answer.status_code == 403, (who, method, path, answer.status_code)


def test_omar_of_south_gets_nothing_of_norths(world, omar):
    south = signed_in(omar)
    for method, path, _ in dashboard_actions(world):
        if path in (
            "/dashboard/",
            "/dashboard/patients/",
            "/dashboard/alerts/",
            "/dashboard/alerts/board/",
            "/dashboard/rota/",
            "/dashboard/clinic/",
            "/dashboard/patients/new/",
            "/dashboard/rota/shifts/new/",
            "/dashboard/staff/",
            "/dashboard/staff/invite/",
            "/dashboard/audit/",  # South's own trail
            "/dashboard/audit/export.csv",
        ):
            continue  # his own clinic's pages
        answer = getattr(south, method)(path)
        assert answer.status_code == 404, (method, path, answer.status_code)


# --- The API's staff writes ------------------------------------------------------------------


def test_a_nurse_who_is_not_a_clinician_reads_patients_but_does_not_register_them(
    world, nia_not_clinician
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {services.issue_staff_token(nia_not_clinician)}")
    ana, block = world["ana"], world["block"]

    assert api.get("/api/v1/patients/").status_code == 200
    assert api.get(f"/api/v1/procedures/{block.pk}/response/").status_code == 200
    for method, path, body in [
        ("post", "/api/v1/patients/", {"display_name": "Someone"}),
        ("patch", f"/api/v1/patients/{ana.pk}/", {"display_name": "Changed"}),
        ("post", f"/api/v1/patients/{ana.pk}/enrollment-code/", None),
        ("post", f"/api/v1/procedures/{block.pk}/cancel/", None),
        ("patch", f"/api/v1/procedures/{block.pk}/", {"steroid": True}),
    ]:
        answer = getattr(api, method)(path, body, format="json")
        assert answer.status_code == 403, (method, path)
        assert (
            answer.json()["message"] == "Only clinicians register and change patients and blocks."
        )
    block.refresh_from_db()
    assert block.status != "cancelled"


# --- The staff-management API ------------------------------------------------------------------


def staff_api_actions(w):
    """(method, path, body): every route of /api/v1/staff/, all of them a clinic admin's."""
    member = w["member"].pk
    return [
        ("get", "/api/v1/staff/", None),
        ("post", "/api/v1/staff/", {"email": "new@north.example.org", "first_name": "New"}),
        ("get", f"/api/v1/staff/{member}/", None),
        ("patch", f"/api/v1/staff/{member}/", {"last_name": "Cole", "is_oncall": True}),
        ("post", f"/api/v1/staff/{member}/resend-invitation/", None),
        ("post", f"/api/v1/staff/{member}/deactivate/", None),
        ("post", f"/api/v1/staff/{member}/reactivate/", None),
        ("post", f"/api/v1/staff/{member}/works-again/", {"address": "email"}),
    ]


def _names(patterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _names(pattern.url_patterns)
        elif pattern.name:
            yield pattern.name


def test_the_walk_covers_every_staff_api_route(world):
    routes = {n for n in _names(get_resolver().url_patterns) if n.startswith("staff-")}
    routes = {n for n in routes if not n.startswith("staff-device")}  # a phone's own push token

    walked = {resolve(path).url_name for _, path, _ in staff_api_actions(world)}
    assert walked == routes


def api_as(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {services.issue_staff_token(user)}")
    return client


@pytest.mark.parametrize("who", sorted(ROLES))
def test_only_an_admin_manages_staff_through_the_api(request, world, who):
    api = api_as(request.getfixturevalue(who))
    for method, path, body in staff_api_actions(world):
        answer = getattr(api, method)(path, body, format="json")
        if "admin" in ROLES[who]:
            assert answer.status_code in (200, 201, 400), (who, method, path, answer.json())
        else:
            assert answer.status_code == 403, (who, method, path, answer.status_code)
            assert answer.json()["message"] == "Only clinic admins manage staff."


def test_omar_of_south_manages_none_of_norths_staff_through_the_api(world, omar):
    south = api_as(omar)
    for method, path, body in staff_api_actions(world):
        answer = getattr(south, method)(path, body, format="json")
        if path == "/api/v1/staff/":  # South's own list, and an invitation to South
            assert answer.status_code in (200, 201), (method, path)
            if method == "get":
                assert [m["username"] for m in answer.json()["results"]] == ["omar"]
        else:
            assert answer.status_code == 404, (method, path, answer.status_code)
    world["member"].refresh_from_db()
    assert world["member"].user.is_active and world["member"].clinic.name == "North"
