"""A patient's data rights: everything held about them, and their erasure.

Here because both span diary and notifications (which diary must not import); the writes
themselves are each app's own (``diary.services.erasure``, ``notifications.erasure``).
The audit trail is not erased: it is the clinic's legal record of who did what, kept
under AUDIT_RETENTION_DAYS (GDPR art. 17(3)(b) and (e)); the erasure adds its own row.
"""

from django.db import transaction

from audit import log as audit
from audit.models import Action, AuditEvent
from diary.models import DiaryEntry
from diary.services.erasure import erase_patient
from exports import gather
from notifications.erasure import scrub_patient
from notifications.models import Delivery


def everything(patient) -> dict:
    """The FHIR bundle, every entry as stored (superseded ones too), every message sent,
    and the audit history of the record."""
    # The API's own shapes, so the export reads like the endpoints a clinic already uses.
    from diary.api.audit_views import AuditEventSerializer
    from notifications.api.serializers import DeliverySerializer

    deliveries = Delivery.objects.filter(patient=patient).prefetch_related("attempts_log")
    entries = DiaryEntry.objects.filter(patient=patient).order_by("recorded_at", "id")
    return {
        "fhir": gather.patient_bundle(patient),
        "entries": list(entries.values()),
        "deliveries": DeliverySerializer(deliveries.order_by("created_at", "id"), many=True).data,
        "audit": AuditEventSerializer(
            AuditEvent.objects.for_patient(patient.pk).order_by("at", "id"), many=True
        ).data,
    }


@transaction.atomic
def erase(patient) -> dict:
    removed = {**erase_patient(patient), **scrub_patient(patient)}
    audit.record(
        Action.DELETE,
        "patient",
        [patient.pk],
        patient_ids=[patient.pk],
        changes={"erased": removed},
    )
    return removed
