"""The versions of the clinical rules, the defaults' and each clinic's."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from diary.models.clinics import Clinic


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
