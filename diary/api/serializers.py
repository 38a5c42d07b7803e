"""Serializers of the v1 API. Validation lives here; writes go through ``diary.services``."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary import services
from diary.api.diary_serializers import CheckInSerializer
from diary.api.fields import (
    AwareDateTimeField,
    StrictModelSerializer,
    StrictSerializerMixin,
)
from diary.models import (
    DISABILITY_SCALE_MAX,
    SPINAL_LEVELS,
    Clinic,
    Device,
    Patient,
    Procedure,
    ProcedureStatus,
)

# --- Shared -------------------------------------------------------------------------


class ClinicSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ["name", "phone"]


# --- Patient app ----------------------------------------------------------------------


class QuietHoursMixin:
    """Quiet hours come as a pair: both times, or null for both."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("quiet_start", getattr(self.instance, "quiet_start", None))
        end = attrs.get("quiet_end", getattr(self.instance, "quiet_end", None))
        if "quiet_start" in attrs or "quiet_end" in attrs:
            if (start is None) != (end is None):
                raise serializers.ValidationError(
                    {"quiet_end": ["Give both quiet_start and quiet_end, or null for both."]}
                )
            if start is not None and start == end:
                raise serializers.ValidationError({"quiet_end": ["Must differ from quiet_start."]})
        return attrs


CHANNEL_ORDER_HELP = (
    "The channels that carry reminders, tried in this order, comma-separated, from push, "
    "sms and email (e.g. push,sms)."
)
OWN_FIELD_HELP = {
    "timezone": {"help_text": "IANA time zone, e.g. Europe/London: reminders follow it."},
    "language": {"help_text": "The language of reminders and of the web check-in."},
    "checkin_time": {"help_text": "Local time of day for the daily check-ins (HH:MM)."},
    "quiet_start": {
        "help_text": "Local time (HH:MM) after which day-level reminders wait until "
        "quiet_end; null for no quiet hours. Reminders in the first hours after a block "
        "are never held."
    },
    "quiet_end": {"help_text": "Local time (HH:MM) the quiet hours end."},
}


class MeSerializer(serializers.ModelSerializer):
    clinic = ClinicSummarySerializer(read_only=True)
    channel_order = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "display_name",
            "timezone",
            "language",
            "checkin_time",
            "quiet_start",
            "quiet_end",
            "channel_order",
            "clinic",
        ]
        extra_kwargs = OWN_FIELD_HELP

    @extend_schema_field(serializers.CharField(help_text=CHANNEL_ORDER_HELP))
    def get_channel_order(self, patient) -> str:
        return services.channel_orders().read(patient)


class MeUpdateSerializer(QuietHoursMixin, StrictModelSerializer):
    """What the patient may change themselves; the rest of their record is the clinic's."""

    channel_order = serializers.CharField(
        max_length=32, required=False, help_text=CHANNEL_ORDER_HELP
    )

    class Meta:
        model = Patient
        fields = [*services.OWN_FIELDS, "channel_order"]
        extra_kwargs = OWN_FIELD_HELP

    def validate_channel_order(self, value):
        try:
            return services.channel_orders().clean(value)
        except ValueError as wrong:
            raise serializers.ValidationError(str(wrong)) from None


class EnrollSerializer(StrictSerializerMixin, serializers.Serializer):
    code = serializers.CharField(
        max_length=32, help_text="The code the clinic gave you, with or without the dash."
    )


class EnrollResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Bearer <token>'.")
    patient = MeSerializer()


class MyProcedureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Procedure
        fields = ["id", "performed_at", "kind", "levels", "side", "anesthetic", "steroid", "status"]


class DeviceSerializer(StrictModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "platform", "token", "created_at"]
        read_only_fields = ["id", "created_at"]
        # A known (platform, token) is an upsert in register_device, not a 400: drop the
        # unique-together validator DRF derives from the model's constraint.
        validators = []
        extra_kwargs = {
            "platform": {"help_text": "fcm (Android) or apns (iOS)."},
            "token": {"help_text": "The push token the platform gave the app.", "validators": []},
        }


# --- Staff --------------------------------------------------------------------------


class PatientSerializer(QuietHoursMixin, StrictModelSerializer):
    class Meta:
        model = Patient
        fields = [
            "id",
            "display_name",
            "external_id",
            "timezone",
            "phone",
            "email",
            "checkin_time",
            "language",
            "on_anticoagulants",
            "quiet_start",
            "quiet_end",
            "status",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {
            "display_name": {"help_text": "How the patient is named to staff and in the app."},
            "external_id": {
                "help_text": "The clinic's own patient number (hospital number); optional, "
                "unique in the clinic."
            },
            "timezone": {
                "required": False,
                "help_text": "IANA time zone, e.g. Europe/London; defaults to the clinic's.",
            },
            "phone": {"help_text": "Mobile number in E.164 form, e.g. +447700900123."},
            "email": {"help_text": "For e-mail reminders."},
            "checkin_time": OWN_FIELD_HELP["checkin_time"],
            "on_anticoagulants": {"help_text": "Raises the severity of persisting symptoms."},
            "quiet_start": OWN_FIELD_HELP["quiet_start"],
            "quiet_end": OWN_FIELD_HELP["quiet_end"],
            "status": {"help_text": "active, paused or ended (ending revokes the app's access)."},
        }

    def validate_external_id(self, value):
        value = value.strip()
        clinic = self.context.get("clinic")
        if value and clinic is not None:
            others = Patient.objects.filter(clinic=clinic, external_id=value)
            if self.instance is not None:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                raise serializers.ValidationError("Another patient of the clinic has this number.")
        return value


class PatientCreatedSerializer(PatientSerializer):
    enrollment_code = serializers.CharField(
        read_only=True, help_text="Shown once: give it to the patient to enrol the app."
    )
    enrollment_code_expires_at = serializers.DateTimeField(read_only=True)

    class Meta(PatientSerializer.Meta):
        fields = [*PatientSerializer.Meta.fields, "enrollment_code", "enrollment_code_expires_at"]


class WebLinkSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text="Opens the patient's web check-in without a password (for the handout). "
        "Shown once; only its hash is kept."
    )
    expires_at = serializers.DateTimeField(
        help_text="The latest it can work; it stops earlier when the diary ends (plus a "
        "grace), the patient is paused or ended, or access is revoked."
    )


class RevokedAccessSerializer(serializers.Serializer):
    links_revoked = serializers.IntegerField(help_text="Web check-in links that stopped working.")


class NewCodeRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    revoke_app = serializers.BooleanField(
        default=False,
        help_text="Also sign out every phone and web link of the patient (a lost phone).",
    )


class EnrollmentCodeSerializer(serializers.Serializer):
    enrollment_code = serializers.CharField(help_text="Shown once; the previous code is void.")
    enrollment_code_expires_at = serializers.DateTimeField()


def normalize_levels(value: str) -> str:
    """``"l5-s1, L4-L5"`` → ``"L4-L5,L5-S1"`` (known levels, in anatomical order)."""
    parts = [p.strip().upper() for p in value.split(",") if p.strip()]
    unknown = [p for p in parts if p not in SPINAL_LEVELS]
    if not parts or unknown:
        raise serializers.ValidationError(
            f"Give one or more of {', '.join(SPINAL_LEVELS)}, separated by commas."
        )
    return ",".join(level for level in SPINAL_LEVELS if level in parts)


class ProcedureSerializer(StrictModelSerializer):
    performed_at = AwareDateTimeField(
        help_text="When the block was, or is to be, done; ISO 8601 with a UTC offset. "
        "Correcting it re-plans the check-ins not yet answered."
    )

    class Meta:
        model = Procedure
        fields = [
            "id",
            "patient",
            "proceduralist",
            "kind",
            "levels",
            "side",
            "anesthetic",
            "concentration_percent",
            "volume_ml_per_level",
            "steroid",
            "performed_at",
            "baseline_pain",
            "baseline_disability_scale",
            "baseline_disability_score",
            "usual_painful_activity",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            # Scoped to the caller's clinic in __init__; nothing by default.
            "patient": {
                "queryset": Patient.objects.none(),
                "help_text": "A patient of your clinic.",
            },
            "proceduralist": {
                "queryset": get_user_model().objects.none(),
                "help_text": "The clinician who did the block (staff of your clinic).",
            },
            "kind": {"help_text": "diagnostic_mbb, therapeutic_mbb or rfa."},
            "levels": {"help_text": "Facet levels, comma-separated, e.g. L4-L5,L5-S1."},
            "side": {"help_text": "left, right or bilateral."},
            "anesthetic": {"help_text": "lidocaine or bupivacaine."},
            "concentration_percent": {
                "min_value": Decimal("0.01"),
                "max_value": Decimal("5"),
                "help_text": "Anaesthetic concentration in %, e.g. 2 for lidocaine 2 %.",
            },
            "volume_ml_per_level": {
                "min_value": Decimal("0.01"),
                "max_value": Decimal("5"),
                "help_text": "Volume injected per level in mL, e.g. 0.5.",
            },
            "steroid": {"help_text": "A steroid was given (adds check-ins on days 21 and 28)."},
            "baseline_pain": {
                "min_value": 0,
                "max_value": 10,
                "help_text": "Usual pain before the block, 0-10; relief is computed against it.",
            },
            "status": {
                "required": False,
                "help_text": "planned or performed (default from performed_at); cancel with "
                "the cancel action.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clinic = self.context.get("clinic")
        if clinic is not None:
            self.fields["patient"].queryset = Patient.objects.filter(clinic=clinic)
            self.fields["proceduralist"].queryset = clinic_users(clinic)
        if self.instance is not None and "patient" in self.fields:
            self.fields["patient"].read_only = True

    def validate_levels(self, value):
        return normalize_levels(value)

    def validate(self, attrs):
        scale = attrs.get(
            "baseline_disability_scale", getattr(self.instance, "baseline_disability_scale", "")
        )
        score = attrs.get(
            "baseline_disability_score", getattr(self.instance, "baseline_disability_score", None)
        )
        if scale and score is None:
            raise serializers.ValidationError(
                {"baseline_disability_score": ["Give the score of the scale named."]}
            )
        if score is not None and not scale:
            raise serializers.ValidationError(
                {"baseline_disability_scale": ["Name the scale the score is on (odi or rmdq)."]}
            )
        if scale and score > DISABILITY_SCALE_MAX[scale]:
            raise serializers.ValidationError(
                {
                    "baseline_disability_score": [
                        f"Must be between 0 and {DISABILITY_SCALE_MAX[scale]} on {scale}."
                    ]
                }
            )
        return attrs

    def validate_status(self, value):
        if value == ProcedureStatus.CANCELLED:
            raise serializers.ValidationError("Use the cancel action to cancel a block.")
        return value


class ProcedureDetailSerializer(ProcedureSerializer):
    checkins = CheckInSerializer(many=True, read_only=True)

    class Meta(ProcedureSerializer.Meta):
        fields = [*ProcedureSerializer.Meta.fields, "checkins"]


def clinic_users(clinic):
    return get_user_model().objects.filter(membership__clinic=clinic)


class TokenRequestSerializer(StrictSerializerMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Bearer <token>'.")
