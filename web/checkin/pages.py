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


def open_checkins(patient: Patient, now: datetime) -> list[CheckIn]:
    """Check-ins open now (between their opening and their closing), not yet answered."""
    return list(
        checkins_of(patient)
        .filter(status__in=OPEN_CHECKIN_STATUSES, opens_at__lte=now, closes_at__gt=now)
        .select_related("procedure")
        .order_by("due_at")
    )


def next_checkin(patient: Patient, now: datetime) -> CheckIn | None:
    return (
        checkins_of(patient)
        .filter(status__in=OPEN_CHECKIN_STATUSES, opens_at__gt=now)
        .order_by("due_at")
        .first()
    )


def diary_of(patient: Patient, now: datetime) -> Diary:
    block = current_block(patient)
    if block is None:
        return Diary(block=None)
    upcoming = list(
        checkins_of(patient)
        .filter(status__in=OPEN_CHECKIN_STATUSES, opens_at__gt=now)
        .order_by("due_at")[:UPCOMING_SHOWN]
    )
    readings = list(DiaryEntry.objects.filter(procedure=block).order_by("recorded_at", "id"))
    points = [
        charts.Point(
            minutes=response.minutes_after_block(block.performed_at, entry.recorded_at),
            pain=entry.pain_score,
        )
        for entry in readings
    ]
    return Diary(
        block=block,
        open_now=open_checkins(patient, now),
        upcoming=upcoming,
        readings=readings,
        chart=charts.chart(points, baseline=block.baseline_pain) if points else None,
    )
