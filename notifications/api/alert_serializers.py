"""Alerts as staff read them: state, who did what, the event log and the entries behind it."""

from django.db.models import F, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.api.finding_serializers import FindingSerializer
from diary.models import SAFETY_FIELDS, DiaryEntry
from notifications import alerts
from notifications.models import Alert, AlertEvent


def alerts_for_api(alerts: QuerySet) -> QuerySet:
    """``alerts`` with what these serializers read, in two queries whatever the page's size:
    the page itself, and its events joined to their findings, entries, rule sets and actors.

    Why annotations and one joined prefetch, not select_related and four prefetches: a page
    of 50 alerts then builds 50 model instances, not 150 (the patient and the two users of
    each alert, whole rows, for one name each), and its events come as a plain list on the
    alert rather than a queryset cloned each time the serializer asks for them.
    """
    events = AlertEvent.objects.select_related(
        "actor", "finding__entry", "finding__rule_set"
    ).order_by("at", "id")
    return alerts.annotate(
        patient_name=F("patient__display_name"),
        acknowledged_by_username=F("acknowledged_by__username"),
        resolved_by_username=F("resolved_by__username"),
    ).prefetch_related(Prefetch("events", queryset=events, to_attr="events_shown"))


class PatientAdviceSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The entry after which it was shown.")
    level = serializers.ChoiceField(
        choices=["routine", "expected", "contact_clinic", "emergency"],
        help_text="How urgent the advice was.",
    )
    message = serializers.CharField(help_text="The words the patient read, as shown.")


def _findings(alert) -> list:
    """The alert's findings, oldest first, from its events (``alerts_for_api``)."""
    return [event.finding for event in alert.events_shown if event.finding is not None]


@extend_schema_field(FindingSerializer(many=True))
class AlertFindingsField(serializers.Field):
    """The alert's findings, through one FindingSerializer built with the field.

    Why not ``FindingSerializer(findings, many=True).data`` per alert: a ModelSerializer
    introspects its model and builds its fields on every instantiation, which was most of
    the 0.2 ms each alert of a list cost (issue 12: 50 alerts took 1.9x the time of 3).
    Built here, it is built once per response, as the list's one child AlertSerializer is.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)
        self.child = FindingSerializer()

    def to_representation(self, alert) -> list[dict]:
        return [self.child.to_representation(finding) for finding in _findings(alert)]


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


# Reads an alert of ``alerts_for_api``: its names are annotations, its events a list.
class AlertSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(help_text="For staff only; never in a page.")
    acknowledged_by = serializers.CharField(
        source="acknowledged_by_username",
        default=None,
        allow_null=True,
        help_text="Who acknowledged it; null until someone has.",
    )
    resolved_by = serializers.CharField(
        source="resolved_by_username",
        default=None,
        allow_null=True,
        help_text="Who resolved it; null until someone has.",
    )
    findings = AlertFindingsField()
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
            "reported_late_seconds",
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
    events = AlertEventSerializer(source="events_shown", many=True, read_only=True)
    entries = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "events", "entries"]

    def get_entries(self, alert) -> list[dict]:
        entries = {f.entry_id: f.entry for f in _findings(alert) if f.entry is not None}
        ordered = sorted(entries.values(), key=lambda e: (e.recorded_at, e.pk))
        return TriggeringEntrySerializer(ordered, many=True).data


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=alerts.NOTE_MAX_LENGTH,
        help_text="What was done; required to resolve.",
        trim_whitespace=True,
    )
