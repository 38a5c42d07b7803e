"""The FHIR bundles: Ana's record and one block's, validated with fhir.resources' R4B
models (R4B is R4 with a handful of resources changed, none of those used here)."""

import uuid
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from audit.models import Action, AuditEvent
from diary import services
from exports import fhir
from tests.dashboard import emergency, report
from tests.factories import make_procedure

pytestmark = pytest.mark.django_db


def resources(body, kind):
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def anas_record(ana, anas_block, dr_cole):
    ana.external_id, ana.phone = "H123", "+447700900123"
    ana.save()
    report(anas_block, 30, 2, activity_ok=True)
    report(anas_block, 60, 1, numbness="left_leg", weakness="none", can_lift_heel=True)
    emergency(anas_block)
    return anas_block


def test_ana_s_bundle_validates_and_holds_her_block_readings_answers_and_alert(
    as_cole, ana, anas_record
):
    response = as_cole.get(f"/api/v1/patients/{ana.pk}/fhir/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    body = response.json()
    Bundle.model_validate(body)  # raises on anything R4B would not accept

    (patient,) = resources(body, "Patient")
    assert patient["name"] == [{"text": "Ana Silva"}]
    assert patient["identifier"][0]["value"] == "H123"
    (procedure,) = resources(body, "Procedure")
    assert procedure["code"]["coding"][0]["code"] == "64493"  # one level
    assert procedure["bodySite"][-1]["coding"][0]["code"] == fhir.LATERALITY["left"][0]
    readings = resources(body, "Observation")
    assert {o["code"]["coding"][0]["code"] for o in readings} == {"72514-3"}
    first = readings[0]
    assert first["valueQuantity"] == {
        "value": 2,
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": "1",
    }
    relief = next(
        c for c in first["component"] if c["code"]["coding"][0]["code"] == "relief-percent"
    )
    assert relief["valueQuantity"]["value"] == 75.0  # baseline 8, now 2
    answers = resources(body, "QuestionnaireResponse")
    assert {"numbness", "can_lift_heel"} <= {i["linkId"] for qr in answers for i in qr["item"]}
    (flag,) = resources(body, "Flag")
    assert flag["status"] == "active"
    references = {e["fullUrl"] for e in body["entry"]}
    assert procedure["subject"]["reference"] in references
    assert first["partOf"][0]["reference"] in references


def test_a_block_s_bundle_holds_that_block_only_and_levels_give_the_cpt_code(
    as_cole, ana, anas_record
):
    other = make_procedure(ana, levels="L3-L4,L4-L5,L5-S1", side="bilateral")
    report(other, 30, 3)
    body = as_cole.get(f"/api/v1/procedures/{other.pk}/fhir/").json()
    Bundle.model_validate(body)
    (procedure,) = resources(body, "Procedure")
    assert procedure["code"]["coding"][0]["code"] == "64495"
    assert len(procedure["bodySite"]) == 4  # three levels and the laterality
    assert len(resources(body, "Observation")) == 1
    assert resources(body, "Flag") == []


def test_a_corrected_reading_is_exported_once_as_corrected(as_cole, ana, anas_block):
    first, _ = services.record_entry(
        patient=ana,
        data={
            "client_id": uuid.uuid4(),
            "procedure": anas_block,
            "recorded_at": anas_block.performed_at + timedelta(minutes=30),
            "pain_score": 6,
        },
    )
    services.correct_entry(
        patient=ana, original=first, data={"client_id": uuid.uuid4(), "pain_score": 2}
    )
    body = as_cole.get(f"/api/v1/procedures/{anas_block.pk}/fhir/").json()
    Bundle.model_validate(body)
    (reading,) = resources(body, "Observation")
    assert (reading["status"], reading["valueQuantity"]["value"]) == ("corrected", 2)


def test_each_export_is_audited_as_an_export_of_ana_s_record(as_cole, ana, anas_block, dr_cole):
    as_cole.get(f"/api/v1/patients/{ana.pk}/fhir/")
    row = AuditEvent.objects.get(action=Action.EXPORT)
    assert (row.object_kind, row.object_ids, row.patient_id_list) == ("patient", [ana.pk], [ana.pk])
    assert row.staff_user_id == dr_cole.pk
