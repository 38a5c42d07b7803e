"""When the diary asks for a reading: a procedure and a protocol in, due times out.

Pure: no database, no clock. Minute-level steps are fixed offsets from the block;
day-level steps are wall-clock times in the patient's own time zone, so "10:00 on
day 3" stays 10:00 for the patient across a daylight-saving change.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AFTER_BLOCK = "after_block"
DAILY = "daily"
# How long before it is due a check-in opens (CLINICAL.md v2, "Check-in windows"): a reading
# taken earlier does not answer it, since the curve depends on when each reading was taken.
OPENS_BEFORE_MINUTES = {AFTER_BLOCK: 5, DAILY: 60}


@dataclass(frozen=True)
class Step:
    """One step of a protocol (mirrors ``ProtocolStep``)."""

    key: str
    kind: str
    window_minutes: int
    label: str
    offset_minutes: int | None = None
    day: int | None = None
    steroid_only: bool = False
    opens_before_minutes: int | None = None  # None: the default for its kind

    @property
    def opens_before(self) -> timedelta:
        minutes = self.opens_before_minutes
        return timedelta(minutes=OPENS_BEFORE_MINUTES[self.kind] if minutes is None else minutes)


@dataclass(frozen=True)
class PlannedCheckIn:
    key: str
    kind: str
    opens_at: datetime
    due_at: datetime
    closes_at: datetime
    label: str
    remind_at: datetime | None = None
    rereminder_at: datetime | None = None


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders go out for a patient.

    Quiet hours (local wall-clock, may span midnight) hold back day-level reminders
    to the end of the quiet period; minute-level ones after the block are never held,
    the first hours being the diagnostic ones. One re-reminder goes out when a
    check-in is still open ``rereminder_fraction`` of the way through its window.
    """

    quiet_start: time | None = time(22, 0)
    quiet_end: time | None = time(8, 0)
    rereminder_fraction: float | None = 0.5


def _hours_label(hours: int) -> str:
    return f"{hours} h after your block"


def default_steps() -> list[Step]:
    """The default diary protocol of CLINICAL.md.

    Every 15 min for the first hour (each open 15 min, until the next one), hourly
    to 8 h (open 30 min), daily on days 1-14 at the patient's check-in time (open
    12 h, so a late riser can still answer), and days 21 and 28 after a steroid. Each
    opens a little before it is due (``OPENS_BEFORE_MINUTES``).
    """
    steps = [
        Step(f"m{m}", AFTER_BLOCK, 15, f"{m} min after your block", offset_minutes=m)
        for m in (15, 30, 45)
    ]
    steps.append(Step("h1", AFTER_BLOCK, 15, _hours_label(1), offset_minutes=60))
    steps += [
        Step(f"h{h}", AFTER_BLOCK, 30, _hours_label(h), offset_minutes=h * 60) for h in range(2, 9)
    ]
    steps += [
        Step(f"d{d}", DAILY, 12 * 60, f"Day {d} after your block", day=d) for d in range(1, 15)
    ]
    steps += [
        Step(f"d{d}", DAILY, 12 * 60, f"Day {d} after your block", day=d, steroid_only=True)
        for d in (21, 28)
    ]
    return steps


def local_wall_time(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at ``at`` in ``tz`` as an aware UTC datetime.

    A wall time that does not exist (skipped by a spring-forward change) moves to
    the same distance past the gap, as a clock that was not changed would show; an
    ambiguous one (autumn) takes its first occurrence.
    """
    # PEP 495: with fold=0 a skipped wall time takes the offset from before the
    # change (so it lands after the gap) and a repeated one its first occurrence.
    return datetime.combine(day, at).replace(tzinfo=tz, fold=0).astimezone(UTC)


def plan_checkins(
    *,
    performed_at: datetime,
    steps: list[Step],
    timezone: str,
    checkin_time: time,
    steroid: bool,
    reminders: ReminderPolicy | None = None,
) -> list[PlannedCheckIn]:
    """Due times (and reminder times) of every step that applies, earliest first."""
    reminders = reminders or ReminderPolicy()
    if performed_at.tzinfo is None:
        raise ValueError("performed_at must be timezone-aware")
    # Offsets are elapsed time: adding a timedelta to a datetime in a zone with a
    # daylight-saving change (e.g. ZoneInfo) would add wall-clock time instead.
    performed_at = performed_at.astimezone(UTC)
    tz = ZoneInfo(timezone)
    block_day = performed_at.astimezone(tz).date()
    planned = []
    for step in steps:
        if step.steroid_only and not steroid:
            continue
        if step.kind == AFTER_BLOCK:
            due_at = performed_at + timedelta(minutes=step.offset_minutes)
        elif step.kind == DAILY:
            due_at = local_wall_time(block_day + timedelta(days=step.day), checkin_time, tz)
        else:
            raise ValueError(f"unknown step kind {step.kind!r}")
        due_at = due_at.astimezone(UTC)
        closes_at = due_at + timedelta(minutes=step.window_minutes)
        remind_at, rereminder_at = reminder_times(step.kind, due_at, closes_at, tz, reminders)
        planned.append(
            PlannedCheckIn(
                key=step.key,
                kind=step.kind,
                opens_at=due_at - step.opens_before,
                due_at=due_at,
                closes_at=closes_at,
                label=step.label,
                remind_at=remind_at,
                rereminder_at=rereminder_at,
            )
        )
    return sorted(planned, key=lambda p: (p.due_at, p.key))


def in_quiet_hours(moment: datetime, tz: ZoneInfo, policy: ReminderPolicy) -> bool:
    if policy.quiet_start is None or policy.quiet_end is None:
        return False
    local = moment.astimezone(tz).time()
    start, end = policy.quiet_start, policy.quiet_end
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # spans midnight, e.g. 22:00-08:00


def end_of_quiet_hours(moment: datetime, tz: ZoneInfo, policy: ReminderPolicy) -> datetime:
    """The first moment at or after ``moment`` that is outside the quiet hours."""
    if not in_quiet_hours(moment, tz, policy):
        return moment
    local = moment.astimezone(tz)
    day = local.date()
    if local.time() >= policy.quiet_end:
        day += timedelta(days=1)  # in the evening part: quiet ends tomorrow morning
    return local_wall_time(day, policy.quiet_end, tz)


def reminder_times(
    kind: str, due_at: datetime, closes_at: datetime, tz: ZoneInfo, policy: ReminderPolicy
) -> tuple[datetime | None, datetime | None]:
    """When to remind, and when to remind again; None where no reminder fits the window."""
    remind_at = due_at
    if kind != AFTER_BLOCK:
        remind_at = end_of_quiet_hours(due_at, tz, policy)
    if remind_at >= closes_at:
        return None, None
    rereminder_at = None
    if policy.rereminder_fraction is not None:
        rereminder_at = due_at + (closes_at - due_at) * policy.rereminder_fraction
        held = kind != AFTER_BLOCK and in_quiet_hours(rereminder_at, tz, policy)
        if rereminder_at <= remind_at or rereminder_at >= closes_at or held:
            rereminder_at = None
    return remind_at, rereminder_at
