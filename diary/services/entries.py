"""Diary entries: stored once (idempotent by client id), matched to their check-in, triaged."""

import contextlib
import functools
import hashlib
import json
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction

from audit import log as audit
from audit.models import Action
from backend import metrics, rows
from diary import triage, triaging
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    CheckInStatus,
    DiaryEntry,
    Patient,
    Procedure,
)
from diary.services import entry_statement
from diary.services.errors import EntryConflict

# --- Diary entries ------------------------------------------------------------------


# Safety answers added after entries were first fingerprinted: an entry stored before them
# was hashed without them, so its retry (which cannot carry them) is also compared that way.
LATER_ENTRY_FIELDS = ("temperature_celsius", "severe_back_pain", "headache_on_standing")
LATER_ENTRY_FIELDS += ("unable_to_urinate",)
# Rule set v2 added this answer, and stopped storing a question not asked as "no": an entry
# stored before was hashed with these defaults for every answer left out.
V2_ENTRY_FIELDS = ("radicular_symptoms",)
V1_ANSWER_DEFAULTS = {
    "numbness": "none",
    "weakness": "none",
    **dict.fromkeys(
        (
            "saddle_numbness",
            "bowel_bladder_change",
            "fever",
            "site_problem",
            "severe_back_pain",
            "headache_on_standing",
            "unable_to_urinate",
        ),
        False,
    ),
}


def entry_fingerprint(data: dict, *, without: tuple = ()) -> str:
    """A stable hash of an entry's content, to tell a retry from a different entry.

    Omitted fields count as their defaults, so ``{"numbness": "none"}`` and a body
    without ``numbness`` are the same entry, as they would be once stored.
    """

    def plain(value):
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        if hasattr(value, "pk"):
            return value.pk
        return value if isinstance(value, (bool, int, type(None))) else str(value)

    content = {**_entry_defaults(), **data}  # a copy: the cached defaults stay as they are
    for name in without:
        content.pop(name, None)
    canonical = json.dumps({k: plain(v) for k, v in content.items()}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_entry(stored: str, fingerprint: str, data: dict) -> bool:
    """Whether a retry is of the stored entry, whichever version of the service stored it."""
    if stored == fingerprint:
        return True
    if any(data.get(name) is not None for name in V2_ENTRY_FIELDS):
        return False
    legacy = {**data, **{k: v for k, v in V1_ANSWER_DEFAULTS.items() if data.get(k) is None}}
    if stored == entry_fingerprint(legacy, without=V2_ENTRY_FIELDS):
        return True
    if any(legacy.get(name) not in (None, False) for name in LATER_ENTRY_FIELDS):
        return False
    return stored == entry_fingerprint(legacy, without=V2_ENTRY_FIELDS + LATER_ENTRY_FIELDS)


# Measured from the request, not sent by the phone: a retry measures them anew.
CLOCK_FIELDS = ("clock_skew_seconds", "phone_recorded_at")


def _as_sent(data: dict) -> dict:
    """The entry as the phone sent it: its own recorded_at, before any clock correction.
    Why: a retry's clock is measured again, a little differently, but it is the same entry.
    """
    sent = {name: value for name, value in data.items() if name not in CLOCK_FIELDS}
    if data.get("phone_recorded_at") is not None:
        sent["recorded_at"] = data["phone_recorded_at"]
    return sent


@functools.cache
def _entry_defaults() -> dict:
    """What the database stores for every field a phone may leave out."""
    skip = {"id", "patient", "received_at", "fingerprint", "advice_level", "advice_message"}
    # Added later, and set by the service, not sent: an entry's hash stays as it was.
    skip.update(("corrects", "superseded_at"))
    skip.update(CLOCK_FIELDS)
    return {
        field.name: field.get_default()
        for field in DiaryEntry._meta.concrete_fields
        if field.name not in skip
    }


def record_entry(*, patient: Patient, data: dict) -> tuple[DiaryEntry, bool]:
    """Store a diary entry once. Returns ``(entry, created)``.

    The same ``client_id`` with the same content returns the stored entry (the phone
    retried after a lost response); with other content it raises ``EntryConflict``.
    """
    as_sent = _as_sent(data)
    fingerprint = entry_fingerprint(as_sent)
    fields = {name: value for name, value in data.items() if name != "checkin"}
    checkin = data.get("checkin")
    # Found before the INSERT, so the row is written once, with its check-in.
    checkin_id = checkin.pk if checkin is not None else _open_checkin_id(data)
    # Most entries report nothing of concern: they skip triage's reads and writes.
    concern = triage.has_safety_answers(triaging.facts_of(data))
    outcome = triaging.routine(patient.language)
    entry = DiaryEntry(
        patient=patient,
        fingerprint=fingerprint,
        checkin_id=checkin_id,
        advice_level=outcome.advice.level,
        advice_message=outcome.advice.message,
        **fields,
    )
    # The routine entry on PostgreSQL is one statement, a transaction in itself; triage's
    # writes, the ORM's several statements, and a savepoint inside a caller's transaction
    # (so a repeated client_id leaves that transaction usable) need one around them.
    one_statement = rows.supported()
    alone = one_statement and not concern and not connection.in_atomic_block
    try:
        with contextlib.nullcontext() if alone else transaction.atomic():
            _write(entry, patient, one_statement)
            if concern:
                entry.procedure.patient = patient
                outcome = triaging.triage_entry(entry, entry.procedure)
    except IntegrityError:
        existing = (
            DiaryEntry.objects.filter(patient=patient, client_id=data["client_id"])
            .select_related("procedure__patient__clinic")
            .first()
        )
        if existing is None:
            raise
        if not _same_entry(existing.fingerprint, fingerprint, as_sent):
            raise EntryConflict(existing) from None
        existing.outcome = triaging.stored_outcome(existing)
        return existing, False
    entry.outcome = outcome
    metrics.entries_recorded.inc()
    return entry, True


def _write(entry: DiaryEntry, patient: Patient, one_statement: bool) -> None:
    """The entry, its audit row (always with it) and its check-in's answer."""
    audit_row = audit.event(Action.CREATE, "diaryentry", patient_ids=[patient.pk])
    if one_statement:
        entry_statement.insert(entry, audit_row)
        return
    entry.save(force_insert=True)
    audit_row.object_ids = [entry.pk]
    audit_row.save(force_insert=True)
    if entry.checkin_id is not None:
        _answer_checkin(entry.checkin_id, entry.recorded_at)


def _open_checkin_queryset(procedure, recorded_at: datetime):
    """The check-in open when a reading was taken (a missed one included): the one
    the reading answers when the phone names none. Before a check-in opens, a reading
    answers nothing: it is stored as an unscheduled reading."""
    return CheckIn.objects.filter(
        procedure_id=procedure,
        status__in=(*OPEN_CHECKIN_STATUSES, CheckInStatus.MISSED),
        opens_at__lte=recorded_at,
        closes_at__gt=recorded_at,
    ).order_by("due_at")


def _open_checkin_id(data: dict) -> int | None:
    procedure = data["procedure"]
    if hasattr(procedure, "open_checkin_id"):  # looked up with the procedure already
        return procedure.open_checkin_id
    return (
        _open_checkin_queryset(procedure.pk, data["recorded_at"])
        .values_list("id", flat=True)
        .first()
    )


def procedure_for_entry(patient: Patient, procedure_id: int, recorded_at: datetime):
    """The patient's procedure, with the check-in a reading at ``recorded_at`` answers
    as ``open_checkin_id`` (or None), in one query.

    Hand-written SQL (backend.rows) because this runs on every diary entry:
    the same query through the ORM costs about 1.5 ms of query compilation per request
    on a 2-core machine, a sixth of the whole request (bench/ingest).
    """
    statuses = (*OPEN_CHECKIN_STATUSES, CheckInStatus.MISSED)
    at = connection.ops.adapt_datetimefield_value(recorded_at)  # as the ORM would store it
    row = rows.fetch_one(_procedure_sql(), [*statuses, at, at, procedure_id, patient.pk])
    if row is None:
        return None
    (procedure,), (procedure.open_checkin_id,) = rows.instances(row, Procedure)
    return procedure


@functools.cache
def _procedure_sql() -> str:
    procedure, checkin = Procedure._meta.db_table, CheckIn._meta.db_table
    return f"""
        SELECT {rows.columns(Procedure, "p")}, (
            SELECT c.id FROM {checkin} c
            WHERE c.procedure_id = p.id AND c.status IN (%s, %s, %s)
              AND c.opens_at <= %s AND c.closes_at > %s
            ORDER BY c.due_at LIMIT 1
        ) AS open_checkin_id
        FROM {procedure} p WHERE p.id = %s AND p.patient_id = %s
    """  # noqa: S608  (names from the models, values as parameters)


def _answer_checkin(checkin_id: int, recorded_at: datetime) -> None:
    """Mark the check-in answered by a reading taken at ``recorded_at``."""
    # A missed check-in counts as answered only by a reading taken inside its window
    # (recorded offline, sent late); an upcoming or due one by any reading for it.
    answerable = CheckIn.objects.filter(pk=checkin_id)
    (
        answerable.filter(status__in=OPEN_CHECKIN_STATUSES)
        | answerable.filter(status=CheckInStatus.MISSED, closes_at__gt=recorded_at)
    ).update(status=CheckInStatus.ANSWERED, answered_at=recorded_at)
