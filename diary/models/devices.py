"""A patient's phones, by push token."""

from django.db import models
from django.db.models import Q

from diary.models.patients import Patient


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
