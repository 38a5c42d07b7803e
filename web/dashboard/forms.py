"""The dashboard's forms: what staff type, checked by the API's own serializers.

A form here only shapes input for people (choices, widgets, a phone number typed the local
way); the rules are the API's (``PatientSerializer``, ``ProcedureSerializer``), applied by
``checked``, so a patient registered from the dashboard is held to exactly what the API holds
it to, and every error lands on the field it is about.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone

from diary import phones
from diary.models import (
    SPINAL_LEVELS,
    Anesthetic,
    DisabilityScale,
    Language,
    Procedure,
    ProcedureKind,
    Side,
)
from notifications.models import DEFAULT_CHANNEL_ORDER

CHANNEL_ORDERS = [
    ("push,sms,email", "App, then SMS, then e-mail"),
    ("sms,email", "SMS, then e-mail (no app)"),
    ("sms", "SMS only"),
    ("email,sms", "E-mail, then SMS"),
    ("email", "E-mail only"),
]


def checked(form: forms.Form, serializer) -> dict | None:
    """The serializer's validated data, or None with its errors added to ``form``."""
    if serializer.is_valid():
        return serializer.validated_data
    for field, messages in serializer.errors.items():
        target = field if field in form.fields else None
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(target, message if target else f"{field}: {message}")
    return None


class PatientForm(forms.Form):
    display_name = forms.CharField(max_length=120, label="Name")
    external_id = forms.CharField(
        max_length=40, required=False, label="Clinic's patient number (optional)"
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label="Mobile number",
        help_text="As the patient gives it; a number without + is read in the clinic's country.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(required=False, label="E-mail (optional)")
    language = forms.ChoiceField(choices=Language.choices, label="Language")
    timezone = forms.CharField(max_length=64, label="Time zone")
    checkin_time = forms.TimeField(
        label="Daily check-in time", widget=forms.TimeInput(attrs={"type": "time"})
    )
    on_anticoagulants = forms.BooleanField(required=False, label="Takes anticoagulants")
    channel_order = forms.ChoiceField(
        choices=CHANNEL_ORDERS, initial=DEFAULT_CHANNEL_ORDER, label="Reminders by"
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["timezone"].initial = clinic.timezone
        self.fields["checkin_time"].initial = "10:00"

    def clean_phone(self):
        try:
            return phones.normalise(self.cleaned_data["phone"], phones.region_of(self.clinic.phone))
        except phones.PhoneError as error:
            raise forms.ValidationError(str(error)) from error

    def patient_fields(self) -> dict:
        """The cleaned form as the API's patient body."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "channel_order"}
        data["checkin_time"] = data["checkin_time"].strftime("%H:%M")
        return data


class BlockForm(forms.Form):
    kind = forms.ChoiceField(choices=ProcedureKind.choices, label="Kind")
    levels = forms.MultipleChoiceField(
        choices=[(level, level) for level in SPINAL_LEVELS],
        widget=forms.CheckboxSelectMultiple,
        label="Levels",
    )
    side = forms.ChoiceField(choices=Side.choices, label="Side")
    anesthetic = forms.ChoiceField(choices=Anesthetic.choices, label="Anaesthetic")
    concentration_percent = forms.DecimalField(
        max_digits=4, decimal_places=2, label="Concentration (%)"
    )
    volume_ml_per_level = forms.DecimalField(
        max_digits=4, decimal_places=2, label="Volume per level (mL)"
    )
    steroid = forms.BooleanField(required=False, label="Steroid given")
    baseline_pain = forms.IntegerField(min_value=0, max_value=10, label="Baseline pain (0-10)")
    baseline_disability_scale = forms.ChoiceField(
        choices=[("", "None recorded"), *DisabilityScale.choices],
        required=False,
        label="Baseline disability scale",
    )
    baseline_disability_score = forms.IntegerField(
        required=False, min_value=0, label="Baseline disability score"
    )
    usual_painful_activity = forms.CharField(
        max_length=200, required=False, label="Activity that usually hurts"
    )
    proceduralist = forms.TypedChoiceField(coerce=int, required=False, label="Proceduralist")
    performed_now = forms.BooleanField(required=False, label="Performed now")
    performed_at = forms.DateTimeField(
        required=False,
        label="Performed at (clinic time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )

    def __init__(self, *args, clinic, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["proceduralist"].choices = [("", "—")] + [
            (user.pk, user.get_full_name() or user.get_username()) for user in clinicians
        ]

    def clean(self):
        data = super().clean()
        if not data.get("performed_now") and not data.get("performed_at"):
            self.add_error("performed_at", "Give the time, or tick 'Performed now'.")
        return data

    def procedure_fields(self) -> dict:
        """The cleaned form as the API's procedure body (levels comma-separated, the time
        with the clinic's offset)."""
        data = dict(self.cleaned_data)
        now_ = data.pop("performed_now")
        if now_:
            performed_at = timezone.now()
        else:
            performed_at = _aware(data["performed_at"], ZoneInfo(self.clinic.timezone))
        data["performed_at"] = performed_at.isoformat()
        data["levels"] = ",".join(data["levels"])
        for name in ("concentration_percent", "volume_ml_per_level"):
            data[name] = str(data[name])
        data["proceduralist"] = data["proceduralist"] or None
        if data["baseline_disability_score"] is None:
            data.pop("baseline_disability_score")
        return data

    @classmethod
    def initial_of(cls, block: Procedure) -> dict:
        tz = ZoneInfo(block.patient.clinic.timezone)
        return {
            "kind": block.kind,
            "levels": block.levels.split(","),
            "side": block.side,
            "anesthetic": block.anesthetic,
            "concentration_percent": block.concentration_percent,
            "volume_ml_per_level": block.volume_ml_per_level,
            "steroid": block.steroid,
            "baseline_pain": block.baseline_pain,
            "baseline_disability_scale": block.baseline_disability_scale,
            "baseline_disability_score": block.baseline_disability_score,
            "usual_painful_activity": block.usual_painful_activity,
            "proceduralist": block.proceduralist_id,
            "performed_at": block.performed_at.astimezone(tz).replace(tzinfo=None),
        }


def _aware(value: datetime, tz: ZoneInfo) -> datetime:
    """The wall time typed, in the clinic's zone (the browser sends no offset)."""
    if timezone.is_aware(value):  # Django made it aware in the request's zone already
        value = timezone.make_naive(value)
    return value.replace(tzinfo=tz)


class RolesForm(forms.Form):
    """A colleague's roles at the clinic; the rules (one admin at least) are the service's."""

    is_clinician = forms.BooleanField(
        required=False, label="Clinician", help_text="Registers patients and blocks."
    )
    is_oncall = forms.BooleanField(
        required=False, label="On call", help_text="Can be put on the rota and paged."
    )
    is_admin = forms.BooleanField(
        required=False, label="Clinic admin", help_text="Invites staff and changes their roles."
    )

    def roles(self) -> list[str]:
        return [name for name in RolesForm.base_fields if self.cleaned_data[name]]


class DetailsForm(forms.Form):
    """A colleague's name and e-mail; the rules (one account per address) are the service's."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.EmailField(
        max_length=254,
        label="E-mail",
        help_text="Where set-password links go. Someone still to choose a password is sent a "
        "new link at a new address.",
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label="Mobile for SMS pages (optional)",
        help_text="A number without + is read in the clinic's country. A new number is "
        "paged even if the old one was switched off.",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class InviteForm(RolesForm):
    email = forms.EmailField(label="E-mail", help_text="The set-password link is sent here.")
    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    # Who the colleague is first, then what they may do.
    field_order = ["email", "first_name", "last_name"]
