"""A patient's (or one block's) record as a FHIR R4 Bundle of type "collection".

Pure: takes model rows already read (``exports.gather``), returns plain dicts. What maps
to what (CLINICAL.md "Codes for export"): Patient; Procedure with CPT 64493/64494/64495
by the number of levels, a body site per level and the laterality; an Observation per
current reading (LOINC 72514-3, integer valueQuantity, UCUM "1", effectiveDateTime = the
recorded time, the computed relief under a local code system); a QuestionnaireResponse
per entry for the safety answers the patient was asked; a Flag per alert.
"""

import uuid

from diary.models import SAFETY_FIELDS, Limb, ProcedureStatus
from diary.response.relief import minutes_after_block, relief_percent

CPT = "http://www.ama-assn.org/go/cpt"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
# No standard code exists for "% relief" (CLINICAL.md): the diary's own code system.
LOCAL = "urn:pain-diary:codes"
QUESTIONNAIRE = "urn:pain-diary:questionnaire:post-block-safety"
_NAMESPACE = uuid.UUID("6f1c7d1e-95a3-4f0b-9a55-1e7e0f7d2b15")

# CPT's lumbar facet / medial branch codes: first level, second, third (and any further).
CPT_BY_LEVELS = {
    1: ("64493", "Injection, paravertebral facet joint, lumbar or sacral; single level"),
    2: ("64494", "Injection, paravertebral facet joint, lumbar or sacral; second level"),
    3: ("64495", "Injection, paravertebral facet joint, lumbar or sacral; third level"),
}
LATERALITY = {
    "left": ("7771000", "Left"),
    "right": ("24028007", "Right"),
    "bilateral": ("51440002", "Right and left"),
}
PROCEDURE_STATUS = {
    ProcedureStatus.PLANNED: "preparation",
    ProcedureStatus.PERFORMED: "completed",
    ProcedureStatus.CANCELLED: "not-done",
}


def full_url(kind: str, pk: int) -> str:
    """A stable urn:uuid per object: the same record exported twice has the same ids."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{pk}')}"


def _resource_id(kind: str, pk: int) -> str:
    return f"{kind.lower()}-{pk}"


def _ref(kind: str, pk: int) -> dict:
    return {"reference": full_url(kind, pk)}


def _when(value) -> str:
    return value.isoformat()


def patient_resource(patient) -> dict:
    resource = {
        "resourceType": "Patient",
        "id": _resource_id("Patient", patient.pk),
        "active": patient.status != "ended",
        "name": [{"text": patient.display_name}],
        "communication": [{"language": {"coding": [{"code": patient.language}]}}],
    }
    if patient.external_id:
        system = f"urn:pain-diary:clinic:{patient.clinic_id}:patient-number"
        resource["identifier"] = [{"system": system, "value": patient.external_id}]
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    telecom += [{"system": "email", "value": patient.email}] if patient.email else []
    if telecom:
        resource["telecom"] = telecom
    return resource


def procedure_resource(block) -> dict:
    levels = block.levels.split(",")
    code, display = CPT_BY_LEVELS[min(len(levels), 3)]
    side_code, side_display = LATERALITY[block.side]
    resource = {
        "resourceType": "Procedure",
        "id": _resource_id("Procedure", block.pk),
        "status": PROCEDURE_STATUS[block.status],
        "code": {
            "coding": [{"system": CPT, "code": code, "display": display}],
            "text": f"{block.get_kind_display()}, {len(levels)} level(s)",
        },
        "subject": _ref("Patient", block.patient_id),
        "performedDateTime": _when(block.performed_at),
        "bodySite": [{"text": f"Lumbar medial branch {level}, {block.side}"} for level in levels]
        + [{"coding": [{"system": SNOMED, "code": side_code, "display": side_display}]}],
        "usedCode": [
            {
                "text": f"{block.anesthetic} {block.concentration_percent} %, "
                f"{block.volume_ml_per_level} mL per level"
                + (", with steroid" if block.steroid else "")
            }
        ],
    }
    if block.proceduralist_id:
        name = block.proceduralist.get_full_name() or block.proceduralist.get_username()
        resource["performer"] = [{"actor": {"display": name}}]
    return resource


def observation_resource(entry, block) -> dict:
    relief = relief_percent(block.baseline_pain, entry.pain_score)
    components = [
        {
            "code": {"coding": [{"system": LOCAL, "code": "minutes-after-block"}]},
            "valueQuantity": _quantity(
                minutes_after_block(block.performed_at, entry.recorded_at), "min"
            ),
        }
    ]
    if relief is not None:
        components.append(
            {
                "code": {
                    "coding": [{"system": LOCAL, "code": "relief-percent", "display": "% relief"}],
                    "text": "Relief against the pre-block baseline, computed",
                },
                "valueQuantity": _quantity(round(relief, 1), "%"),
            }
        )
    if entry.reported_relief_percent is not None:
        components.append(
            {
                "code": {"coding": [{"system": LOCAL, "code": "reported-relief-percent"}]},
                "valueQuantity": _quantity(entry.reported_relief_percent, "%"),
            }
        )
    resource = {
        "resourceType": "Observation",
        "id": _resource_id("Observation", entry.pk),
        "status": "corrected" if entry.corrects_id else "final",
        "code": {
            "coding": [
                {
                    "system": LOINC,
                    "code": "72514-3",
                    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                }
            ]
        },
        "subject": _ref("Patient", entry.patient_id),
        "partOf": [_ref("Procedure", block.pk)],
        "effectiveDateTime": _when(entry.recorded_at),
        "issued": _when(entry.received_at),
        "valueQuantity": {"value": entry.pain_score, "unit": "score", "system": UCUM, "code": "1"},
        "component": components,
    }
    if entry.note:
        resource["note"] = [{"text": entry.note}]
    return resource


def _quantity(value, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def questionnaire_response(entry) -> dict | None:
    """The safety answers given; a question not asked is left out (unknown, not "no")."""
    items = []
    for name in SAFETY_FIELDS:
        value = getattr(entry, name)
        if value is None:
            continue
        if isinstance(value, bool):
            answer = {"valueBoolean": value}
        elif name in ("numbness", "weakness"):
            answer = {"valueCoding": {"system": LOCAL, "code": value, "display": Limb(value).label}}
        else:
            answer = {"valueDecimal": float(value)}
        items.append({"linkId": name, "text": name.replace("_", " "), "answer": [answer]})
    if not items:
        return None
    return {
        "resourceType": "QuestionnaireResponse",
        "id": _resource_id("QuestionnaireResponse", entry.pk),
        "questionnaire": QUESTIONNAIRE,
        "status": "completed",
        "subject": _ref("Patient", entry.patient_id),
        "authored": _when(entry.recorded_at),
        "item": items,
    }


def flag_resource(alert) -> dict:
    resource = {
        "resourceType": "Flag",
        "id": _resource_id("Flag", alert.pk),
        "status": "inactive" if alert.state == "resolved" else "active",
        "category": [{"coding": [{"system": LOCAL, "code": alert.severity}]}],
        "code": {"coding": [{"system": LOCAL, "code": alert.rule}], "text": alert.reason},
        "subject": _ref("Patient", alert.patient_id),
        "period": {"start": _when(alert.created_at)},
    }
    if alert.resolved_at:
        resource["period"]["end"] = _when(alert.resolved_at)
    return resource


def bundle(patient, blocks, entries, alerts, *, generated_at) -> dict:
    """``entries``: the current entries of ``blocks``; ``alerts``: theirs."""
    by_block = {block.pk: block for block in blocks}
    resources = [("Patient", patient.pk, patient_resource(patient))]
    resources += [("Procedure", b.pk, procedure_resource(b)) for b in blocks]
    for entry in entries:
        block = by_block[entry.procedure_id]
        resources.append(("Observation", entry.pk, observation_resource(entry, block)))
        answers = questionnaire_response(entry)
        if answers is not None:
            resources.append(("QuestionnaireResponse", entry.pk, answers))
    resources += [("Flag", alert.pk, flag_resource(alert)) for alert in alerts]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _when(generated_at),
        "entry": [
            {"fullUrl": full_url(kind, pk), "resource": resource}
            for kind, pk, resource in resources
        ],
    }
