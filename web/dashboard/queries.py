"""What the dashboard's pages show: read-only queries, each scoped to one clinic.

Every lookup starts from the clinic: a block or an alert is found in it (404 otherwise), and
what belongs to that block is read from the block. Views never query a model themselves, so
no page can forget the scope.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Max, OuterRef, Q, Subquery, Sum, When
from django.shortcuts import get_object_or_404

from audit.log import note
from diary.models import (
    CheckIn,
    CheckInStatus,
    Clinic,
    DiaryEntry,
    Procedure,
    ProcedureStatus,
)
from diary.response.relief import minutes_after_block, relief_percent
from diary.triage import SEVERITY_ORDER
from notifications import oncall
from notifications.models import Alert, AlertState

RECENT = timedelta(hours=72)
COMING = timedelta(hours=24)
RESOLVED_SHOWN = timedelta(hours=24)
RESOLVED_LIMIT = 20
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


# --- Ordering in SQL ------------------------------------------------------------------------

# ``urgency`` as one number, so that the database sorts and cuts a long list and only the
# rows shown are read: open before taken (100), then severity (10 a step), then priority.
_TOP_SEVERITY = max(SEVERITY_ORDER.values())
_SEVERITY_RANK = [
    When(severity=s, then=(_TOP_SEVERITY - o) * 10) for s, o in SEVERITY_ORDER.items()
]
ALERT_RANK = (
    Case(When(state=AlertState.OPEN, then=0), default=100)
    + Case(*_SEVERITY_RANK, default=_TOP_SEVERITY * 10)
    + Case(When(priority="high", then=0), default=1)
)
# A block without a live alert: after every block that has one (as if taken, no severity).
NO_ALERT_RANK = 100 + _TOP_SEVERITY * 10 + 1
BY_URGENCY = ("rank", "created_at", "id")


# --- Today ---------------------------------------------------------------------------------

# Rows of one page of a Today section: a screenful a nurse reads, whatever the clinic's size
# (rendering a row costs about as much as the rest of the page, bench/pages).
TODAY_SHOWN = 10
COMING_SHOWN = 5
# Live alerts listed on Today; the board has them all.
TODAY_ALERTS_SHOWN = 5


@dataclass
class BlockRow:
    """One block on the Today page."""

    procedure: Procedure
    latest_pain: int | None = None
    latest_minutes: int | None = None
    relief: float | None = None
    counts: dict[str, int] = field(default_factory=dict)  # check-ins by status
    alerts: list[Alert] = field(default_factory=list)  # live ones, most urgent first
    verdict: object = None  # diary.response.verdict.Verdict; None unless a diagnostic block done

    answered = property(lambda self: self.counts.get(CheckInStatus.ANSWERED, 0))
    due = property(lambda self: self.counts.get(CheckInStatus.DUE, 0))
    missed = property(lambda self: self.counts.get(CheckInStatus.MISSED, 0))
    upcoming = property(lambda self: self.counts.get(CheckInStatus.UPCOMING, 0))

    @property
    def latest_after(self) -> str:
        return duration(self.latest_minutes) if self.latest_minutes is not None else ""


# Check-ins waiting for an answer, then missed ones, as one number (a block has far fewer
# than 1,000): one pass over the block's check-ins instead of a subquery for each status.
_CHECKIN_RANK = Sum(
    Case(When(status=CheckInStatus.DUE, then=1000), When(status=CheckInStatus.MISSED, then=1))
)


def today(clinic: Clinic, now: datetime, recent_page=1, coming_page=1) -> tuple[Page, Page]:
    """One page each of the clinic's blocks of the last 72 h (most urgent first: live
    alerts, then check-ins waiting for an answer, then missed ones, then the newest) and
    of the next 24 h (soonest first). Only the rows shown are read in full. A page past
    the end is the last; one that is not a number, the first."""
    top_alert = Alert.objects.filter(procedure=OuterRef("pk"), state__in=LIVE)
    checkins = CheckIn.objects.filter(procedure=OuterRef("pk")).order_by().values("procedure")
    # Ranked in one light query (a few numbers per block): both sections' order and size.
    ranked = (
        Procedure.objects.filter(
            patient__clinic=clinic, performed_at__gte=now - RECENT, performed_at__lte=now + COMING
        )
        .exclude(status=ProcedureStatus.CANCELLED)
        .annotate(
            alert_rank=Subquery(
                top_alert.annotate(rank=ALERT_RANK).order_by("rank").values("rank")[:1]
            ),
            checkin_rank=Subquery(checkins.annotate(n=_CHECKIN_RANK).values("n")),
        )
        .values_list("pk", "performed_at", "alert_rank", "checkin_rank")
        .order_by()  # sorted below, with the ranks
    )
    recent, coming = [], []
    for pk, performed_at, alert_rank, checkin_rank in ranked:
        if performed_at <= now:
            key = (alert_rank or NO_ALERT_RANK, -(checkin_rank or 0), -performed_at.timestamp())
            recent.append((*key, -pk, pk))
        else:
            coming.append((performed_at, pk, pk))
    recent = Paginator([k[-1] for k in sorted(recent)], TODAY_SHOWN).get_page(recent_page)
    coming = Paginator([k[-1] for k in sorted(coming)], COMING_SHOWN).get_page(coming_page)
    latest = (
        DiaryEntry.objects.current()
        .filter(procedure=OuterRef("pk"), recorded_at__gte=OuterRef("performed_at"))
        .order_by("-recorded_at", "-id")
    )
    shown = Procedure.objects.filter(pk__in=[*recent, *coming]).select_related(
        "patient", "proceduralist"
    )
    shown = shown.annotate(
        latest_pain=Subquery(latest.values("pain_score")[:1]),
        latest_at=Subquery(latest.values("recorded_at")[:1]),
    )
    blocks = {block.pk: block for block in shown}
    note(*blocks.values())
    recent.object_list = [_block_row(blocks[pk]) for pk in recent]
    coming.object_list = [BlockRow(procedure=blocks[pk]) for pk in coming]
    rows = {row.procedure.pk: row for row in recent}
    # Counted apart: aggregating in the blocks' query would group by every selected column.
    counts = (
        CheckIn.objects.filter(procedure__in=rows)
        .values_list("procedure_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for procedure_id, status, n in counts:
        rows[procedure_id].counts[status] = n
    shown_alerts = Alert.objects.filter(clinic=clinic, procedure__in=rows, state__in=LIVE)
    for alert in shown_alerts.annotate(rank=ALERT_RANK).order_by(*BY_URGENCY):
        rows[alert.procedure_id].alerts.append(alert)
    return recent, coming


def _block_row(block: Procedure) -> BlockRow:
    minutes = relief = None
    if block.latest_at is not None:
        minutes = minutes_after_block(block.performed_at, block.latest_at)
        relief = relief_percent(block.baseline_pain, block.latest_pain)
    return BlockRow(
        procedure=block, latest_pain=block.latest_pain, latest_minutes=minutes, relief=relief
    )


def _live(clinic: Clinic, *states: str, limit: int | None = None):
    """The most urgent live alerts (of ``states``), with their patients and blocks."""
    ranked = (
        Alert.objects.filter(clinic=clinic, state__in=states or LIVE)
        .annotate(rank=ALERT_RANK)
        .order_by(*BY_URGENCY)
    )
    # Cut first, join after: joined before the cut, PostgreSQL hashes every patient and
    # block of the clinic to find the few shown.
    shown = ranked.filter(pk__in=Subquery(ranked.values("pk")[:limit]))
    return shown.select_related("patient", "procedure", "acknowledged_by")


def live_alerts(clinic: Clinic, limit: int = TODAY_ALERTS_SHOWN) -> tuple[list[Alert], int]:
    """The most urgent open and acknowledged alerts, and how many there are in all."""
    live = list(_live(clinic, limit=limit))
    note(*live)
    return live, Alert.objects.filter(clinic=clinic, state__in=LIVE).count()


# --- The alert board ------------------------------------------------------------------------

# Cards in each of the board's lists: the most urgent; a line says how many more there are.
BOARD_SHOWN = 6


@dataclass
class Board:
    open: list[Alert]  # the most urgent, BOARD_SHOWN of them unless all were asked for
    acknowledged: list[Alert]
    resolved: list[Alert]
    on_call: oncall.OnCall
    warnings: list[str]
    now: datetime
    open_count: int = 0
    open_emergencies: int = 0
    acknowledged_count: int = 0
    resolved_count: int = 0
    last_change: datetime | None = None  # of any live alert, shown or not
    showing_all: bool = False

    open_more = property(lambda self: self.open_count - len(self.open))
    open_emergencies_more = property(
        lambda self: self.open_emergencies - sum(1 for a in self.open if a.severity == "emergency")
    )
    acknowledged_more = property(lambda self: self.acknowledged_count - len(self.acknowledged))

    @property
    def version(self) -> str:
        """Changes whenever anything the board shows changes, ages included (they are
        shown to the minute): a poll that would show the same gets "no change". The
        counts and the latest change of any live alert stand for the ones not shown."""
        parts = [
            (a.pk, a.state, a.severity, a.priority, a.escalation_step, a.updated_at.isoformat())
            for a in (*self.open, *self.acknowledged, *self.resolved)
        ]
        counts = (self.open_count, self.open_emergencies, self.acknowledged_count)
        totals = (*counts, self.resolved_count, self.last_change, self.showing_all)
        people = [u.pk for u in (*self.on_call.primary, *self.on_call.backup)]
        minute = self.now.replace(second=0, microsecond=0).isoformat()
        text = repr((parts, totals, people, self.warnings, minute))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def board(clinic: Clinic, now: datetime, show_all: bool = False) -> Board:
    limit = None if show_all else BOARD_SHOWN
    since = now - RESOLVED_SHOWN
    recently_resolved = Q(state=AlertState.RESOLVED, resolved_at__gte=since)
    totals = Alert.objects.filter(clinic=clinic).aggregate(
        open_count=Count("pk", filter=Q(state=AlertState.OPEN)),
        open_emergencies=Count("pk", filter=Q(state=AlertState.OPEN, severity="emergency")),
        acknowledged_count=Count("pk", filter=Q(state=AlertState.ACKNOWLEDGED)),
        resolved_count=Count("pk", filter=recently_resolved),
        last_change=Max("updated_at", filter=Q(state__in=LIVE)),
    )
    resolved = Alert.objects.filter(Q(clinic=clinic) & recently_resolved).select_related(
        "patient", "procedure", "resolved_by"
    )
    shown = {
        "open": list(_live(clinic, AlertState.OPEN, limit=limit)),
        "acknowledged": list(_live(clinic, AlertState.ACKNOWLEDGED, limit=limit)),
        "resolved": list(resolved.order_by("-resolved_at", "-id")[:RESOLVED_LIMIT]),
    }
    note(*(alert for alerts in shown.values() for alert in alerts))
    return Board(
        **shown,
        on_call=oncall.on_call(clinic.pk, now),
        warnings=oncall.coverage_warnings(clinic, now),
        now=now,
        showing_all=show_all,
        **totals,
    )


def alert_of(clinic: Clinic, alert_id: int) -> Alert:
    """One of the clinic's alerts (404 for anyone else's)."""
    alert = get_object_or_404(Alert, pk=alert_id, clinic=clinic)
    note(alert)
    return alert


def alert_with_history(clinic: Clinic, alert_id: int) -> Alert:
    """One of the clinic's alerts with its events and the entries behind them."""
    alert = get_object_or_404(
        Alert.objects.select_related(
            "patient", "procedure", "acknowledged_by", "resolved_by"
        ).prefetch_related("events__actor", "events__finding__entry"),
        pk=alert_id,
        clinic=clinic,
    )
    note(alert)
    return alert


def duration(minutes: int) -> str:
    """45 → "45 min", 120 → "2 h", 150 → "2 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")
