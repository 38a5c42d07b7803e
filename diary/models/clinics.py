"""A clinic and its staff."""

from django.conf import settings
from django.db import models

from diary.models.validators import E164, EMERGENCY_NUMBER, validate_timezone


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
