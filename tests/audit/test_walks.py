"""Every endpoint and page that reads or writes patient data leaves an audit row naming
the patient and the caller: the API walk of tests/api/test_scoping.py, as Dr Cole (staff)
and as Ana (her phone); the dashboard walk of tests/test_role_walk.py; the web check-in."""

import uuid

import pytest

from audit.models import Action, ActorKind, AuditEvent
from tests.api.test_scoping import (
    PATIENT_ENDPOINTS,
    STAFF_ENDPOINTS,
    body_for,
    call,
    walk_id,
)
from tests.dashboard import signed_in
from tests.test_role_walk import ROLES, dashboard_actions

pytestmark = pytest.mark.django_db

# The staff endpoints that are not a patient's data: the rota, settings, staff, devices.
NOT_PATIENT_DATA = ("oncall/", "clinic/", "staff/", "audit/")
STAFF_PATIENT_ENDPOINTS = [e for e in STAFF_ENDPOINTS if not e[1].startswith(NOT_PATIENT_DATA)]


@pytest.mark.parametrize("endpoint", STAFF_PATIENT_ENDPOINTS, ids=walk_id)
def test_each_staff_call_on_patient_data_leaves_a_row_naming_dr_cole(
    north_data,
    as_cole,
    dr_cole,
    endpoint,
):
    ids = north_data
    method, path, body = endpoint
    before = AuditEvent.objects.count()
    response = call(as_cole, method, path, body_for(body, ids), ids)
    rows = list(AuditEvent.objects.order_by("id")[before:])
    if response.status_code >= 400:  # e.g. no SMS provider here: nothing done, nothing kept
        assert rows == []
        return
    assert rows, f"no audit row for {method} {path}"
    assert {row.staff_user_id for row in rows} == {dr_cole.pk}
    assert {row.actor_kind for row in rows} == {ActorKind.STAFF}
    assert all(row.via.startswith(method.upper() + " /api/v1/") for row in rows)
    if "{ana}" in path or "{block}" in path or "{alert}" in path:
        assert any(ids["ana"] in row.patient_id_list for row in rows), rows


@pytest.mark.parametrize("endpoint", PATIENT_ENDPOINTS, ids=walk_id)
def test_each_call_of_ana_s_phone_leaves_a_row_naming_her(
    north_data,
    as_ana,
    ana,
    endpoint,
):
    ids = north_data
    method, path, body = endpoint
    before = AuditEvent.objects.count()
    body = body_for(body, ids)
    if path.endswith("/correct/"):  # the block and time are the corrected entry's
        body = {"client_id": str(uuid.uuid4()), "pain_score": 4}
    response = call(as_ana, method, path, body, ids)
    assert response.status_code < 300, response.content
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert rows, f"no audit row for {method} {path}"
    assert {(row.actor_kind, row.actor_patient_id) for row in rows} == {(ActorKind.PATIENT, ana.pk)}
    assert all(row.patient_id_list == [ana.pk] for row in rows)


def test_a_refused_call_leaves_no_row_and_a_failed_write_is_rolled_back_with_its_row(
    north_data,
    as_cole,
    as_omar,
    ana,
):
    ids = north_data
    before = AuditEvent.objects.count()
    assert call(as_omar, "get", "patients/{ana}/", None, ids).status_code == 404
    bad = call(as_cole, "patch", "patients/{ana}/", {"timezone": "Mars/Olympus"}, ids)
    assert bad.status_code == 400
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", sorted(ROLES))
def test_each_dashboard_page_of_patient_data_leaves_a_row(request, world, who):
    user = request.getfixturevalue(who)
    client = signed_in(user)
    ana = world["ana"]
    for method, path, needs in dashboard_actions(world):
        if needs not in ROLES[who] or not _patient_page(path):
            continue
        before = AuditEvent.objects.count()
        answer = getattr(client, method)(path)
        rows = list(AuditEvent.objects.order_by("id")[before:])
        if answer.status_code >= 400:  # an empty form (resolve without a note): no change
            assert rows == [], (path, rows)
            continue
        assert rows, f"no audit row for {method} {path}"
        assert all(row.staff_user_id == user.pk for row in rows)
        # A GET reads (the block report's PDF is an export); a POST changes or revokes.
        expected = {Action.READ, Action.EXPORT} if method == "get" else {Action.CHANGE}
        assert {row.action for row in rows} <= expected | {Action.TOKEN_REVOKED}, (path, rows)
        # Ana's own pages name her; an alert's id may be any number, so is not matched.
        anas = (f"/dashboard/patients/{ana.pk}/", f"/dashboard/procedures/{world['block'].pk}/")
        if path.startswith(anas):
            assert any(ana.pk in row.patient_id_list for row in rows), (path, rows)


def _patient_page(path):
    patient_data = ("/dashboard/patients/", "/dashboard/procedures/", "/dashboard/alerts/")
    return path == "/dashboard/" or (path.startswith(patient_data) and "/new/" not in path)
