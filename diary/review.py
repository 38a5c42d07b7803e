"""The diagnostic response of a patient's blocks, read from the database.

Queries only: what counts and why lives in the pure ``diary.response``. Both functions use
the clinic's rules in force now, so a changed threshold re-reads every block the same way.
"""

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from diary import response, rulesets
from diary.models import DiaryEntry, Patient, Procedure, ProcedureKind, ProcedureStatus

# What the analysis needs of an entry: no more is read.
_READING_FIELDS = ("recorded_at", "pain_score", "activity_ok")


def _rules(clinic_id: int):
    return rulesets.rules_of(rulesets.active_rule_set(clinic_id))


def _verdict(procedure: Procedure, rows, rules) -> response.Verdict:
    readings = [
        response.Reading(
            response.minutes_after_block(procedure.performed_at, recorded_at), score, ok
        )
        for recorded_at, score, ok in rows
    ]
    return response.analyse(
        baseline_pain=procedure.baseline_pain,
        anesthetic=procedure.anesthetic,
        readings=readings,
        rules=rules,
    )


def procedure_response(procedure: Procedure) -> response.Verdict:
    """The verdict of one block: one query for its entries, one or two for the rules.

    Minutes come from ``recorded_at`` (when the patient rated the pain), never from when
    the phone sent it, so an entry recorded offline counts at the time it describes.
    """
    rows = DiaryEntry.objects.filter(procedure=procedure).values_list(*_READING_FIELDS)
    return _verdict(procedure, rows, _rules(procedure.patient.clinic_id))


def procedure_responses(procedures: list[Procedure]) -> dict[int, response.Verdict]:
    """The verdicts of many blocks (a clinic's day) in a fixed number of queries: one for
    all their entries, and the rules once per clinic."""
    rows = defaultdict(list)
    entries = DiaryEntry.objects.filter(procedure__in=procedures).values_list(
        "procedure_id", *_READING_FIELDS
    )
    for procedure_id, *reading in entries:
        rows[procedure_id].append(reading)
    rules = {}
    verdicts = {}
    for procedure in procedures:
        clinic_id = procedure.patient.clinic_id
        if clinic_id not in rules:
            rules[clinic_id] = _rules(clinic_id)
        verdicts[procedure.pk] = _verdict(procedure, rows[procedure.pk], rules[clinic_id])
    return verdicts


def rfa_readiness(patient: Patient, now: datetime | None = None) -> response.Readiness:
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
    entries = DiaryEntry.objects.filter(procedure__in=blocks).values_list(
        "procedure_id", *_READING_FIELDS
    )
    for procedure_id, *reading in entries:
        rows[procedure_id].append(reading)
    rules = _rules(patient.clinic_id)
    summaries = [
        response.BlockSummary(
            id=block.id,
            performed_at=block.performed_at.astimezone(zone),
            levels=block.levels,
            side=block.side,
            anesthetic=block.anesthetic,
            kind=block.kind,
            status=block.status,
            verdict=_verdict(block, rows[block.id], rules),
        )
        for block in blocks
    ]
    return response.rfa_readiness(summaries, rules, now.astimezone(zone))
