"""The clinical core: clinics, staff, patients, blocks, check-ins and diary entries.

Invariants that matter clinically (score ranges, one entry per client id, one
check-in per protocol step) are database constraints, not only serializer checks.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

E164 = RegexValidator(
    r"^\+[1-9][0-9]{7,14}$", "Enter a phone number in E.164 form, e.g. +447700900123."
)
EMERGENCY_NUMBER = RegexValidator(r"^[0-9]{2,6}$", "Digits only, e.g. 999, 112 or 911.")
# Facet levels as written on the procedure note; a block may cover several.
SPINAL_LEVELS = ("T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. Europe/London.")


class Clinic(models.Model):
    name = models.CharField(max_length=120, unique=True, help_text="The clinic's name.")
    timezone = models.CharField(
        max_length=64, validators=[validate_timezone], help_text="IANA time zone of the clinic."
    )
    phone = models.CharField(
        max_length=16, blank=True, validators=[E164], help_text="The clinic's number, E.164."
    )
    emergency_number = models.CharField(
        max_length=6,
        default="112",
        validators=[EMERGENCY_NUMBER],
        help_text="The emergency services number patients are told to call (999, 112, 911).",
    )
    # The clinic's policy for a patient's erasure (their data rights): by default the
    # readings stay, de-identified, for the clinic's statistics; some clinics must delete.
    erasure_deletes_readings = models.BooleanField(
        default=False,
        help_text="Erasing a patient deletes their readings too, instead of keeping them "
        "de-identified.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name


class StaffMembership(models.Model):
    """A Django user's place in one clinic, with the roles they hold there."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="staff")
    is_clinician = models.BooleanField(default=False)
    is_oncall = models.BooleanField("on call", default=False)
    is_admin = models.BooleanField("clinic admin", default=False)
    phone = models.CharField(max_length=16, blank=True, validators=[E164])
    # Set when a page to the phone or the user's e-mail failed for good (a Twilio refusal,
    # STOP, a bounce): that address is not paged again until it changes or staff say it
    # works again. The reason is what the clinic reads in the coverage warnings.
    phone_disabled_at = models.DateTimeField(null=True, blank=True)
    phone_disabled_reason = models.CharField(max_length=200, blank=True)
    email_disabled_at = models.DateTimeField(null=True, blank=True)
    email_disabled_reason = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.user} @ {self.clinic}"


class Language(models.TextChoices):
    """Languages the patient-facing questions and advice are written in (diary.questions)."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class PatientStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    display_name = models.CharField(max_length=120, help_text="How the patient is addressed.")
    external_id = models.CharField(
        max_length=40,
        blank=True,
        help_text="The clinic's own patient number (e.g. hospital number); unique in the clinic.",
    )
    timezone = models.CharField(
        max_length=64,
        validators=[validate_timezone],
        help_text="IANA time zone the daily check-ins follow, e.g. Europe/London.",
    )
    phone = models.CharField(max_length=16, blank=True, validators=[E164])
    email = models.EmailField(blank=True)
    checkin_time = models.TimeField(
        default=datetime.time(10, 0),
        help_text="Preferred local time of day for the daily check-ins.",
    )
    on_anticoagulants = models.BooleanField(default=False)
    language = models.CharField(
        max_length=8,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text="The language the patient is asked and told things in.",
    )
    quiet_start = models.TimeField(
        null=True,
        blank=True,
        default=datetime.time(22, 0),
        help_text="Local time day-level reminders stop (null: no quiet hours).",
    )
    quiet_end = models.TimeField(
        null=True,
        blank=True,
        default=datetime.time(8, 0),
        help_text="Local time day-level reminders may start again.",
    )
    status = models.CharField(
        max_length=8, choices=PatientStatus.choices, default=PatientStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PatientStatus.values), name="patient_status_valid"
            ),
            models.UniqueConstraint(
                fields=["clinic", "external_id"],
                condition=~Q(external_id=""),
                name="patient_external_id_unique_in_clinic",
            ),
        ]

    def __str__(self):
        return self.display_name

    # A patient is the authenticated principal of the phone app's requests.
    is_authenticated = True
    is_anonymous = False


class EnrollmentCode(models.Model):
    """A single-use code the clinic hands the patient; only its HMAC is stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrollment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"enrollment code for {self.patient} (expires {self.expires_at:%Y-%m-%d})"


class AccessToken(models.Model):
    """A bearer token for a patient's phone or a staff member; only its hash is stored."""

    key_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="diary_tokens",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Staff tokens end after STAFF_TOKEN_IDLE_HOURS unused (kept to the minute, so a busy
    # client costs one UPDATE a minute, not one a request); patients' phones sign out.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False, user__isnull=True)
                | Q(patient__isnull=True, user__isnull=False),
                name="token_has_one_owner",
            ),
        ]

    def __str__(self):
        return f"token of {self.patient or self.user}"


class PatientLink(models.Model):
    """A link that opens the patient's web check-in without a password: in each reminder
    (bound to its check-in) or a "start your diary" message (bound to none).

    Only the hash of its random token is stored. It works until ``expires_at`` (the end of
    the patient's diary plus a grace) for the patient's own pages, and for its check-in
    until that closes plus the grace; never once revoked, nor for a paused or ended
    patient, nor for a check-in of a cancelled block (``diary.services.links``).
    """

    key_hash = models.CharField(max_length=64, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="links")
    checkin = models.ForeignKey(
        "CheckIn", null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient"], name="link_by_patient")]

    def __str__(self):
        return f"link for {self.patient} (expires {self.expires_at:%Y-%m-%d})"


class Protocol(models.Model):
    """A check-in schedule: the steps after a block at which the diary asks for a reading."""

    name = models.CharField(max_length=120, unique=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_protocol"
            ),
        ]

    def __str__(self):
        return self.name


class StepKind(models.TextChoices):
    AFTER_BLOCK = "after_block", "minutes after the block"
    DAILY = "daily", "day after the block, at the patient's check-in time"


class ProtocolStep(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=16, help_text="Stable id of the step, e.g. m15, h2, d1.")
    kind = models.CharField(max_length=12, choices=StepKind.choices)
    offset_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="For minutes-after-the-block steps."
    )
    day = models.PositiveSmallIntegerField(null=True, blank=True, help_text="For daily steps.")
    window_minutes = models.PositiveIntegerField(help_text="How long the check-in stays open.")
    opens_before_minutes = models.PositiveIntegerField(
        help_text="How long before it is due the check-in may be answered (CLINICAL.md v2)."
    )
    steroid_only = models.BooleanField(default=False)
    label = models.CharField(max_length=80)

    class Meta:
        ordering = ["protocol", "kind", "offset_minutes", "day"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "key"], name="protocol_step_key_unique"),
            models.CheckConstraint(
                condition=Q(kind="after_block", offset_minutes__gt=0, day__isnull=True)
                | Q(kind="daily", day__gt=0, offset_minutes__isnull=True),
                name="protocol_step_shape",
            ),
            models.CheckConstraint(condition=Q(window_minutes__gt=0), name="protocol_step_window"),
        ]

    def __str__(self):
        return f"{self.protocol}: {self.label}"


class ProcedureKind(models.TextChoices):
    DIAGNOSTIC_MBB = "diagnostic_mbb", "diagnostic medial branch block"
    THERAPEUTIC_MBB = "therapeutic_mbb", "therapeutic medial branch block"
    RFA = "rfa", "radiofrequency ablation"


class Side(models.TextChoices):
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"


class Anesthetic(models.TextChoices):
    LIDOCAINE = "lidocaine"
    BUPIVACAINE = "bupivacaine"


class DisabilityScale(models.TextChoices):
    ODI = "odi", "Oswestry Disability Index (0-100 %)"
    RMDQ = "rmdq", "Roland-Morris Disability Questionnaire (0-24)"


# The highest score of each scale: the database refuses more.
DISABILITY_SCALE_MAX = {DisabilityScale.ODI: 100, DisabilityScale.RMDQ: 24}


class ProcedureStatus(models.TextChoices):
    PLANNED = "planned"
    PERFORMED = "performed"
    CANCELLED = "cancelled"


class Procedure(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="procedures")
    proceduralist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="procedures_performed",
    )
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="procedures")
    kind = models.CharField(
        max_length=16, choices=ProcedureKind.choices, help_text="What kind of block it is."
    )
    levels = models.CharField(max_length=64, help_text="Comma-separated, e.g. L4-L5,L5-S1.")
    side = models.CharField(max_length=10, choices=Side.choices, help_text="Side injected.")
    anesthetic = models.CharField(
        max_length=12, choices=Anesthetic.choices, help_text="Local anaesthetic used."
    )
    concentration_percent = models.DecimalField(max_digits=4, decimal_places=2)
    volume_ml_per_level = models.DecimalField(max_digits=4, decimal_places=2)
    steroid = models.BooleanField(default=False, help_text="A steroid was given with it.")
    performed_at = models.DateTimeField(help_text="When the block was (or is to be) done.")
    baseline_pain = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    # For the record payers ask for: a disability scale at baseline, and the activity that
    # usually hurts (the one the patient is asked to try after the block).
    baseline_disability_scale = models.CharField(
        max_length=8,
        choices=DisabilityScale.choices,
        blank=True,
        help_text="The disability scale scored at baseline, if any.",
    )
    baseline_disability_score = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Its score at baseline (ODI 0-100 %, RMDQ 0-24)."
    )
    usual_painful_activity = models.CharField(
        max_length=200, blank=True, help_text="The activity that usually hurts, e.g. 'standing'."
    )
    status = models.CharField(
        max_length=10,
        choices=ProcedureStatus.choices,
        help_text="planned, performed or cancelled.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-performed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(baseline_pain__gte=0, baseline_pain__lte=10),
                name="procedure_baseline_pain_range",
            ),
            models.CheckConstraint(
                condition=Q(concentration_percent__gt=0, volume_ml_per_level__gt=0),
                name="procedure_dose_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProcedureStatus.values), name="procedure_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProcedureKind.values), name="procedure_kind_valid"
            ),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="procedure_side_valid"),
            models.CheckConstraint(
                condition=Q(anesthetic__in=Anesthetic.values), name="procedure_anesthetic_valid"
            ),
            models.CheckConstraint(
                condition=Q(baseline_disability_scale="", baseline_disability_score__isnull=True)
                | Q(
                    baseline_disability_scale=DisabilityScale.ODI,
                    baseline_disability_score__lte=DISABILITY_SCALE_MAX[DisabilityScale.ODI],
                )
                | Q(
                    baseline_disability_scale=DisabilityScale.RMDQ,
                    baseline_disability_score__lte=DISABILITY_SCALE_MAX[DisabilityScale.RMDQ],
                ),
                name="procedure_disability_scored",
            ),
        ]
        indexes = [models.Index(fields=["patient", "-performed_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.levels} {self.side} ({self.performed_at:%Y-%m-%d})"

    @property
    def levels_text(self) -> str:
        """The levels as people write them: "L4-L5, L5-S1" (stored "L4-L5,L5-S1")."""
        return ", ".join(self.levels.split(","))


class CheckInStatus(models.TextChoices):
    UPCOMING = "upcoming"
    DUE = "due"
    ANSWERED = "answered"
    MISSED = "missed"
    CANCELLED = "cancelled"


OPEN_CHECKIN_STATUSES = (CheckInStatus.UPCOMING, CheckInStatus.DUE)


class CheckIn(models.Model):
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        related_name="checkins",
        help_text="The block this check-in follows.",
    )
    key = models.SlugField(max_length=16, help_text="The protocol step it was planned from.")
    kind = models.CharField(max_length=12, choices=StepKind.choices, default=StepKind.AFTER_BLOCK)
    opens_at = models.DateTimeField(
        help_text="From when a reading answers it (a little before it is due)."
    )
    due_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=CheckInStatus.choices, default=CheckInStatus.UPCOMING
    )
    label = models.CharField(max_length=80)
    # Reminders: when to send (quiet hours applied), when to send again, what was sent.
    remind_at = models.DateTimeField(null=True, blank=True)
    rereminder_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    rereminded_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every re-plan: a reminder queued for an older plan is not sent.
    plan_version = models.PositiveIntegerField(default=1)
    answered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the answering entry was recorded."
    )
    follow_up = models.BooleanField(
        default=False,
        help_text="Also asks whether the leg is still numb or weak (added after numbness).",
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "key"], name="checkin_step_unique"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("due_at")), name="checkin_window"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lte=models.F("due_at")), name="checkin_opens_by_due"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CheckInStatus.values), name="checkin_status_valid"
            ),
        ]
        indexes = [
            # Partial indexes keep "what falls due / closes next" cheap however many
            # answered and missed check-ins pile up behind them.
            models.Index(
                fields=["remind_at"], condition=Q(status="upcoming"), name="checkin_to_remind"
            ),
            models.Index(
                fields=["rereminder_at"],
                condition=Q(status="due", rereminded_at__isnull=True),
                name="checkin_to_remind_again",
            ),
            models.Index(
                fields=["closes_at"],
                condition=Q(status__in=["upcoming", "due"]),
                name="checkin_open_closes",
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.status})"

    def status_at(self, now: datetime.datetime) -> str:
        """The status as a fact about the clock (CLINICAL.md v2): an open check-in is due
        from ``opens_at`` and missed from ``closes_at``, whether or not beat has run yet.
        The stored status is what reminders and alerts act on."""
        if self.status not in OPEN_CHECKIN_STATUSES:
            return self.status
        if now >= self.closes_at:
            return CheckInStatus.MISSED
        return CheckInStatus.DUE if now >= self.opens_at else CheckInStatus.UPCOMING


def checkin_status_q(status: str, now: datetime.datetime) -> Q:
    """The filter of check-ins whose ``status_at(now)`` is ``status``."""
    open_ = Q(status__in=OPEN_CHECKIN_STATUSES)
    if status == CheckInStatus.MISSED:
        return Q(status=CheckInStatus.MISSED) | (open_ & Q(closes_at__lte=now))
    if status == CheckInStatus.DUE:
        return open_ & Q(opens_at__lte=now, closes_at__gt=now)
    if status == CheckInStatus.UPCOMING:
        return open_ & Q(opens_at__gt=now)
    return Q(status=status)


class Limb(models.TextChoices):
    NONE = "none"
    LEFT_LEG = "left_leg"
    RIGHT_LEG = "right_leg"
    BOTH_LEGS = "both_legs"


class AdviceLevel(models.TextChoices):
    ROUTINE = "routine"
    EXPECTED = "expected"
    CONTACT_CLINIC = "contact_clinic"
    EMERGENCY = "emergency"


# The entry's answers to the safety questions (each None when not asked).
SAFETY_FIELDS = (
    "numbness",
    "weakness",
    "can_lift_heel",
    "saddle_numbness",
    "bowel_bladder_change",
    "unable_to_urinate",
    "fever",
    "temperature_celsius",
    "site_problem",
    "severe_back_pain",
    "headache_on_standing",
    "radicular_symptoms",
)


class DiaryEntryQuerySet(models.QuerySet):
    def current(self):
        """Entries no correction has taken the place of: what the verdict, the relief
        curve and triage's "previous entry" read. The superseded stay in the record."""
        return self.filter(superseded_at=None)


class DiaryEntry(models.Model):
    """One reading from the patient's phone: a pain score and the safety answers."""

    client_id = models.UUIDField(help_text="Generated by the phone; makes retries idempotent.")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="entries")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="entries")
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    recorded_at = models.DateTimeField(
        help_text="When the patient recorded it, on the server's clock (corrected when the "
        "phone's clock was off; see clock_skew_seconds)."
    )
    received_at = models.DateTimeField(auto_now_add=True)
    # The phone's clock against ours when it sent the entry (server minus phone), measured
    # from its sent_at; null when the phone sent none. Past the tolerance, recorded_at was
    # moved by it and the phone's own value kept here, for the record and for retries.
    clock_skew_seconds = models.IntegerField(null=True, blank=True)
    phone_recorded_at = models.DateTimeField(null=True, blank=True)
    pain_score = models.PositiveSmallIntegerField()
    reported_relief_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    activity = models.CharField(max_length=200, blank=True)
    activity_ok = models.BooleanField(null=True, blank=True)
    # The safety answers. None: the question was not asked (an older app, a partial form),
    # kept apart from a "no" the patient gave; triage reads it as no finding. NULL is the
    # unknown here, and "none" is an answer, so the limb fields are nullable strings.
    numbness = models.CharField(max_length=10, choices=Limb.choices, null=True, blank=True)  # noqa: DJ001
    weakness = models.CharField(max_length=10, choices=Limb.choices, null=True, blank=True)  # noqa: DJ001
    can_lift_heel = models.BooleanField(null=True, blank=True)
    saddle_numbness = models.BooleanField(null=True, blank=True)
    bowel_bladder_change = models.BooleanField(null=True, blank=True)
    fever = models.BooleanField(null=True, blank=True)
    site_problem = models.BooleanField(null=True, blank=True)
    temperature_celsius = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    severe_back_pain = models.BooleanField(null=True, blank=True)
    headache_on_standing = models.BooleanField(null=True, blank=True)
    unable_to_urinate = models.BooleanField(null=True, blank=True)
    radicular_symptoms = models.BooleanField(null=True, blank=True)
    analgesic_taken = models.BooleanField(default=False)
    note = models.TextField(max_length=2000, blank=True)
    # What the patient was told at once (diary.advice), as shown: the record keeps it even
    # if the clinic's phone number or the wording changes later.
    advice_level = models.CharField(max_length=16, choices=AdviceLevel.choices, blank=True)
    advice_message = models.TextField(blank=True)
    fingerprint = models.CharField(
        max_length=64, help_text="Hash of the submitted content, to tell a retry from a conflict."
    )
    # A correction is a new entry: the one it corrects stays in the record, superseded (left
    # out of the verdict and of the relief curve), and the alerts it raised stand.
    corrects = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
        help_text="The entry this one corrects (it takes that one's place in the verdict).",
    )
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="When a correction took this entry's place."
    )

    objects = DiaryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "diary entries"
        constraints = [
            models.UniqueConstraint(fields=["patient", "client_id"], name="entry_client_id_unique"),
            models.CheckConstraint(
                condition=Q(pain_score__gte=0, pain_score__lte=10), name="entry_pain_score_range"
            ),
            models.CheckConstraint(
                condition=Q(reported_relief_percent__isnull=True)
                | Q(reported_relief_percent__gte=0, reported_relief_percent__lte=100),
                name="entry_reported_relief_range",
            ),
            models.CheckConstraint(
                condition=(Q(numbness__isnull=True) | Q(numbness__in=Limb.values))
                & (Q(weakness__isnull=True) | Q(weakness__in=Limb.values)),
                name="entry_limb_valid",
            ),
            models.CheckConstraint(
                condition=Q(temperature_celsius__isnull=True)
                | Q(temperature_celsius__gte=30, temperature_celsius__lte=45),
                name="entry_temperature_range",
            ),
        ]
        indexes = [models.Index(fields=["procedure", "recorded_at"])]

    def __str__(self):
        return f"{self.patient} {self.recorded_at:%Y-%m-%d %H:%M} pain {self.pain_score}"


class Platform(models.TextChoices):
    FCM = "fcm"
    APNS = "apns"


class Device(models.Model):
    """A phone's push token. A token moves to whichever patient registers it last."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="devices")
    platform = models.CharField(max_length=4, choices=Platform.choices)
    token = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="device_token_unique"),
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values), name="device_platform_valid"
            ),
        ]

    def __str__(self):
        return f"{self.platform} device of {self.patient}"


class RuleSet(models.Model):
    """One version of the clinical rules (``diary.rules``). Rows are never changed: a
    clinic's override adds a row, so every finding keeps the rules that produced it."""

    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_sets",
        help_text="Empty for the defaults every clinic starts from.",
    )
    version = models.PositiveIntegerField(
        help_text="This row's number among its owner's (the defaults', or the clinic's)."
    )
    clinical_version = models.PositiveSmallIntegerField(
        help_text="The version of CLINICAL.md's rule set these rules implement (diary.rules)."
    )
    values = models.JSONField(help_text="Every threshold, overrides applied.")
    overrides = models.JSONField(default=dict, help_text="What differs from the defaults.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["clinic_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "version"], name="ruleset_version_unique"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(clinic__isnull=True), name="ruleset_default_unique"
            ),
        ]

    def __str__(self):
        return f"{self.label} rules"

    @property
    def label(self) -> str:
        return f"{self.clinic or 'default'} v{self.version}"


class Severity(models.TextChoices):
    EXPECTED = "expected"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Priority(models.TextChoices):
    NORMAL = "normal"
    HIGH = "high"


class Finding(models.Model):
    """What triage concluded from an entry (or from a check-in left unanswered)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="findings")
    entry = models.ForeignKey(
        DiaryEntry, null=True, blank=True, on_delete=models.CASCADE, related_name="findings"
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    rule = models.SlugField(max_length=40, help_text="The rule's code, e.g. numbness_persisting.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    priority = models.CharField(max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    reason = models.CharField(max_length=300)
    pages_proceduralist = models.BooleanField(
        default=False, help_text="The proceduralist is paged with the on-call clinician."
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="findings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="finding_severity_valid"
            ),
            # A check-in left unanswered raises its finding once, however often it is seen.
            models.UniqueConstraint(
                fields=["checkin", "rule"],
                condition=Q(entry__isnull=True, checkin__isnull=False),
                name="finding_once_per_checkin",
            ),
        ]

    def __str__(self):
        return f"{self.rule} ({self.severity})"
