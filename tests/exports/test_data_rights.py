"""Ana's data rights: everything held about her, and her erasure, by North's admin Mara."""

import pytest
from rest_framework.test import APIClient

from audit.models import Action, AuditEvent
from diary import services
from diary.models import AccessToken, Device, Patient, PatientLink
from tests.dashboard import emergency, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_mara(mara):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {services.issue_staff_token(mara)}")
    return client


@pytest.fixture
def anas_record(ana, anas_block, as_cole):
    ana.phone, ana.email, ana.external_id = "+447700900123", "ana@example.org", "H123"
    ana.save()
    report(anas_block, 30, 2, note="Call me on my mobile", activity="gardening")
    emergency(anas_block)
    services.register_device(patient=ana, platform="fcm", token="ana-phone")
    services.issue_patient_link(ana)
    as_cole.get(f"/api/v1/patients/{ana.pk}/")  # a read for her audit history
    return ana


def test_mara_exports_everything_held_about_ana(as_mara, anas_record, mara):
    response = as_mara.get(f"/api/v1/patients/{anas_record.pk}/data-export/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"fhir", "entries", "deliveries", "audit"}
    assert body["fhir"]["resourceType"] == "Bundle"
    assert {e["note"] for e in body["entries"]} >= {"Call me on my mobile"}
    assert any(row["actor_label"] == "dr.cole" for row in body["audit"])
    export = AuditEvent.objects.get(action=Action.EXPORT, staff_user_id=mara.pk)
    assert export.patient_id_list == [anas_record.pk]


def test_erasing_ana_removes_who_she_is_and_keeps_her_readings_unnamed(
    as_mara, anas_record, anas_block, mara
):
    response = as_mara.post(
        f"/api/v1/patients/{anas_record.pk}/erase/", {"confirm": True}, format="json"
    )
    assert response.status_code == 200, response.content
    erased = response.json()["erased"]
    assert erased["devices"] == 1 and erased["links"] >= 1 and erased["entry_texts"] == 1
    ana = Patient.objects.get(pk=anas_record.pk)
    assert (ana.display_name, ana.phone, ana.email, ana.external_id, ana.status) == (
        f"Erased patient {ana.pk}",
        "",
        "",
        "",
        "ended",
    )
    assert not AccessToken.objects.filter(patient=ana).exists()
    assert not Device.objects.filter(patient=ana).exists()
    assert not PatientLink.objects.filter(patient=ana).exists()
    entries = list(ana.entries.all())
    assert len(entries) == 2 and {(e.note, e.activity) for e in entries} == {("", "")}
    row = AuditEvent.objects.get(action=Action.DELETE)
    assert row.staff_user_id == mara.pk and row.changes["erased"] == erased
    # Her de-identified readings still export; her name no longer does.
    csv = as_mara.get("/api/v1/exports/diaries/?identified=true").content.decode()
    assert "Ana Silva" not in csv and f"Erased patient {ana.pk}" in csv


def test_erasure_needs_the_confirmation_and_an_admin(as_mara, as_cole, anas_record):
    refused = as_mara.post(f"/api/v1/patients/{anas_record.pk}/erase/", {}, format="json")
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["confirm"]
    no = as_mara.post(
        f"/api/v1/patients/{anas_record.pk}/erase/", {"confirm": False}, format="json"
    )
    assert no.status_code == 400 and list(no.json()["fields"]) == ["confirm"]
    cole = as_cole.post(
        f"/api/v1/patients/{anas_record.pk}/erase/", {"confirm": True}, format="json"
    )
    assert cole.status_code == 403
    assert Patient.objects.get(pk=anas_record.pk).display_name == "Ana Silva"
    assert not AuditEvent.objects.filter(action=Action.DELETE).exists()


def test_erasing_a_patient_whose_alert_was_resolved_keeps_the_alert_resolved(
    as_mara, anas_record, nurse_nia
):
    """Found by schemathesis: a resolved alert must keep a note, so the staff's words give
    way to a fixed one instead of being blanked (a 500 before)."""
    from notifications import alerts
    from notifications.erasure import ERASED_NOTE
    from notifications.models import Alert

    alert = Alert.objects.get(patient=anas_record)
    alerts.resolve_alert(alert, nurse_nia, note="Spoke to Ana Silva on +447700900123")

    response = as_mara.post(
        f"/api/v1/patients/{anas_record.pk}/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["erased"]["alert_notes"] == 1
    alert.refresh_from_db()
    assert (alert.state, alert.resolution_note) == ("resolved", ERASED_NOTE)


def test_a_clinic_whose_policy_is_to_delete_readings_erases_them_too(
    as_mara, anas_record, anas_block
):
    from diary.models import DiaryEntry, Finding

    clinic = anas_record.clinic
    as_mara.patch("/api/v1/clinic/", {"erasure_deletes_readings": True}, format="json")
    clinic.refresh_from_db()
    assert clinic.erasure_deletes_readings is True
    first, later = DiaryEntry.objects.filter(patient=anas_record).order_by("id")
    # A correction protects the entry it corrects (on_delete=PROTECT): erasure unlinks them.
    DiaryEntry.objects.filter(pk=later.pk).update(corrects=first)
    held = DiaryEntry.objects.filter(patient=anas_record).count()
    assert held == 2 and Finding.objects.filter(entry__patient=anas_record).exists()

    response = as_mara.post(
        f"/api/v1/patients/{anas_record.pk}/erase/", {"confirm": True}, format="json"
    )

    assert response.status_code == 200, response.content
    erased = response.json()["erased"]
    assert erased["readings"] == held and "entry_texts" not in erased
    assert not DiaryEntry.objects.filter(patient=anas_record).exists()
    assert not Finding.objects.filter(entry__patient=anas_record).exists()
    assert AuditEvent.objects.get(action=Action.DELETE).changes["erased"]["readings"] == held
    # The alert and how it was handled stay in the record; the block too, unnamed.
    assert anas_block.alerts.exists()


def test_the_erasure_policy_is_a_clinic_setting_with_a_clear_error(as_mara, as_cole, north):
    assert as_mara.get("/api/v1/clinic/").json()["erasure_deletes_readings"] is False
    wrong = as_mara.patch("/api/v1/clinic/", {"erasure_deletes_readings": "yes"}, format="json")
    assert wrong.status_code == 400
    assert list(wrong.json()["fields"]) == ["erasure_deletes_readings"]
    nurse = as_cole.patch("/api/v1/clinic/", {"erasure_deletes_readings": True}, format="json")
    assert nurse.status_code == 403
