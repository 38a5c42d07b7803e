"""Protocols, blocks and their check-ins: planning, re-planning, moving with the clock."""

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from diary import schedule, triaging
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    CheckIn,
    CheckInStatus,
    Patient,
    PatientStatus,
    Procedure,
    ProcedureStatus,
    Protocol,
    ProtocolStep,
)
from diary.services.errors import DiaryError

# --- Protocols ----------------------------------------------------------------------


def install_default_protocol(protocol_model=Protocol, step_model=ProtocolStep):
    """Create the default protocol from ``schedule.default_steps`` unless one exists.

    Takes the model classes so the data migration can pass its historical ones.
    """
    protocol = protocol_model.objects.filter(is_default=True).first()
    if protocol is not None:
        return protocol
    protocol = protocol_model.objects.create(name="Default MBB diary", is_default=True)
    # The migration that first runs this has a step model from before check-in windows.
    has_windows = any(f.name == "opens_before_minutes" for f in step_model._meta.fields)
    step_model.objects.bulk_create(
        step_model(
            protocol=protocol,
            key=step.key,
            kind=step.kind,
            offset_minutes=step.offset_minutes,
            day=step.day,
            window_minutes=step.window_minutes,
            steroid_only=step.steroid_only,
            label=step.label,
            **(
                {"opens_before_minutes": int(step.opens_before.total_seconds() // 60)}
                if has_windows
                else {}
            ),
        )
        for step in schedule.default_steps()
    )
    return protocol


def protocol_steps(protocol: Protocol) -> list[schedule.Step]:
    return [
        schedule.Step(
            key=s.key,
            kind=s.kind,
            window_minutes=s.window_minutes,
            label=s.label,
            offset_minutes=s.offset_minutes,
            day=s.day,
            steroid_only=s.steroid_only,
            opens_before_minutes=s.opens_before_minutes,
        )
        for s in protocol.steps.all()
    ]


# --- Procedures and check-ins -----------------------------------------------------


def _plan(procedure: Procedure) -> list[schedule.PlannedCheckIn]:
    patient = procedure.patient
    return schedule.plan_checkins(
        performed_at=procedure.performed_at,
        steps=protocol_steps(procedure.protocol),
        timezone=patient.timezone,
        checkin_time=patient.checkin_time,
        steroid=procedure.steroid,
        reminders=schedule.ReminderPolicy(
            quiet_start=patient.quiet_start,
            quiet_end=patient.quiet_end,
            rereminder_fraction=settings.REREMINDER_FRACTION,
        ),
    )


def _status_for_window(closes_at: datetime, now: datetime) -> str:
    return CheckInStatus.MISSED if closes_at <= now else CheckInStatus.UPCOMING


def _apply_plan(checkin: CheckIn, planned: schedule.PlannedCheckIn, now: datetime) -> CheckIn:
    """Give a check-in the planned times, as if new: its reminders are to be sent again."""
    checkin.kind, checkin.label = planned.kind, planned.label
    checkin.opens_at = planned.opens_at
    checkin.due_at, checkin.closes_at = planned.due_at, planned.closes_at
    checkin.remind_at, checkin.rereminder_at = planned.remind_at, planned.rereminder_at
    checkin.reminded_at = checkin.rereminded_at = None
    checkin.status = _status_for_window(planned.closes_at, now)
    return checkin


@transaction.atomic
def create_procedure(*, patient: Patient, protocol: Protocol | None = None, **fields) -> Procedure:
    """Register a block and plan its check-ins."""
    if patient.status == PatientStatus.ENDED:
        raise DiaryError("patient", "This patient's diary has ended.")
    now = timezone.now()
    fields.setdefault(
        "status",
        ProcedureStatus.PERFORMED if fields["performed_at"] <= now else ProcedureStatus.PLANNED,
    )
    if fields["status"] == ProcedureStatus.CANCELLED:
        raise DiaryError("status", "Create the block first; cancel it with its cancel action.")
    procedure = Procedure.objects.create(
        patient=patient, protocol=protocol or install_default_protocol(), **fields
    )
    CheckIn.objects.bulk_create(
        _apply_plan(CheckIn(procedure=procedure, key=p.key), p, now) for p in _plan(procedure)
    )
    return procedure


# Changing any of these moves the planned check-ins.
_REPLANNING_FIELDS = ("performed_at", "steroid")


@transaction.atomic
def update_procedure(procedure: Procedure, **changes) -> Procedure:
    """Correct a block's details; a corrected time re-plans what is not yet answered."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if procedure.status == ProcedureStatus.CANCELLED:
        raise DiaryError("status", "This block was cancelled and can no longer be changed.")
    if changes.get("status") == ProcedureStatus.CANCELLED:
        raise DiaryError("status", "Use the cancel action to cancel a block.")
    replan = any(
        name in changes and changes[name] != getattr(procedure, name) for name in _REPLANNING_FIELDS
    )
    for name, value in changes.items():
        setattr(procedure, name, value)
    procedure.save()
    if replan:
        replan_checkins(procedure)
    return procedure


_PLANNED_FIELDS = [
    *("kind", "label", "opens_at", "due_at", "closes_at", "remind_at", "rereminder_at"),
    *("reminded_at", "rereminded_at", "status", "plan_version"),
]


def replan_checkins(procedure: Procedure) -> None:
    """Move unanswered check-ins to the procedure's current plan.

    Answered ones stay as they were (they are the diary). A check-in whose window
    does not move keeps its state, so a reminder already sent is not sent again;
    only its reminder times follow (quiet hours, time zone). One whose window moves
    starts afresh, and its ``plan_version`` changes so that a reminder queued for the
    old time is dropped. Steps that no longer apply (steroid removed) are cancelled.
    """
    now = timezone.now()
    existing = {c.key: c for c in procedure.checkins.select_for_update()}
    plan = {p.key: p for p in _plan(procedure)}
    changed, created = [], []
    for key, planned in plan.items():
        checkin = existing.get(key)
        if checkin is None:
            created.append(_apply_plan(CheckIn(procedure=procedure, key=key), planned, now))
        elif checkin.status != CheckInStatus.ANSWERED and _follow_plan(checkin, planned, now):
            changed.append(checkin)
    for key, checkin in existing.items():
        if key == triaging.FOLLOWUP_KEY:
            if checkin.status in OPEN_CHECKIN_STATUSES and _follow_block(checkin, procedure, now):
                changed.append(checkin)
        elif key not in plan and checkin.status in (*OPEN_CHECKIN_STATUSES, CheckInStatus.MISSED):
            checkin.status = CheckInStatus.CANCELLED
            checkin.plan_version += 1
            changed.append(checkin)
    CheckIn.objects.bulk_update(changed, _PLANNED_FIELDS)
    CheckIn.objects.bulk_create(created)


def _follow_block(followup: CheckIn, procedure: Procedure, now: datetime) -> bool:
    """The "still numb?" check-in triage added is not in the protocol: it moves with the
    block's corrected time instead of being cancelled as a step that no longer applies."""
    planned = triaging.followup_plan(procedure)
    if (followup.due_at, followup.closes_at) == (planned.due_at, planned.closes_at):
        return False
    _apply_plan(followup, planned, now)
    followup.plan_version += 1
    return True


def _follow_plan(checkin: CheckIn, planned: schedule.PlannedCheckIn, now: datetime) -> bool:
    """Bring one unanswered check-in to its plan; False when nothing needed to change."""
    same_window = (checkin.due_at, checkin.closes_at) == (planned.due_at, planned.closes_at)
    if not same_window or checkin.status == CheckInStatus.CANCELLED:
        already_reminded = _same_day_already_reminded(checkin, planned)
        reminded = checkin.reminded_at, checkin.rereminded_at
        _apply_plan(checkin, planned, now)
        checkin.plan_version += 1
        if already_reminded:
            # The patient was already asked for this day's reading (e.g. before she
            # moved time zone): the moved window opens without a second reminder.
            checkin.reminded_at, checkin.rereminded_at = reminded
            checkin.remind_at = None
        return True
    # The same window opening earlier or later (the protocol's opens_before changed) is
    # no reason to remind again.
    opens_moved = checkin.opens_at != planned.opens_at
    checkin.opens_at = planned.opens_at
    if checkin.status == CheckInStatus.UPCOMING:
        remind_at = planned.remind_at if checkin.reminded_at is None else None
        moved = (checkin.remind_at, checkin.rereminder_at) != (remind_at, planned.rereminder_at)
        checkin.remind_at, checkin.rereminder_at = remind_at, planned.rereminder_at
        return moved or opens_moved
    if checkin.status == CheckInStatus.DUE and checkin.rereminded_at is None:
        moved = checkin.rereminder_at != planned.rereminder_at
        checkin.rereminder_at = planned.rereminder_at
        return moved or opens_moved
    return opens_moved


def _same_day_already_reminded(checkin: CheckIn, planned: schedule.PlannedCheckIn) -> bool:
    """A day-level check-in reminded already, moved to a window overlapping its old one."""
    return (
        planned.kind == schedule.DAILY
        and checkin.reminded_at is not None
        and checkin.status != CheckInStatus.CANCELLED
        and planned.due_at < checkin.closes_at
        and checkin.due_at < planned.closes_at
    )


@transaction.atomic
def cancel_procedure(procedure: Procedure) -> Procedure:
    """Cancel a block: its open check-ins close and ask nothing more of the patient."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if procedure.status != ProcedureStatus.CANCELLED:
        procedure.status = ProcedureStatus.CANCELLED
        procedure.save(update_fields=["status", "updated_at"])
        procedure.checkins.filter(status__in=OPEN_CHECKIN_STATUSES).update(
            status=CheckInStatus.CANCELLED
        )
    return procedure


MISSED_BATCH = 1000


def advance_checkins(now: datetime | None = None) -> tuple[int, int]:
    """Move check-ins with the clock where no reminder does it.

    Open → missed when the window closes; upcoming → due at ``due_at`` for those with
    no reminder to send (the dispatcher moves the others when it sends theirs).
    Each is one conditional UPDATE on a partial index, so running it twice at once,
    or on a million planned rows, costs what is due, not what is planned.
    """
    now = now or timezone.now()
    missed = 0
    closing = CheckIn.objects.filter(status__in=OPEN_CHECKIN_STATUSES, closes_at__lte=now)
    while ids := list(closing.values_list("pk", flat=True)[:MISSED_BATCH]):
        # Conditional: of two ticks at once, each check-in is counted (and followed up) once.
        count = closing.filter(pk__in=ids).update(status=CheckInStatus.MISSED)
        missed += count
        triaging.unresponsive_after_symptom(ids)
        if len(ids) < MISSED_BATCH:
            break
    due = CheckIn.objects.filter(
        status=CheckInStatus.UPCOMING, remind_at__isnull=True, due_at__lte=now
    ).update(status=CheckInStatus.DUE)
    return due, missed


def claim_checkins_to_remind(now: datetime, limit: int) -> list[CheckIn]:
    """Claim check-ins whose reminder time has come: upcoming → due. Call in a transaction.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two dispatchers take disjoint rows.
    Elsewhere (SQLite): a conditional update per row, counted, as the claim.
    """
    candidates = (
        CheckIn.objects.filter(status=CheckInStatus.UPCOMING, remind_at__lte=now, closes_at__gt=now)
        .select_related("procedure")
        .order_by("remind_at")
    )
    return _claim(candidates, limit, {"status": CheckInStatus.DUE, "reminded_at": now})


def claim_checkins_to_remind_again(now: datetime, limit: int) -> list[CheckIn]:
    """Claim due, still unanswered check-ins halfway through their window."""
    candidates = (
        CheckIn.objects.filter(
            status=CheckInStatus.DUE,
            rereminded_at__isnull=True,
            rereminder_at__lte=now,
            closes_at__gt=now,
        )
        .select_related("procedure")
        .order_by("rereminder_at")
    )
    return _claim(candidates, limit, {"rereminded_at": now})


def _claim(candidates, limit: int, changes: dict) -> list[CheckIn]:
    if connection.features.has_select_for_update_skip_locked:
        rows = list(candidates.select_for_update(skip_locked=True, of=("self",))[:limit])
        CheckIn.objects.filter(pk__in=[c.pk for c in rows]).update(**changes)
    else:
        rows = [c for c in candidates[:limit] if candidates.filter(pk=c.pk).update(**changes) == 1]
    for checkin in rows:
        for name, value in changes.items():
            setattr(checkin, name, value)
    return rows
