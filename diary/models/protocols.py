"""Check-in schedules: the steps after a block at which the diary asks for a reading."""

from django.db import models
from django.db.models import Q


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
