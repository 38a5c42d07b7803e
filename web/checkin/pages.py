"""What the patient's own pages show, read in a few queries: their block, the check-ins open
now and coming, and their readings so far."""

import functools
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from backend import rows
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    DiaryEntry,
    Patient,
    Procedure,
    ProcedureStatus,
)
from diary.response.relief import minutes_after_block
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


@dataclass
class Coming:
    """The patient's check-ins not yet answered that have not closed, soonest first."""

    open_now: list[CheckIn]  # between their opening and their closing
    upcoming: list[CheckIn]  # not open yet


def coming(patient: Patient, now: datetime) -> Coming:
    """What is open now and the next ``UPCOMING_SHOWN`` to come, in one query built once
    (backend.rows): the landing and the answer page of every check-in read it,
    and a diary's dozens of check-ins through the ORM cost more than the rest of the page."""
    with connection.cursor() as cursor:
        at = connection.ops.adapt_datetimefield_value(now)
        statuses = list(OPEN_CHECKIN_STATUSES)
        cursor.execute(
            _coming_sql(),
            [at, at, patient.pk, ProcedureStatus.CANCELLED, *statuses, at, UPCOMING_SHOWN],
        )
        found = [rows.instances(row, CheckIn)[0][0] for row in cursor.fetchall()]
    return Coming(
        open_now=[c for c in found if c.opens_at <= now],
        upcoming=[c for c in found if c.opens_at > now],
    )


@functools.cache
def _coming_sql() -> str:
    quote = connection.ops.quote_name
    checkin, procedure = quote(CheckIn._meta.db_table), quote(Procedure._meta.db_table)
    statuses = ", ".join(["%s"] * len(OPEN_CHECKIN_STATUSES))
    # Every open one; of those not open yet, the first few by due time.
    return f"""
        SELECT {rows.columns(CheckIn)} FROM (
            SELECT {rows.columns(CheckIn, "c")}, c.opens_at <= %s AS open_now,
                   row_number() OVER (
                       PARTITION BY c.opens_at <= %s ORDER BY c.due_at, c.id
                   ) AS place
            FROM {checkin} c JOIN {procedure} p ON p.id = c.procedure_id
            WHERE p.patient_id = %s AND p.status <> %s
              AND c.status IN ({statuses}) AND c.closes_at > %s
        ) still_to_come
        WHERE open_now OR place <= %s
        ORDER BY due_at, id
    """  # noqa: S608  (names from the models, values as parameters)


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
            minutes=minutes_after_block(block.performed_at, entry.recorded_at),
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
