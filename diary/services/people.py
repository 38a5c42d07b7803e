"""Clinics, staff and patients: registering, enrolling, changing."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit import log as audit
from audit.models import Action
from diary import codes
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    AccessToken,
    CheckIn,
    CheckInStatus,
    Clinic,
    EnrollmentCode,
    Patient,
    PatientStatus,
    ProcedureStatus,
    StaffMembership,
)
from diary.services.checkins import replan_checkins
from diary.services.errors import DiaryError

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
    AccessToken.objects.create(
        user=user, key_hash=codes.hash_token(token), last_used_at=timezone.now()
    )
    return token


# How often a staff token's last use is written: a finer clock would cost a write a request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def staff_token_in_use(token: AccessToken) -> bool:
    """Whether a staff token is still good (used within ``STAFF_TOKEN_IDLE_HOURS``); an idle
    one is deleted, a good one has its use recorded (at most once a minute)."""
    now = timezone.now()
    last = token.last_used_at or token.created_at
    if now - last > timedelta(hours=settings.STAFF_TOKEN_IDLE_HOURS):
        token.delete()
        return False
    if now - last > LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return True


@transaction.atomic
def sign_out(token: AccessToken) -> None:
    """The phone or the staff client gives its token back: it stops working at once."""
    AccessToken.objects.filter(pk=token.pk).delete()
    patients = [token.patient_id] if token.patient_id else []
    audit.record(Action.TOKEN_REVOKED, "accesstoken", [token.pk], patient_ids=patients)


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
