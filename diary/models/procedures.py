"""A block (or an ablation) a patient has had or is to have, with its baseline."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from diary.models.patients import Patient
from diary.models.protocols import Protocol

# Facet levels as written on the procedure note; a block may cover several.
SPINAL_LEVELS = ("T12-L1", "L1-L2", "L2-L3", "L3-L4", "L4-L5", "L5-S1")


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
