"""What triage decided, and why: a finding as the phone and staff read it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.models import Finding
from diary.triage import RULE_TITLES


class RuleSetVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="The rule set's number among its owner's (the defaults', or the clinic's)."
    )
    clinical_version = serializers.IntegerField(
        help_text="The version of the clinical rule set (CLINICAL.md) it implements, e.g. 2."
    )
    source = serializers.ChoiceField(
        choices=["default", "clinic"],
        help_text="default: the service's rules; clinic: the clinic's own overrides of them.",
    )


class FindingSerializer(serializers.ModelSerializer):
    rule_title = serializers.SerializerMethodField()
    rule_set = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = [
            "rule",
            "rule_title",
            "severity",
            "priority",
            "reason",
            "pages_proceduralist",
            "rule_set",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "rule": {"help_text": "The rule's code, e.g. numbness_persisting."},
            "severity": {"help_text": "expected, urgent or emergency."},
            "priority": {"help_text": "high: urgent and never normal (answered today)."},
            "reason": {"help_text": "Why, in words, with the times that decided it."},
        }

    @extend_schema_field(serializers.CharField(help_text="The rule in words."))
    def get_rule_title(self, finding) -> str:
        return RULE_TITLES.get(finding.rule, finding.rule.replace("_", " "))

    @extend_schema_field(RuleSetVersionSerializer)
    def get_rule_set(self, finding) -> dict:
        rule_set = finding.rule_set
        return {
            "version": rule_set.version,
            "clinical_version": rule_set.clinical_version,
            "source": "default" if rule_set.clinic_id is None else "clinic",
        }
