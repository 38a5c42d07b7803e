"""The audit trail: one append-only row per read or write of patient data.

Who, what, which action, when, from where and through what. The ids are plain integers,
not foreign keys: a row must outlive the user, the patient's erasure and the object, and a
foreign key's ON DELETE would need the UPDATE or DELETE the table refuses (on PostgreSQL a
trigger, migration 0002; everywhere, the model and its queryset).
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    READ = "read"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    EXPORT = "export"
    SIGN_IN = "sign_in", "sign-in"
    SIGN_IN_FAILED = "sign_in_failed", "failed sign-in"
    TOKEN_REVOKED = "token_revoked", "token revoked"
    PRUNE = "prune", "older rows pruned"


class ActorKind(models.TextChoices):
    STAFF = "staff"
    PATIENT = "patient"
    SYSTEM = "system", "system task"
    ANONYMOUS = "anonymous", "not signed in"


class AppendOnly(Exception):
    """An audit row cannot be changed or deleted through the product."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit rows are never changed.")

    def delete(self):
        raise AppendOnly("Audit rows are deleted only by the prune_audit command.")

    def for_patient(self, patient_id: int):
        # patient_ids is ",3,17," so that one LIKE finds a patient on SQLite as on PostgreSQL.
        return self.filter(patient_ids__contains=f",{int(patient_id)},")


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=Action.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    staff_user_id = models.IntegerField(null=True, blank=True, help_text="The staff user's id.")
    actor_patient_id = models.IntegerField(null=True, blank=True, help_text="The patient's id.")
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Username (or the name tried, for a failed sign-in)."
    )
    clinic_id = models.IntegerField(null=True, blank=True, help_text="Whose record this is.")
    object_kind = models.CharField(max_length=40, blank=True, help_text="e.g. patient, entry.")
    object_ids = models.JSONField(default=list, help_text="For lists, every id returned.")
    patient_ids = models.TextField(
        blank=True, default="", help_text="The patients concerned, as ',3,17,'."
    )
    changes = models.JSONField(
        default=dict, encoder=DjangoJSONEncoder, help_text="Field: [old, new], for changes."
    )
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=200, blank=True, help_text="Method and endpoint or page.")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["clinic_id", "-at"], name="audit_by_clinic"),
            models.Index(fields=["at"], name="audit_by_time"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label or self.actor_kind} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit rows are deleted only by the prune_audit command.")

    @property
    def patient_id_list(self) -> list[int]:
        return [int(p) for p in self.patient_ids.strip(",").split(",") if p]
