"""Links that open a patient's web check-in: issued in bulk, resolved, revoked.

A link is a random token of 128 bits (22 URL-safe characters: a reminder SMS with its link
still fits one segment); only its SHA-256 is stored, so a copy of the database opens
nothing. What a link may open is decided here, at use, from the clock and the patient's
state, not stored: a paused patient's links stop working at once and work again when the
diary resumes.
"""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from audit import log as audit
from audit.models import Action
from backend import rows
from diary.models import (
    AccessToken,
    CheckIn,
    CheckInStatus,
    Clinic,
    Patient,
    PatientLink,
    PatientStatus,
    Procedure,
    ProcedureStatus,
)
from diary.services.errors import DiaryError

TOKEN_BYTES = 16  # 128 bits

# Why a link does not open (the page tells the patient what to do for each).
UNKNOWN = "unknown"
REVOKED = "revoked"
EXPIRED = "expired"
PAUSED = "paused"
ENDED = "ended"
CANCELLED = "cancelled"


def hash_link_token(token: str) -> str:
    # 128 random bits need no key; unkeyed, links survive a SECRET_KEY rotation.
    return hashlib.sha256(token.encode()).hexdigest()


def grace() -> timedelta:
    return timedelta(hours=settings.WEB_LINK_GRACE_HOURS)


def issue_links(targets: list[tuple[int, int | None]], now: datetime | None = None) -> list[str]:
    """One fresh link per ``(patient_id, checkin_id or None)``, in one INSERT; returns the
    tokens in the same order. Called as reminders are sent, so it reads nothing."""
    expires_at = latest_expiry(now or timezone.now())
    tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in targets]
    PatientLink.objects.bulk_create(
        PatientLink(
            key_hash=hash_link_token(token),
            patient_id=patient_id,
            checkin_id=checkin_id,
            expires_at=expires_at,
        )
        for token, (patient_id, checkin_id) in zip(tokens, targets, strict=True)
    )
    return tokens


def issue_patient_link(patient: Patient) -> tuple[str, datetime]:
    """A link to the patient's own pages (for the handout, or read out): its URL and the
    latest it can work. Earlier links keep working."""
    if patient.status != PatientStatus.ACTIVE:
        raise DiaryError("status", "This patient's diary is not active; resume it first.")
    now = timezone.now()
    (token,) = issue_links([(patient.pk, None)], now)
    return link_url(token), latest_expiry(now)


def latest_expiry(issued_at: datetime) -> datetime:
    """The latest a link issued then can work (it stops earlier when the diary ends)."""
    return issued_at + timedelta(days=settings.WEB_LINK_MAX_DAYS)


def link_url(token: str) -> str:
    return f"{settings.WEB_CHECKIN_URL.rstrip('/')}/{token}"


@dataclass(frozen=True)
class Access:
    """What an opened link gives: the patient, and the check-in it was sent for (if any)."""

    token: str
    link: PatientLink
    patient: Patient
    checkin: CheckIn | None


class LinkRefused(Exception):
    """A link that opens nothing; ``patient`` is known unless the token is unknown."""

    def __init__(self, reason: str, patient: Patient | None = None):
        super().__init__(reason)
        self.reason = reason
        self.patient = patient


def diary_end(patient: Patient) -> datetime | None:
    """When the last check-in of the patient's blocks (cancelled ones aside) closes."""
    return (
        CheckIn.objects.filter(procedure__patient=patient)
        .exclude(procedure__status=ProcedureStatus.CANCELLED)
        .exclude(status=CheckInStatus.CANCELLED)
        .aggregate(end=Max("closes_at"))["end"]
    )


def open_link(token: str, now: datetime | None = None) -> Access:
    """The access a token gives now, or ``LinkRefused`` saying why not."""
    now = now or timezone.now()
    link = _link_with_its_own(hash_link_token(token))
    if link is None:
        raise LinkRefused(UNKNOWN)
    patient = link.patient
    if link.revoked_at is not None:
        raise LinkRefused(REVOKED, patient)
    if patient.status == PatientStatus.PAUSED:
        raise LinkRefused(PAUSED, patient)
    if patient.status == PatientStatus.ENDED:
        raise LinkRefused(ENDED, patient)
    if link.checkin is not None and link.checkin.procedure.status == ProcedureStatus.CANCELLED:
        raise LinkRefused(CANCELLED, patient)
    if now >= link.expires_at:
        raise LinkRefused(EXPIRED, patient)
    # Within its own check-in's window the diary has not ended (that check-in is part of it):
    # the common path (the reminder's link, the form, the answer) skips the diary's end query.
    own_window = link.checkin is not None and now < link.checkin.closes_at + grace()
    if not own_window:
        end = diary_end(patient)
        if end is not None and now >= end + grace():
            raise LinkRefused(EXPIRED, patient)
    return Access(token=token, link=link, patient=patient, checkin=link.checkin)


def _link_with_its_own(key_hash: str) -> PatientLink | None:
    """The link with its patient and clinic, and its check-in and block (if it names one):
    what ``select_related("patient__clinic", "checkin__procedure")`` reads, in SQL built
    once (backend.rows): every request of the web check-in starts here."""
    row = rows.fetch_one(_link_sql(), [key_hash])
    if row is None:
        return None
    (link, patient, clinic, checkin, procedure), _ = rows.instances(
        row, PatientLink, Patient, Clinic, CheckIn, Procedure
    )
    patient.clinic = clinic
    link.patient = patient
    if checkin is not None:
        checkin.procedure = procedure
    link.checkin = checkin
    return link


@functools.cache
def _link_sql() -> str:
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    return f"""
        SELECT {rows.columns(PatientLink, "l")}, {rows.columns(Patient, "p")},
               {rows.columns(Clinic, "k")}, {rows.columns(CheckIn, "c")},
               {rows.columns(Procedure, "b")}
        FROM {table(PatientLink)} l
        JOIN {table(Patient)} p ON p.id = l.patient_id
        JOIN {table(Clinic)} k ON k.id = p.clinic_id
        LEFT JOIN {table(CheckIn)} c ON c.id = l.checkin_id
        LEFT JOIN {table(Procedure)} b ON b.id = c.procedure_id
        WHERE l.key_hash = %s
    """  # noqa: S608  (names from the models, the value a parameter)


def answerable(checkin: CheckIn, now: datetime) -> bool:
    """Whether the web check-in offers this check-in's form now: open (or closed less than
    the grace ago: the reading is still kept, as an unscheduled one) and not yet answered."""
    if checkin.status in (CheckInStatus.ANSWERED, CheckInStatus.CANCELLED):
        return False
    if checkin.procedure.status == ProcedureStatus.CANCELLED:
        return False
    return checkin.opens_at <= now < checkin.closes_at + grace()


@transaction.atomic
@transaction.atomic
def revoke_access(patient: Patient) -> int:
    """Staff take away the patient's access: every link and every app token stops
    working. Returns how many links were revoked. Reminders sent later carry new links."""
    revoked = PatientLink.objects.filter(patient=patient, revoked_at=None).update(
        revoked_at=timezone.now()
    )
    tokens = list(AccessToken.objects.filter(patient=patient).values_list("pk", flat=True))
    AccessToken.objects.filter(pk__in=tokens).delete()
    changes = {"links_revoked": revoked, "tokens_revoked": len(tokens)}
    audit.record(
        Action.TOKEN_REVOKED, "patient", [patient.pk], patient_ids=[patient.pk], changes=changes
    )
    return revoked
