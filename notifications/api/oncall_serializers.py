from django.contrib.auth import get_user_model
from django.core.validators import URLValidator
from rest_framework import serializers

from diary.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializerMixin,
)
from diary.api.serializers import DeviceSerializer
from diary.models import E164, EMERGENCY_NUMBER
from notifications.clinic_settings import (
    MAX_DELAY_SECONDS,
    MAX_ESCALATION_STEPS,
    MIN_DELAY_SECONDS,
    MIN_ESCALATION_STEPS,
)
from notifications.models import PAGERDUTY_ROUTING_KEY, OnCallShift, StaffDevice
from notifications.oncall import display_name

HTTP_URL = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class ShiftSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    """A staff member on call for the clinic from starts_at until ends_at."""

    user_name = serializers.SerializerMethodField(help_text="The staff member's name.")

    class Meta:
        model = OnCallShift
        fields = ["id", "user", "user_name", "role", "starts_at", "ends_at", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "user": {
                "help_text": "Id of the staff member on call; must be staff of your clinic.",
                "error_messages": {
                    "does_not_exist": "No staff member of your clinic has id {pk_value}."
                },
            },
            "role": {"help_text": "primary is paged first; backup when nobody acknowledges."},
            "starts_at": {"help_text": "When the shift starts, with a UTC offset (inclusive)."},
            "ends_at": {
                "help_text": "When it ends, with a UTC offset (exclusive); at most 31 days later."
            },
        }

    def get_fields(self):
        fields = super().get_fields()
        clinic = self.context.get("clinic")
        if clinic is not None:
            # Someone of another clinic is "not found", as their clinic's data would be.
            fields["user"].queryset = get_user_model().objects.filter(membership__clinic=clinic)
        return fields

    def get_user_name(self, shift) -> str:
        return display_name(shift.user)


class OnCallPersonSerializer(serializers.Serializer):
    """A staff member on call now."""

    id = serializers.IntegerField(help_text="The staff member's user id.")
    username = serializers.CharField(help_text="Their login name.")
    name = serializers.CharField(help_text="Their full name, or the login name without one.")
    channels = serializers.ListField(
        child=serializers.CharField(),
        help_text="How they can be paged now: push, sms and/or email; empty means not at all.",
    )


class OnCallNowSerializer(serializers.Serializer):
    """Who is on call now, and what is wrong with the rota over the next 24 hours."""

    primary = OnCallPersonSerializer(many=True, help_text="Paged first, now.")
    backup = OnCallPersonSerializer(many=True, help_text="Paged when nobody acknowledges.")
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Gaps and unreachable people in the next 24 hours, one sentence each.",
    )


class RuleSetSummarySerializer(serializers.Serializer):
    """The version of the clinical rules in force, and its thresholds."""

    version = serializers.CharField(help_text="Which rule set, e.g. 'North v3'.")
    values = serializers.DictField(help_text="Every threshold in force, overrides applied.")


class ClinicSettingsSerializer(StrictSerializerMixin, serializers.Serializer):
    """The clinic's page: its name, how it is paged, and its clinical rules.

    Rendered from ``clinic_settings.settings_of``, which holds no secret to leak."""

    name = StrictCharField(max_length=120, help_text="The clinic's name; unique.")
    timezone = serializers.CharField(read_only=True, help_text="IANA time zone of the clinic.")
    phone = StrictCharField(
        allow_blank=True,
        max_length=16,
        validators=[E164],
        help_text="The number patients are told to call, E.164 (e.g. +442079460001).",
    )
    emergency_number = StrictCharField(
        max_length=6,
        validators=[EMERGENCY_NUMBER],
        help_text="The emergency services number of the clinic's country, shown to a patient "
        "with an emergency (e.g. 999, 112, 911).",
    )
    emergency_delay_seconds = StrictIntegerField(
        min_value=MIN_DELAY_SECONDS,
        max_value=MAX_DELAY_SECONDS,
        help_text="An unacknowledged emergency alert pages the backup after this many seconds.",
    )
    urgent_delay_seconds = StrictIntegerField(
        min_value=MIN_DELAY_SECONDS,
        max_value=MAX_DELAY_SECONDS,
        help_text="An unacknowledged urgent alert pages the backup after this many seconds.",
    )
    webhook_url = serializers.URLField(
        allow_blank=True,
        max_length=200,
        validators=[HTTP_URL],
        help_text="The paging system's endpoint, sent a JSON POST per alert event; '' for none.",
    )
    webhook_secret = StrictCharField(
        write_only=True,
        allow_blank=True,
        min_length=16,
        max_length=200,
        trim_whitespace=False,
        help_text="Signs each webhook POST (X-Signature-256); at least 16 characters, '' to "
        "remove. Never read back.",
    )
    webhook_secret_set = serializers.BooleanField(
        read_only=True, help_text="Whether a webhook secret is set."
    )
    erasure_deletes_readings = StrictBooleanField(
        help_text="When a patient is erased: true deletes their readings too; false (the "
        "default) keeps them, de-identified."
    )
    webhook_include_rule = StrictBooleanField(
        help_text="Whether the webhook's body names the rule that raised the alert "
        "(alert.rule, e.g. 'fever'); default true. False leaves it out."
    )
    pagerduty_routing_key = StrictCharField(
        write_only=True,
        allow_blank=True,
        max_length=32,
        validators=[PAGERDUTY_ROUTING_KEY],
        help_text="The Events API v2 integration key of the clinic's PagerDuty service (32 "
        "letters and digits): alerts are triggered, acknowledged and resolved there. '' to "
        "stop. Never read back.",
    )
    pagerduty_routing_key_set = serializers.BooleanField(
        read_only=True, help_text="Whether a PagerDuty routing key is set."
    )
    fallback_phone = StrictCharField(
        allow_blank=True,
        max_length=16,
        validators=[E164],
        help_text="Called when nobody is on call, E.164 (e.g. +447700900123); '' for none.",
    )
    fallback_email = serializers.EmailField(
        allow_blank=True, help_text="E-mailed when nobody is on call; '' for none."
    )
    max_escalation_steps = StrictIntegerField(
        min_value=MIN_ESCALATION_STEPS,
        max_value=MAX_ESCALATION_STEPS,
        help_text="Escalation steps paged (default 5); after the last, the fallback contact is "
        "paged once more and escalation stops, the alert staying open.",
    )
    ack_reminder_seconds = StrictIntegerField(
        min_value=0,
        max_value=MAX_DELAY_SECONDS,
        help_text="An acknowledged alert still unresolved after this many seconds reminds "
        "whoever acknowledged it, once (default 7200); 0: never; else at least 600.",
    )
    rule_overrides = serializers.DictField(
        help_text="Thresholds that differ from the defaults, by name. Replaces the earlier "
        "overrides as a whole ({} returns to the defaults) and adds a rule-set version.",
    )
    rules = RuleSetSummarySerializer(read_only=True, help_text="The clinical rules in force.")
    coverage_warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Gaps and unreachable people on call in the next 24 hours.",
    )


class StaffDeviceSerializer(DeviceSerializer):
    """A staff phone's push token, for alert pages: the same shape as a patient's phone."""

    class Meta(DeviceSerializer.Meta):
        model = StaffDevice
