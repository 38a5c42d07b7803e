"""What triage concluded from an entry or an unanswered check-in."""

from django.db import models
from django.db.models import Q

from diary.models.checkins import CheckIn
from diary.models.entries import DiaryEntry
from diary.models.procedures import Procedure
from diary.models.rule_sets import RuleSet


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
