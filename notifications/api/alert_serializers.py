"""Alerts as staff read them: state, who did what, the event log and the entries behind it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.api.finding_serializers import FindingSerializer
from diary.models import SAFETY_FIELDS, DiaryEntry
from notifications import alerts
from notifications.models import Alert, AlertEvent

# What the findings and the advice shown are read from: a fixed number of queries a page.
ALERT_FINDINGS_PREFETCH = ("events__finding__entry", "events__finding__rule_set")


class PatientAdviceSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The entry after which it was shown.")
    level = serializers.ChoiceField(
        choices=["routine", "expected", "contact_clinic", "emergency"],
        help_text="How urgent the advice was.",
    )
    message = serializers.CharField(help_text="The words the patient read, as shown.")


def _findings(alert) -> list:
    """The alert's findings, oldest first, from its (prefetched) events."""
    return [event.finding for event in alert.events.all() if event.finding is not None]


class AlertEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.username",
        default=None,
        allow_null=True,
        help_text="Who did it, for staff actions; null for the system's own.",
    )

    class Meta:
        model = AlertEvent
        fields = ["kind", "at", "actor", "detail"]
        extra_kwargs = {
            "kind": {"help_text": "triggered, repeated, raised, paged, escalated, …"},
            "detail": {"help_text": "What happened, in words."},
        }


class TriggeringEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "recorded_at",
            "pain_score",
            *SAFETY_FIELDS,
            "note",
            "advice_level",
            "advice_message",
        ]


class AlertSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(
        source="patient.display_name", help_text="For staff only; never in a page."
    )
    acknowledged_by = serializers.CharField(
        source="acknowledged_by.username",
        default=None,
        allow_null=True,
        help_text="Who acknowledged it; null until someone has.",
    )
    resolved_by = serializers.CharField(
        source="resolved_by.username",
        default=None,
        allow_null=True,
        help_text="Who resolved it; null until someone has.",
    )
    findings = serializers.SerializerMethodField()
    patient_advice = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "patient_name",
            "procedure",
            "rule",
            "severity",
            "priority",
            "state",
            "reason",
            "created_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
            "resolution_note",
            "escalation_step",
            "next_escalation_at",
            "pages_proceduralist",
            "findings",
            "patient_advice",
        ]
        extra_kwargs = {
            "rule": {"help_text": "The triage rule, e.g. bowel_bladder, numbness_persisting."},
            "severity": {"help_text": "urgent or emergency."},
            "priority": {"help_text": "high for urgent findings that are never normal."},
            "state": {"help_text": "open → acknowledged → resolved."},
            "reason": {"help_text": "Why, in words (the latest finding)."},
            "escalation_step": {"help_text": "0: first page; each escalation adds one."},
            "next_escalation_at": {"help_text": "When the next step is paged if still open."},
        }

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, alert) -> list[dict]:
        return FindingSerializer(_findings(alert), many=True).data

    @extend_schema_field(
        PatientAdviceSerializer(
            allow_null=True,
            help_text="What the patient was told at once after the latest entry behind this "
            "alert; null when no entry raised it (a check-in left unanswered).",
        )
    )
    def get_patient_advice(self, alert) -> dict | None:
        entries = [f.entry for f in _findings(alert) if f.entry is not None]
        if not entries:
            return None
        latest = max(entries, key=lambda e: (e.recorded_at, e.pk))
        return {
            "entry": latest.pk,
            "level": latest.advice_level,
            "message": latest.advice_message,
        }


class AlertDetailSerializer(AlertSerializer):
    events = AlertEventSerializer(many=True, read_only=True)
    entries = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events", "entries"]

    def get_entries(self, alert) -> list[dict]:
        entries = {
            event.finding.entry_id: event.finding.entry
            for event in alert.events.all()
            if event.finding is not None and event.finding.entry is not None
        }
        ordered = sorted(entries.values(), key=lambda e: (e.recorded_at, e.pk))
        return TriggeringEntrySerializer(ordered, many=True).data


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=alerts.NOTE_MAX_LENGTH,
        help_text="What was done; required to resolve.",
        trim_whitespace=True,
    )
