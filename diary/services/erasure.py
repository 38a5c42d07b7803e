"""Erasing a patient (their data rights): who they are goes, the readings stay, unnamed.

Names, contact details, the clinic's number, every way in (tokens, links, codes, push
tokens) and free text (notes, activities) are removed; the readings stay linked to a
patient row that no longer says who it was, so a clinic's statistics and the verdicts
of other analyses hold. The caller (``exports.rights.erase``) also scrubs what
notifications kept, and writes the audit row of the whole erasure.
"""

from django.db import transaction

from diary.models import (
    AccessToken,
    Device,
    DiaryEntry,
    EnrollmentCode,
    Patient,
    PatientLink,
    PatientStatus,
    Procedure,
)
from diary.services.people import update_patient

ERASED_NAME = "Erased patient {pk}"


@transaction.atomic
def erase_patient(patient: Patient) -> dict:
    """Returns what was removed, by kind (for the audit row)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.status != PatientStatus.ENDED:
        update_patient(patient, status=PatientStatus.ENDED)  # cancels what is still to come
    Patient.objects.filter(pk=patient.pk).update(
        display_name=ERASED_NAME.format(pk=patient.pk), external_id="", phone="", email=""
    )
    texts = DiaryEntry.objects.filter(patient=patient).exclude(note="", activity="")
    return {
        "tokens": AccessToken.objects.filter(patient=patient).delete()[0],
        "links": PatientLink.objects.filter(patient=patient).delete()[0],
        "enrollment_codes": EnrollmentCode.objects.filter(patient=patient).delete()[0],
        "devices": Device.objects.filter(patient=patient).delete()[0],
        "entry_texts": texts.update(note="", activity=""),
        "block_texts": Procedure.objects.filter(patient=patient)
        .exclude(usual_painful_activity="")
        .update(usual_painful_activity=""),
    }
