"""Searching the trail, for a clinic's admins (API and dashboard) and a patient's page."""

import csv
import io

from django.core.serializers.json import DjangoJSONEncoder

from audit.models import Action, ActorKind, AuditEvent

CSV_COLUMNS = (
    "id",
    "at",
    "action",
    "actor_kind",
    "staff_user_id",
    "actor_patient_id",
    "actor_label",
    "object_kind",
    "object_ids",
    "patient_ids",
    "changes",
    "address",
    "user_agent",
    "via",
)
# A CSV export is a file a person opens: a bound on one answer, and the filters for more.
CSV_MAX_ROWS = 50_000


def of_clinic(clinic_id: int):
    return AuditEvent.objects.filter(clinic_id=clinic_id)


def looked_at(patient, limit: int = 20) -> list[AuditEvent]:
    """Who on the staff read the patient's record, latest first. Filtered by the clinic
    first: the (clinic, -at) index is walked newest first and stops at ``limit`` rows."""
    return list(
        of_clinic(patient.clinic_id)
        .for_patient(patient.pk)
        .filter(actor_kind=ActorKind.STAFF, action__in=(Action.READ, Action.EXPORT))
        .order_by("-at", "-id")[:limit]
    )


def as_csv(events) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    encoder = DjangoJSONEncoder()
    for event in events[:CSV_MAX_ROWS]:
        row = [getattr(event, name) for name in CSV_COLUMNS]
        row[CSV_COLUMNS.index("object_ids")] = " ".join(map(str, event.object_ids))
        row[CSV_COLUMNS.index("patient_ids")] = " ".join(map(str, event.patient_id_list))
        row[CSV_COLUMNS.index("changes")] = encoder.encode(event.changes) if event.changes else ""
        row[CSV_COLUMNS.index("at")] = event.at.isoformat()
        writer.writerow([_no_formula(value) for value in row])
    return out.getvalue()


def _no_formula(value):
    """A cell a spreadsheet would run as a formula (a user agent of "=HYPERLINK(...)") is
    quoted with a leading apostrophe (OWASP's CSV injection advice)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
