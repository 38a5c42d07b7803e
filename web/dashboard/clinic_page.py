"""The clinic's settings: how it is paged, what patients are told to call, and its clinical
rules, with every version of them. Any staff member reads; a clinic admin changes them
through the API's own rules (``ClinicSettingsSerializer``, ``update_alert_settings``).
"""

from dataclasses import fields as dataclass_fields

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from diary import rules as clinical_rules
from diary import rulesets
from diary.api.permissions import staff_membership
from diary.models import RuleSet
from diary.services import DiaryError
from notifications import clinic_settings as alerting
from notifications import oncall
from notifications.api.oncall_serializers import ClinicSettingsSerializer
from web.dashboard.access import page, staff_only
from web.dashboard.forms import checked

RULE_PREFIX = "rule_"
PLAIN_FIELDS = (
    "name",
    "phone",
    "emergency_number",
    "erasure_deletes_readings",
    "emergency_delay_seconds",
    "urgent_delay_seconds",
    "webhook_url",
    "webhook_include_rule",
    "fallback_phone",
    "fallback_email",
    "max_escalation_steps",
    "ack_reminder_seconds",
)


class ClinicForm(forms.Form):
    name = forms.CharField(max_length=120, label="Clinic name")
    phone = forms.CharField(max_length=16, required=False, label="Clinic's phone (E.164)")
    emergency_number = forms.CharField(max_length=6, label="Emergency number (e.g. 999, 112, 911)")
    emergency_delay_seconds = forms.IntegerField(
        label="Unacknowledged emergency: page the backup after (seconds)"
    )
    urgent_delay_seconds = forms.IntegerField(
        label="Unacknowledged urgent alert: page the backup after (seconds)"
    )
    webhook_url = forms.CharField(max_length=200, required=False, label="Paging system webhook URL")
    webhook_secret = forms.CharField(
        max_length=200,
        required=False,
        strip=False,
        label="New webhook secret (leave empty to keep the current one)",
        widget=forms.PasswordInput(render_value=False),
    )
    erasure_deletes_readings = forms.BooleanField(
        required=False,
        label="Erasing a patient deletes their readings too",
        help_text="Unticked, an erased patient's readings stay, with nothing left that says "
        "who they were.",
    )
    remove_webhook_secret = forms.BooleanField(required=False, label="Remove the webhook secret")
    webhook_include_rule = forms.BooleanField(
        required=False,
        label="Name the alert's rule (e.g. fever) in the webhook's body",
        help_text="Untick to leave it out: the paging system then gets severity, state and link.",
    )
    pagerduty_routing_key = forms.CharField(
        max_length=200,
        required=False,
        label="New PagerDuty integration key (leave empty to keep the current one)",
        help_text="The Events API v2 integration key of your PagerDuty service, 32 characters.",
        widget=forms.PasswordInput(render_value=False),
    )
    remove_pagerduty_routing_key = forms.BooleanField(
        required=False, label="Stop sending alerts to PagerDuty (remove the key)"
    )
    fallback_phone = forms.CharField(
        max_length=16, required=False, label="Fallback phone when nobody is on call"
    )
    fallback_email = forms.CharField(
        max_length=254, required=False, label="Fallback e-mail when nobody is on call"
    )
    max_escalation_steps = forms.IntegerField(
        required=False,
        label="Escalation steps before the fallback contact is paged a last time",
        help_text="Leave empty to keep the current number.",
    )
    ack_reminder_seconds = forms.IntegerField(
        required=False,
        label="Acknowledged but unresolved: remind whoever acknowledged it after (seconds)",
        help_text="0: never. Leave empty to keep the current delay.",
    )

    def __init__(self, *args, defaults: clinical_rules.Rules, pagerduty_key_set=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Whether a key is set, never the key: the page cannot show what it does not have.
        self.fields["pagerduty_routing_key"].help_text += (
            " A key is set: alerts go to PagerDuty."
            if pagerduty_key_set
            else " None is set: PagerDuty is not used."
        )
        # One field per clinical threshold, blank meaning "the default".
        for field in dataclass_fields(clinical_rules.Rules):
            default = getattr(defaults, field.name)
            label = field.name.replace("_", " ").capitalize()
            name = RULE_PREFIX + field.name
            if isinstance(default, bool):
                self.fields[name] = forms.TypedChoiceField(
                    choices=[
                        ("", f"Default ({'yes' if default else 'no'})"),
                        ("1", "Yes"),
                        ("0", "No"),
                    ],
                    coerce=lambda v: v == "1",
                    empty_value=None,
                    required=False,
                    label=label,
                )
            else:
                self.fields[name] = forms.CharField(
                    required=False,
                    label=label,
                    help_text=f"Default {default}; leave empty to use it.",
                    widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                )

    def rule_fields(self):
        return [self[name] for name in self.fields if name.startswith(RULE_PREFIX)]

    def plain_fields(self):
        return [self[name] for name in self.fields if not name.startswith(RULE_PREFIX)]

    def settings_body(self) -> dict:
        """The API's PATCH body: the settings, and the overrides as a whole."""
        data = self.cleaned_data
        body = {name: data[name] for name in PLAIN_FIELDS}
        for name in ("max_escalation_steps", "ack_reminder_seconds"):
            if body[name] is None:  # left empty: unchanged
                del body[name]
        # Write-only secrets: empty keeps the current one, the box removes it.
        for name in ("webhook_secret", "pagerduty_routing_key"):
            if data[f"remove_{name}"]:
                body[name] = ""
            elif data[name]:
                body[name] = data[name]
        overrides = {}
        for name, value in data.items():
            if name.startswith(RULE_PREFIX) and value not in ("", None):
                overrides[name[len(RULE_PREFIX) :]] = _number(value)
        body["rule_overrides"] = overrides
        return body


def _number(value):
    """A typed threshold as the API takes it: a number where it reads as one."""
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except ValueError:
        return value  # the rules' own check names it
    return int(number) if number.is_integer() else number


def _initial(clinic) -> dict:
    current = alerting.settings_of(clinic, timezone.now())
    initial = {name: current[name] for name in PLAIN_FIELDS}
    for name, value in current["rule_overrides"].items():
        initial[RULE_PREFIX + name] = "1" if value is True else "0" if value is False else value
    return initial


@staff_only
@require_http_methods(["GET", "HEAD", "POST"])
def clinic_settings(request, clinic):
    membership = staff_membership(request.user)
    defaults = clinical_rules.DEFAULT_RULES
    key_set = bool(alerting.alert_settings_of(clinic).pagerduty_routing_key)
    if request.method == "POST":
        if not membership.is_admin:
            return page(request, "dashboard/forbidden.html", {"role": "admin"}, status=403)
        form = ClinicForm(request.POST, defaults=defaults, pagerduty_key_set=key_set)
        if form.is_valid() and _save(request, clinic, form):
            messages.success(request, "Clinic settings saved.")
            return redirect("dashboard:clinic")
    else:
        form = ClinicForm(initial=_initial(clinic), defaults=defaults, pagerduty_key_set=key_set)
    context = {
        "nav": "clinic",
        "clinic": clinic,
        "form": form,
        "membership": membership,
        "rules": rulesets.active_rule_set(clinic),
        "history": RuleSet.objects.filter(clinic=clinic).select_related("created_by")[:20],
        "warnings": oncall.coverage_warnings(clinic, timezone.now()),
    }
    return page(request, "dashboard/clinic.html", context, status=400 if form.errors else 200)


def _save(request, clinic, form) -> bool:
    serializer = ClinicSettingsSerializer(
        data=form.settings_body(), partial=True, context={"clinic": clinic}
    )
    data = checked(form, serializer)
    if data is None:
        return False
    try:
        alerting.update_alert_settings(clinic, by=request.user, **data)
    except DiaryError as error:
        field = error.field.replace("rule_overrides.", RULE_PREFIX)
        form.add_error(field if field in form.fields else None, error.message)
        return False
    return True
