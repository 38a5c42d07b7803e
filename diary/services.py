"""Every write of the diary, as a verb. Views, tasks, commands and the admin call these."""

import functools
import hashlib
import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from diary import codes, schedule, triage, triaging
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    AccessToken,
    CheckIn,
    CheckInStatus,
    Clinic,
    Device,
    DiaryEntry,
    EnrollmentCode,
    Patient,
    PatientStatus,
    Procedure,
    ProcedureStatus,
    Protocol,
    ProtocolStep,
    StaffMembership,
)


class DiaryError(Exception):
    """A request that breaks a rule of the diary; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class EntryConflict(Exception):
    """The same client id was already used for different content."""

    def __init__(self, entry: DiaryEntry):
        super().__init__("client_id already used for a different entry")
        self.entry = entry


# --- Clinics and staff ------------------------------------------------------------


@transaction.atomic
def create_clinic(*, name: str, timezone_name: str, username: str, password: str, phone: str = ""):
    """A clinic and its first staff member, who is clinician, on call and clinic admin."""
    clinic = Clinic(name=name, timezone=timezone_name, phone=phone)
    clinic.full_clean()
    clinic.save()
    user = get_user_model().objects.create_user(username=username, password=password)
    StaffMembership.objects.create(
        user=user, clinic=clinic, is_clinician=True, is_oncall=True, is_admin=True
    )
    return clinic, user


def issue_staff_token(user) -> str:
    token = codes.new_token()
    AccessToken.objects.create(user=user, key_hash=codes.hash_token(token))
    return token


# --- Patients and enrollment ------------------------------------------------------


@transaction.atomic
def create_patient(*, clinic: Clinic, **fields) -> tuple[Patient, str, datetime]:
    """Register a patient; returns the patient and a one-time enrollment code."""
    fields.setdefault("timezone", clinic.timezone)
    patient = Patient.objects.create(clinic=clinic, **fields)
    code, expires_at = issue_enrollment_code(patient)
    return patient, code, expires_at


@transaction.atomic
def issue_enrollment_code(patient: Patient) -> tuple[str, datetime]:
    """A fresh code for the patient; any earlier unused code stops working."""
    if patient.status == PatientStatus.ENDED:
        raise DiaryError("status", "This patient's diary has ended; reactivate it first.")
    now = timezone.now()
    EnrollmentCode.objects.filter(patient=patient, used_at=None, voided_at=None).update(
        voided_at=now
    )
    code = codes.new_enrollment_code()
    expires_at = now + timedelta(days=settings.ENROLLMENT_CODE_TTL_DAYS)
    EnrollmentCode.objects.create(
        patient=patient, code_hash=codes.hash_code(code), expires_at=expires_at
    )
    return code, expires_at


@transaction.atomic
def enroll(code: str) -> tuple[Patient, str]:
    """Trade a valid code for the phone's bearer token. Each code works once."""
    now = timezone.now()
    found = (
        EnrollmentCode.objects.select_related("patient")
        .filter(code_hash=codes.hash_code(code))
        .first()
    )
    if found is None or found.voided_at is not None or found.patient.status == PatientStatus.ENDED:
        raise DiaryError("code", "This code is not valid. Ask your clinic for a new one.")
    if found.used_at is not None:
        raise DiaryError("code", "This code has already been used. Ask your clinic for a new one.")
    if found.expires_at <= now:
        raise DiaryError("code", "This code has expired. Ask your clinic for a new one.")
    # Conditional update: of two phones racing with one code, exactly one wins.
    if EnrollmentCode.objects.filter(pk=found.pk, used_at=None).update(used_at=now) != 1:
        raise DiaryError("code", "This code has already been used. Ask your clinic for a new one.")
    token = codes.new_token()
    AccessToken.objects.create(patient=found.patient, key_hash=codes.hash_token(token))
    return found.patient, token


@transaction.atomic
def update_patient(patient: Patient, **changes) -> Patient:
    """Change a patient's details; a new time zone, check-in time or quiet hours
    re-plans the day-level check-ins."""
    replan = any(
        name in changes and changes[name] != getattr(patient, name)
        for name in ("timezone", "checkin_time", "quiet_start", "quiet_end")
    )
    for name, value in changes.items():
        setattr(patient, name, value)
    patient.save(update_fields=list(changes) or None)
    # An ended diary stays closed: its cancelled check-ins must not reopen.
    if replan and patient.status != PatientStatus.ENDED:
        # Locked like update_procedure and cancel_procedure do: a block cancelled while
        # this ran is skipped (PostgreSQL re-checks the filter), not re-opened by the replan.
        blocks = patient.procedures.select_for_update().exclude(status=ProcedureStatus.CANCELLED)
        for procedure in blocks:
            replan_checkins(procedure)
    if changes.get("status") == PatientStatus.ENDED:
        # The phone loses access, and nothing more is asked of the patient: open
        # check-ins are cancelled so they never read as a patient gone silent.
        AccessToken.objects.filter(patient=patient).delete()
        CheckIn.objects.filter(procedure__patient=patient, status__in=OPEN_CHECKIN_STATUSES).update(
            status=CheckInStatus.CANCELLED
        )
    return patient


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


@functools.cache
def _entry_defaults() -> dict:
    """What the database stores for every field a phone may leave out."""
    skip = {"id", "patient", "received_at", "fingerprint", "advice_level", "advice_message"}
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
    fingerprint = entry_fingerprint(data)
    fields = {name: value for name, value in data.items() if name != "checkin"}
    checkin = data.get("checkin")
    # Found before the INSERT, so the row is written once, with its check-in.
    checkin_id = checkin.pk if checkin is not None else _open_checkin_id(data)
    # Most entries report nothing of concern: they skip triage's reads and writes.
    concern = triage.has_safety_answers(triaging.facts_of(data))
    outcome = triaging.ROUTINE
    try:
        with _atomic_unless_single_statement(checkin_id is None and not concern):
            entry = DiaryEntry.objects.create(
                patient=patient,
                fingerprint=fingerprint,
                checkin_id=checkin_id,
                advice_level=triaging.ROUTINE.advice.level,
                advice_message=triaging.ROUTINE.advice.message,
                **fields,
            )
            if checkin_id is not None:
                _answer_checkin(checkin_id, entry.recorded_at)
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
        if not _same_entry(existing.fingerprint, fingerprint, data):
            raise EntryConflict(existing) from None
        existing.outcome = triaging.stored_outcome(existing)
        return existing, False
    entry.outcome = outcome
    return entry, True


def _atomic_unless_single_statement(single: bool):
    """A transaction only where one is needed.

    A lone INSERT in autocommit is atomic by itself; BEGIN and COMMIT would be two
    more round trips on every entry. Inside an outer transaction a savepoint is still
    needed, so that a duplicate client id does not abort the caller's transaction.
    """
    if single and not transaction.get_connection().in_atomic_block:
        return nullcontext()
    return transaction.atomic()


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

    Raw SQL because this runs on every diary entry: the same query through the ORM
    costs about 1.5 ms of query compilation per request on a 2-core machine, a sixth
    of the whole request (bench/ingest). The statement is fixed and parameterised.
    """
    procedure, checkin = Procedure._meta.db_table, CheckIn._meta.db_table
    statuses = (*OPEN_CHECKIN_STATUSES, CheckInStatus.MISSED)
    sql = f"""
        SELECT p.*, (
            SELECT c.id FROM {checkin} c
            WHERE c.procedure_id = p.id AND c.status IN (%s, %s, %s)
              AND c.opens_at <= %s AND c.closes_at > %s
            ORDER BY c.due_at LIMIT 1
        ) AS open_checkin_id
        FROM {procedure} p WHERE p.id = %s AND p.patient_id = %s
    """  # noqa: S608  (table names from the models, values as parameters)
    at = connection.ops.adapt_datetimefield_value(recorded_at)  # as the ORM would store it
    params = [*statuses, at, at, procedure_id, patient.pk]
    return next(iter(Procedure.objects.raw(sql, params)), None)


def _answer_checkin(checkin_id: int, recorded_at: datetime) -> None:
    """Mark the check-in answered by a reading taken at ``recorded_at``."""
    # A missed check-in counts as answered only by a reading taken inside its window
    # (recorded offline, sent late); an upcoming or due one by any reading for it.
    answerable = CheckIn.objects.filter(pk=checkin_id)
    (
        answerable.filter(status__in=OPEN_CHECKIN_STATUSES)
        | answerable.filter(status=CheckInStatus.MISSED, closes_at__gt=recorded_at)
    ).update(status=CheckInStatus.ANSWERED, answered_at=recorded_at)


# --- Devices ------------------------------------------------------------------------


@transaction.atomic
def register_device(*, patient: Patient, platform: str, token: str) -> tuple[Device, bool]:
    """Upsert a push token; a token seen before moves to this patient and is re-enabled."""
    device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
    if device is None:
        try:
            with transaction.atomic():
                return Device.objects.create(patient=patient, platform=platform, token=token), True
        except IntegrityError:
            device = Device.objects.select_for_update().get(platform=platform, token=token)
    device.patient = patient
    device.disabled_at = None
    device.save(update_fields=["patient", "disabled_at", "updated_at"])
    return device, False


def remove_device(device: Device) -> None:
    device.delete()
