"""The clinical core: clinics, staff, patients, blocks, check-ins and diary entries.

Invariants that matter clinically (score ranges, one entry per client id, one
check-in per protocol step) are database constraints, not only serializer checks.

One module per capability; callers (and the migrations) import from here. Imported in the
order the models were always defined in, so Django registers them in that order too.
"""

# isort: off
from diary.models.validators import E164, EMERGENCY_NUMBER, validate_timezone
from diary.models.clinics import Clinic, StaffMembership
from diary.models.patients import Language, PatientStatus, Patient
from diary.models.access import EnrollmentCode, AccessToken, PatientLink
from diary.models.protocols import Protocol, StepKind, ProtocolStep
from diary.models.procedures import (
    SPINAL_LEVELS,
    ProcedureKind,
    Side,
    Anesthetic,
    DisabilityScale,
    DISABILITY_SCALE_MAX,
    ProcedureStatus,
    Procedure,
)
from diary.models.checkins import CheckInStatus, OPEN_CHECKIN_STATUSES, CheckIn, checkin_status_q
from diary.models.entries import Limb, AdviceLevel, SAFETY_FIELDS, DiaryEntryQuerySet, DiaryEntry
from diary.models.devices import Platform, Device
from diary.models.rule_sets import RuleSet
from diary.models.findings import Severity, Priority, Finding
# isort: on

__all__ = [
    "DISABILITY_SCALE_MAX",
    "E164",
    "EMERGENCY_NUMBER",
    "OPEN_CHECKIN_STATUSES",
    "SAFETY_FIELDS",
    "SPINAL_LEVELS",
    "AccessToken",
    "AdviceLevel",
    "Anesthetic",
    "CheckIn",
    "CheckInStatus",
    "Clinic",
    "Device",
    "DiaryEntry",
    "DiaryEntryQuerySet",
    "DisabilityScale",
    "EnrollmentCode",
    "Finding",
    "Language",
    "Limb",
    "Patient",
    "PatientLink",
    "PatientStatus",
    "Platform",
    "Priority",
    "Procedure",
    "ProcedureKind",
    "ProcedureStatus",
    "Protocol",
    "ProtocolStep",
    "RuleSet",
    "Severity",
    "Side",
    "StaffMembership",
    "StepKind",
    "checkin_status_q",
    "validate_timezone",
]
