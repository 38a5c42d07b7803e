"""The reads behind each export, in a fixed few queries whatever the record's size."""

from django.utils import timezone

from diary.models import DiaryEntry, Procedure
from exports import fhir
from notifications.models import Alert


def patient_bundle(patient, blocks=None) -> dict:
    """The FHIR bundle of the patient, or of ``blocks`` of theirs only."""
    if blocks is None:
        blocks = list(
            Procedure.objects.filter(patient=patient)
            .select_related("proceduralist")
            .order_by("performed_at", "id")
        )
    # Current entries only: a superseded reading is replaced by its correction's.
    entries = DiaryEntry.objects.current().filter(procedure__in=blocks).order_by("recorded_at")
    alerts = Alert.objects.filter(procedure__in=blocks).order_by("created_at", "id")
    return fhir.bundle(patient, blocks, list(entries), list(alerts), generated_at=timezone.now())
