"""The diagnostic response of a patient's blocks, read from the database.

Queries only: what counts and why lives in the pure ``diary.response``. Both functions use
the clinic's rules in force now, so a changed threshold re-reads every block the same way.
"""

import functools
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from diary import provisional, rulesets
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    DiaryEntry,
    Patient,
    Procedure,
    ProcedureKind,
    ProcedureStatus,
)
from diary.response import readiness
from diary.response.relief import minutes_after_block
from diary.response.verdict import Reading, Verdict, analyse

# What the analysis needs of an entry: no more is read.
_READING_FIELDS = ("recorded_at", "pain_score", "activity_ok")


def _rules(clinic_id: int):
    return rulesets.rules_of(rulesets.active_rule_set(clinic_id))


def _verdict(procedure: Procedure, rows, rules, pending, now, zone=None) -> Verdict:
    minutes = functools.partial(minutes_after_block, procedure.performed_at)
    readings = [Reading(minutes(recorded_at), score, ok) for recorded_at, score, ok in rows]
    verdict = analyse(
        baseline_pain=procedure.baseline_pain,
        anesthetic=procedure.anesthetic,
        readings=readings,
        rules=rules,
    )
    return provisional.wait_for_window(
        verdict,
        elapsed_minutes=minutes(now),
        pending=[provisional.Pending(minutes(due), minutes(closes)) for due, closes in pending],
        performed_at=procedure.performed_at.astimezone(zone) if zone else None,
    )


def _pending(procedures, now: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    """Each block's check-ins still open at ``now`` (due and close times): one query."""
    found = defaultdict(list)
    rows = CheckIn.objects.filter(
        procedure__in=procedures, status__in=OPEN_CHECKIN_STATUSES, closes_at__gt=now
    ).values_list("procedure_id", "due_at", "closes_at")
    for procedure_id, due_at, closes_at in rows:
        found[procedure_id].append((due_at, closes_at))
    return found


def procedure_response(procedure: Procedure, now: datetime | None = None) -> Verdict:
    """The verdict of one block: a query for its entries, one for its open check-ins (the
    verdict is provisional while its window is open), one or two for the rules.

    Minutes come from ``recorded_at`` (when the patient rated the pain), never from when
    the phone sent it, so an entry recorded offline counts at the time it describes.
    """
    now = now or timezone.now()
    rows = DiaryEntry.objects.current().filter(procedure=procedure).values_list(*_READING_FIELDS)
    pending = _pending([procedure], now)[procedure.pk]
    zone = ZoneInfo(procedure.patient.clinic.timezone)
    return _verdict(procedure, rows, _rules(procedure.patient.clinic_id), pending, now, zone)


def procedure_responses(
    procedures: list[Procedure], now: datetime | None = None, zone: ZoneInfo | None = None
) -> dict[int, Verdict]:
    """The verdicts of many blocks (a clinic's day) in a fixed number of queries: one for
    all their entries, one for their open check-ins, and the rules once per clinic.
    ``zone``: the clinic's, for the times a provisional verdict names ("due by 17:00")."""
    now = now or timezone.now()
    rows = defaultdict(list)
    entries = (
        DiaryEntry.objects.current()
        .filter(procedure__in=procedures)
        .values_list("procedure_id", *_READING_FIELDS)
    )
    for procedure_id, *reading in entries:
        rows[procedure_id].append(reading)
    pending = _pending(procedures, now)
    rules = {}
    verdicts = {}
    for procedure in procedures:
        clinic_id = procedure.patient.clinic_id
        if clinic_id not in rules:
            rules[clinic_id] = _rules(clinic_id)
        verdicts[procedure.pk] = _verdict(
            procedure, rows[procedure.pk], rules[clinic_id], pending[procedure.pk], now, zone
        )
    return verdicts


def rfa_readiness(patient: Patient, now: datetime | None = None) -> readiness.Readiness:
    """Whether the patient is ready for ablation, from all their diagnostic blocks.

    One query for the blocks, one for all their entries, one or two for the rules. Dates
    are taken in the clinic's time zone: "14 days apart" and "sessions" are dates of service.
    """
    now = now or timezone.now()
    zone = ZoneInfo(patient.clinic.timezone)
    blocks = list(
        Procedure.objects.filter(patient=patient, kind=ProcedureKind.DIAGNOSTIC_MBB)
        .exclude(status=ProcedureStatus.CANCELLED)
        .order_by("performed_at", "id")
    )
    rows = defaultdict(list)
    entries = (
        DiaryEntry.objects.current()
        .filter(procedure__in=blocks)
        .values_list("procedure_id", *_READING_FIELDS)
    )
    for procedure_id, *reading in entries:
        rows[procedure_id].append(reading)
    rules = _rules(patient.clinic_id)
    pending = _pending(blocks, now)
    summaries = [
        readiness.BlockSummary(
            id=block.id,
            performed_at=block.performed_at.astimezone(zone),
            levels=block.levels,
            side=block.side,
            anesthetic=block.anesthetic,
            kind=block.kind,
            status=block.status,
            verdict=_verdict(block, rows[block.id], rules, pending[block.id], now, zone),
        )
        for block in blocks
    ]
    return readiness.rfa_readiness(summaries, rules, now.astimezone(zone))
