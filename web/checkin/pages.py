"""What the patient's own pages show, read in a few queries: their block, the check-ins open
now and coming, and their readings so far."""

from dataclasses import dataclass, field
from datetime import datetime

from diary import response
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    DiaryEntry,
    Patient,
    Procedure,
    ProcedureStatus,
)
from web.checkin import chart as charts

UPCOMING_SHOWN = 5


@dataclass
class Diary:
    block: Procedure | None
    open_now: list[CheckIn] = field(default_factory=list)
    upcoming: list[CheckIn] = field(default_factory=list)
    readings: list[DiaryEntry] = field(default_factory=list)
    chart: charts.Chart | None = None


def current_block(patient: Patient) -> Procedure | None:
    """The patient's latest block that was not cancelled."""
    return (
        Procedure.objects.filter(patient=patient)
        .exclude(status=ProcedureStatus.CANCELLED)
        .order_by("-performed_at")
        .first()
    )


def checkins_of(patient: Patient):
    return CheckIn.objects.filter(procedure__patient=patient).exclude(
        procedure__status=ProcedureStatus.CANCELLED
    )


COMING_FIELDS = ("key", "label", "status", "opens_at", "due_at", "closes_at", "procedure_id")


@dataclass
class Coming:
    """The patient's check-ins not yet answered that have not closed, soonest first."""

    open_now: list[CheckIn]  # between their opening and their closing
    upcoming: list[CheckIn]  # not open yet


def coming(patient: Patient, now: datetime) -> Coming:
    """What is open now and what comes next, in one query (a diary has a few dozen
    check-ins at most, so reading all those still to come is cheap)."""
    rows = list(
        checkins_of(patient)
        .filter(status__in=OPEN_CHECKIN_STATUSES, closes_at__gt=now)
        # What the pages show of them: a diary's dozens of rows, each with its reminder
        # times and its block, cost more to read than the rest of the page (bench/checkin).
        .only(*COMING_FIELDS)
        .order_by("due_at")
    )
    return Coming(
        open_now=[c for c in rows if c.opens_at <= now],
        upcoming=[c for c in rows if c.opens_at > now],
    )


def diary_of(patient: Patient, now: datetime, still_to_come: Coming | None = None) -> Diary:
    block = current_block(patient)
    if block is None:
        return Diary(block=None)
    still_to_come = still_to_come or coming(patient, now)
    readings = list(
        DiaryEntry.objects.current().filter(procedure=block).order_by("recorded_at", "id")
    )
    points = [
        charts.Point(
            minutes=response.minutes_after_block(block.performed_at, entry.recorded_at),
            pain=entry.pain_score,
        )
        for entry in readings
    ]
    return Diary(
        block=block,
        open_now=still_to_come.open_now,
        upcoming=still_to_come.upcoming[:UPCOMING_SHOWN],
        readings=readings,
        chart=charts.chart(points, baseline=block.baseline_pain) if points else None,
    )
