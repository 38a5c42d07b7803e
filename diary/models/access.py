"""How a patient or a staff member gets in: enrolment codes, bearer tokens and the
patient's links to the web check-in. Only hashes are stored."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from diary.models.patients import Patient


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
