"""A patient of a clinic: how they are addressed, reached and reminded."""

import datetime

from django.db import models
from django.db.models import Q

from diary.models.clinics import Clinic
from diary.models.validators import E164, validate_timezone


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
