"""The Django admin's reads and changes of patient data are in the trail too."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-1")
    client = Client()
    client.force_login(user)
    return user, client


def test_the_admin_s_list_and_page_of_a_patient_are_recorded_reads(root, ana, ben):
    user, client = root
    assert client.get("/admin/diary/patient/").status_code == 200
    assert client.get(f"/admin/diary/patient/{ana.pk}/change/").status_code == 200
    reads = AuditEvent.objects.filter(action=Action.READ, staff_user_id=user.pk).order_by("id")
    assert [sorted(r.object_ids) for r in reads] == [sorted([ana.pk, ben.pk]), [ana.pk]]
    assert all(r.via.startswith("GET /admin/") for r in reads)


def test_a_change_in_the_admin_records_old_and_new_values(root, ana):
    _user, client = root
    page = client.get(f"/admin/diary/patient/{ana.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["display_name"] = "Ana Silva-Lopes"
    answer = client.post(f"/admin/diary/patient/{ana.pk}/change/", data)
    assert answer.status_code == 302, answer.content[:2000]
    row = AuditEvent.objects.get(action=Action.CHANGE)
    assert row.changes["display_name"] == ["Ana Silva", "Ana Silva-Lopes"]
    assert row.patient_id_list == [ana.pk]


def test_the_trail_shows_in_the_admin_read_only(root, ana):
    _user, client = root
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
