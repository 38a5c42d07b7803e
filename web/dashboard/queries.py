"""What the dashboard's pages show: read-only queries, each scoped to one clinic.

Every lookup starts from the clinic: a block or an alert is found in it (404 otherwise), and
what belongs to that block is read from the block. Views never query a model themselves, so
no page can forget the scope.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404

from diary.models import (
    CheckIn,
    CheckInStatus,
    Clinic,
    DiaryEntry,
    Finding,
    Limb,
    Procedure,
    ProcedureStatus,
    StepKind,
)
from diary.response import minutes_after_block, relief_percent
from diary.triage import SEVERITY_ORDER
from notifications import oncall
from notifications.models import Alert, AlertState

RECENT = timedelta(hours=72)
COMING = timedelta(hours=24)
RESOLVED_SHOWN = timedelta(hours=24)
RESOLVED_LIMIT = 20
# The chart covers the readings of the first hours (every 15 min, then hourly to 8 h); the
# daily ones follow in the table. A longer expected window widens it.
CHART_MINUTES = 12 * 60
LIVE = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


def urgency(alert: Alert) -> tuple:
    """Sort key, most urgent first: open before taken, emergency before urgent, a
    "never normal" (high priority) urgent before a plain one, then the longest waiting."""
    return (
        alert.state != AlertState.OPEN,
        -SEVERITY_ORDER[alert.severity],
        alert.priority != "high",
        alert.created_at,
    )


# --- Today ---------------------------------------------------------------------------------


@dataclass
class BlockRow:
    """One block on the Today page."""

    procedure: Procedure
    latest_pain: int | None
    latest_minutes: int | None
    relief: float | None
    counts: dict[str, int] = field(default_factory=dict)  # check-ins by status
    alerts: list[Alert] = field(default_factory=list)  # live ones, most urgent first
    verdict: object = None  # diary.response.Verdict; None unless a diagnostic block done

    answered = property(lambda self: self.counts.get(CheckInStatus.ANSWERED, 0))
    due = property(lambda self: self.counts.get(CheckInStatus.DUE, 0))
    missed = property(lambda self: self.counts.get(CheckInStatus.MISSED, 0))
    upcoming = property(lambda self: self.counts.get(CheckInStatus.UPCOMING, 0))

    @property
    def latest_after(self) -> str:
        return duration(self.latest_minutes) if self.latest_minutes is not None else ""

    @property
    def urgency(self) -> tuple:
        # With no live alert: after every block that has one (as if taken, severity none).
        top = urgency(self.alerts[0])[:3] if self.alerts else (True, 0, True)
        # Then a check-in waiting for an answer, then missed ones, then the newest block.
        return (*top, -self.due, -self.missed, -self.procedure.performed_at.timestamp())


def today(clinic: Clinic, now: datetime) -> tuple[list[BlockRow], list[BlockRow]]:
    """The clinic's blocks of the last 72 h (most urgent first) and of the next 24 h."""
    latest = DiaryEntry.objects.filter(
        procedure=OuterRef("pk"), recorded_at__gte=OuterRef("performed_at")
    ).order_by("-recorded_at", "-id")
    blocks = (
        Procedure.objects.filter(
            patient__clinic=clinic,
            performed_at__gte=now - RECENT,
            performed_at__lte=now + COMING,
        )
        .exclude(status=ProcedureStatus.CANCELLED)
        .select_related("patient", "proceduralist")
        .annotate(
            latest_pain=Subquery(latest.values("pain_score")[:1]),
            latest_at=Subquery(latest.values("recorded_at")[:1]),
        )
    )
    rows = {block.pk: _block_row(block) for block in blocks}
    # Counted apart: aggregating in the blocks' query would group by every selected column.
    counts = (
        CheckIn.objects.filter(procedure__in=rows)
        .values_list("procedure_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for procedure_id, status, n in counts:
        rows[procedure_id].counts[status] = n
    for alert in Alert.objects.filter(clinic=clinic, procedure__in=rows, state__in=LIVE):
        rows[alert.procedure_id].alerts.append(alert)
    recent, coming = [], []
    for row in rows.values():
        row.alerts.sort(key=urgency)
        (recent if row.procedure.performed_at <= now else coming).append(row)
    recent.sort(key=lambda row: row.urgency)
    coming.sort(key=lambda row: row.procedure.performed_at)
    return recent, coming


def _block_row(block: Procedure) -> BlockRow:
    minutes = relief = None
    if block.latest_at is not None:
        minutes = minutes_after_block(block.performed_at, block.latest_at)
        relief = relief_percent(block.baseline_pain, block.latest_pain)
    return BlockRow(
        procedure=block, latest_pain=block.latest_pain, latest_minutes=minutes, relief=relief
    )


def live_alerts(clinic: Clinic) -> list[Alert]:
    """Open and acknowledged alerts, most urgent first."""
    found = Alert.objects.filter(clinic=clinic, state__in=LIVE).select_related(
        "patient", "procedure", "acknowledged_by"
    )
    return sorted(found, key=urgency)


# --- The alert board ------------------------------------------------------------------------


@dataclass
class Board:
    open: list[Alert]
    acknowledged: list[Alert]
    resolved: list[Alert]
    on_call: oncall.OnCall
    warnings: list[str]
    now: datetime

    @property
    def open_emergencies(self) -> int:
        return sum(1 for alert in self.open if alert.severity == "emergency")

    @property
    def version(self) -> str:
        """Changes whenever anything the board shows changes, ages included (they are
        shown to the minute): a poll that would show the same gets "no change"."""
        parts = [
            (a.pk, a.state, a.severity, a.priority, a.escalation_step, a.updated_at.isoformat())
            for a in (*self.open, *self.acknowledged, *self.resolved)
        ]
        people = [u.pk for u in (*self.on_call.primary, *self.on_call.backup)]
        minute = self.now.replace(second=0, microsecond=0).isoformat()
        text = repr((parts, people, self.warnings, minute))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def board(clinic: Clinic, now: datetime) -> Board:
    alerts = live_alerts(clinic)
    resolved = Alert.objects.filter(
        clinic=clinic, state=AlertState.RESOLVED, resolved_at__gte=now - RESOLVED_SHOWN
    ).select_related("patient", "procedure", "resolved_by")
    return Board(
        open=[a for a in alerts if a.state == AlertState.OPEN],
        acknowledged=[a for a in alerts if a.state == AlertState.ACKNOWLEDGED],
        resolved=list(resolved.order_by("-resolved_at", "-id")[:RESOLVED_LIMIT]),
        on_call=oncall.on_call(clinic.pk, now),
        warnings=oncall.coverage_warnings(clinic, now),
        now=now,
    )


def alert_of(clinic: Clinic, alert_id: int) -> Alert:
    """One of the clinic's alerts (404 for anyone else's)."""
    return get_object_or_404(Alert, pk=alert_id, clinic=clinic)


def alert_with_history(clinic: Clinic, alert_id: int) -> Alert:
    """One of the clinic's alerts with its events and the entries behind them."""
    return get_object_or_404(
        Alert.objects.select_related(
            "patient", "procedure", "acknowledged_by", "resolved_by"
        ).prefetch_related("events__actor", "events__finding__entry"),
        pk=alert_id,
        clinic=clinic,
    )


# --- A block --------------------------------------------------------------------------------


@dataclass
class Reading:
    """One diary entry as the readings table shows it."""

    entry: DiaryEntry
    minutes: int
    relief: float | None
    symptoms: list[str]


def procedure_of(clinic: Clinic, procedure_id: int) -> Procedure:
    """One of the clinic's blocks (404 for anyone else's)."""
    return get_object_or_404(
        Procedure.objects.select_related("patient", "proceduralist"),
        pk=procedure_id,
        patient__clinic=clinic,
    )


def readings(procedure: Procedure) -> list[Reading]:
    entries = DiaryEntry.objects.filter(procedure=procedure).select_related("checkin")
    return [
        Reading(
            entry=entry,
            minutes=minutes_after_block(procedure.performed_at, entry.recorded_at),
            relief=relief_percent(procedure.baseline_pain, entry.pain_score),
            symptoms=symptoms(entry),
        )
        for entry in entries.order_by("recorded_at", "id")
    ]


def checkins(procedure: Procedure) -> list[CheckIn]:
    return list(procedure.checkins.order_by("due_at", "id"))


def findings(procedure: Procedure) -> list[Finding]:
    """What triage concluded from this block's entries, the expected ones included."""
    return list(procedure.findings.select_related("entry", "checkin").order_by("created_at", "id"))


def patient_alerts(procedure: Procedure) -> list[Alert]:
    """All the patient's alerts, live ones first (most urgent first), then the newest."""
    found = list(
        Alert.objects.filter(
            clinic_id=procedure.patient.clinic_id, patient_id=procedure.patient_id
        ).select_related("procedure", "acknowledged_by", "resolved_by")
    )
    live = sorted((a for a in found if a.state in LIVE), key=urgency)
    return live + [a for a in found if a.state not in LIVE]


def other_blocks(procedure: Procedure) -> list[Procedure]:
    return list(
        Procedure.objects.filter(patient_id=procedure.patient_id)
        .exclude(pk=procedure.pk)
        .order_by("-performed_at", "-id")
    )


_LIMBS = {Limb.LEFT_LEG: "left leg", Limb.RIGHT_LEG: "right leg", Limb.BOTH_LEGS: "both legs"}


def symptoms(entry: DiaryEntry) -> list[str]:
    """The safety answers of an entry, in words; empty when it reported nothing."""
    found = []
    if entry.numbness in _LIMBS:
        found.append(f"numb {_LIMBS[entry.numbness]}")
    if entry.weakness in _LIMBS:
        found.append(f"weak {_LIMBS[entry.weakness]}")
    if entry.can_lift_heel is False:
        found.append("cannot lift heel")
    flags = (
        ("saddle_numbness", "saddle numbness"),
        ("bowel_bladder_change", "bowel or bladder change"),
        ("unable_to_urinate", "unable to pass urine"),
        ("fever", "fever"),
        ("site_problem", "injection-site problem"),
        ("severe_back_pain", "new severe back pain"),
        ("headache_on_standing", "headache on standing"),
        ("radicular_symptoms", "shooting pain or numb strip down a leg"),
    )
    found += [words for name, words in flags if getattr(entry, name)]
    if entry.temperature_celsius is not None:
        found.append(f"temperature {entry.temperature_celsius} °C")
    return found


def chart_data(procedure: Procedure, checkins: list[CheckIn], verdict, now: datetime) -> dict:
    """The relief chart's data, for ``json_script``: the verdict's own readings.

    The x axis runs to the hour after the later of the expected window and now (so a block
    done an hour ago is not a speck in a 12-hour frame), at most 12 h unless the window is
    longer; readings after that are in the table only."""
    window = verdict.expected_window_minutes
    elapsed = minutes_after_block(procedure.performed_at, now)
    span = max(window + 60, min(CHART_MINUTES, elapsed))
    span = -(-span // 60) * 60  # up to a whole hour
    missed = [
        {"x": minutes_after_block(procedure.performed_at, c.due_at), "label": c.label}
        for c in checkins
        if c.status == CheckInStatus.MISSED and c.kind == StepKind.AFTER_BLOCK
    ]
    return {
        "readings": [
            {"x": r.minutes_after_block, "y": r.relief_percent, "pain": r.pain_score}
            for r in verdict.readings
            if r.minutes_after_block <= span and r.relief_percent is not None
        ],
        "missed": [m for m in missed if 0 <= m["x"] <= span],
        "threshold": verdict.threshold_percent,
        "window": [0, window],
        "anesthetic": procedure.anesthetic,
        "span": span,
        "later": sum(1 for r in verdict.readings if r.minutes_after_block > span),
    }


def chart_summary(verdict, missed: list[CheckIn]) -> str:
    """The chart in one sentence, for screen readers (the tables below have every number)."""
    window = f"the expected {verdict.anesthetic or 'anaesthetic'} window is the first " + (
        duration(verdict.expected_window_minutes)
    )
    if verdict.peak_relief_percent is None:
        said = "No relief readings yet"
    else:
        said = (
            f"Relief peaked at {verdict.peak_relief_percent:g} % "
            f"{duration(verdict.peak_at_minutes)} after the block and was at or above the "
            f"{verdict.threshold_percent} % threshold for "
            f"{duration(verdict.minutes_at_or_above_threshold)}"
        )
    return f"{said}; {window}; {len(missed)} missed check-in{'' if len(missed) == 1 else 's'}."


def duration(minutes: int) -> str:
    """45 → "45 min", 120 → "2 h", 150 → "2 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")
