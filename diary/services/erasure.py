"""Erasing a patient (their data rights): who they are goes, the readings stay, unnamed.

Names, contact details, the clinic's number, every way in (tokens, links, codes, push
tokens) and free text (notes, activities) are removed; the readings stay linked to a
patient row that no longer says who it was, so a clinic's statistics and the verdicts
of other analyses hold — unless the clinic's policy is to delete them
(``Clinic.erasure_deletes_readings``), when they go too, with their findings. The caller
(``exports.rights.erase``) also scrubs what notifications kept, and writes the audit row
of the whole erasure.
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
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=patient.pk)
    )
    if patient.status != PatientStatus.ENDED:
        update_patient(patient, status=PatientStatus.ENDED)  # cancels what is still to come
    Patient.objects.filter(pk=patient.pk).update(
        display_name=ERASED_NAME.format(pk=patient.pk), external_id="", phone="", email=""
    )
    readings = DiaryEntry.objects.filter(patient=patient)
    if patient.clinic.erasure_deletes_readings:
        # A correction protects the entry it corrects: unlink them, then both go at once.
        readings.exclude(corrects=None).update(corrects=None)
        gone = {"readings": readings.delete()[1].get(DiaryEntry._meta.label, 0)}
    else:
        gone = {"entry_texts": readings.exclude(note="", activity="").update(note="", activity="")}
    return {
        **gone,
        "tokens": AccessToken.objects.filter(patient=patient).delete()[0],
        "links": PatientLink.objects.filter(patient=patient).delete()[0],
        "enrollment_codes": EnrollmentCode.objects.filter(patient=patient).delete()[0],
        "devices": Device.objects.filter(patient=patient).delete()[0],
        "block_texts": Procedure.objects.filter(patient=patient)
        .exclude(usual_painful_activity="")
        .update(usual_painful_activity=""),
    }
