"""A clinic's alerting settings and clinical rule overrides, read and changed together."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from diary import rules, rulesets
from diary.models import Clinic
from diary.services import DiaryError
from notifications.models import PAGERDUTY_ROUTING_KEY, AlertSettings
from notifications.oncall import coverage_warnings
from notifications.transports import webhook

# Escalation delays an admin may choose, in seconds: from "at once" to a day.
MIN_DELAY_SECONDS = 5
MAX_DELAY_SECONDS = 86400
CLINIC_FIELDS = {"name", "phone", "emergency_number", "erasure_deletes_readings"}
ALERTING_FIELDS = {
    "emergency_delay_seconds",
    "urgent_delay_seconds",
    "webhook_url",
    "webhook_secret",
    "webhook_include_rule",
    "pagerduty_routing_key",
    "fallback_phone",
    "fallback_email",
    "max_escalation_steps",
    "ack_reminder_seconds",
}
# An acknowledged alert's reminder: never (0), or from ten minutes to a day.
MIN_ACK_REMINDER_SECONDS = 600
# Steps before the last page: at least the backup and the admins (steps 1 and 2).
MIN_ESCALATION_STEPS = 2
MAX_ESCALATION_STEPS = 50


def alert_settings_of(clinic: Clinic | int) -> AlertSettings:
    """The clinic's stored settings, or the defaults (not saved until changed)."""
    clinic_id = clinic.pk if isinstance(clinic, Clinic) else clinic
    stored = AlertSettings.objects.filter(clinic_id=clinic_id).first()
    return stored or AlertSettings(clinic_id=clinic_id)


def settings_of(clinic: Clinic, now: datetime) -> dict:
    """Everything the clinic page shows. The webhook secret and the PagerDuty routing key
    are not in it, only whether each is set: nothing that renders this can leak them."""
    alerting = alert_settings_of(clinic)
    rule_set = rulesets.active_rule_set(clinic)
    return {
        "name": clinic.name,
        "timezone": clinic.timezone,
        "phone": clinic.phone,
        "emergency_number": clinic.emergency_number,
        "erasure_deletes_readings": clinic.erasure_deletes_readings,
        "emergency_delay_seconds": alerting.emergency_delay_seconds,
        "urgent_delay_seconds": alerting.urgent_delay_seconds,
        "webhook_url": alerting.webhook_url,
        "webhook_secret_set": bool(alerting.webhook_secret),
        "webhook_include_rule": alerting.webhook_include_rule,
        "pagerduty_routing_key_set": bool(alerting.pagerduty_routing_key),
        "fallback_phone": alerting.fallback_phone,
        "fallback_email": alerting.fallback_email,
        "max_escalation_steps": alerting.max_escalation_steps,
        "ack_reminder_seconds": alerting.ack_reminder_seconds,
        "rule_overrides": rule_set.overrides if rule_set.clinic_id == clinic.pk else {},
        "rules": {
            "version": rule_set.label,
            "clinical_version": rule_set.clinical_version,
            "values": rule_set.values,
        },
        "coverage_warnings": coverage_warnings(clinic, now),
    }


@transaction.atomic
def update_alert_settings(
    clinic: Clinic, *, by, rule_overrides: dict | None = None, **changes
) -> AlertSettings:
    """Change the clinic's name, alerting settings and (when given) its rule overrides,
    all or nothing. ``rule_overrides`` replaces the earlier overrides as a whole."""
    unknown = set(changes) - CLINIC_FIELDS - ALERTING_FIELDS
    if unknown:
        raise TypeError(f"update_alert_settings() cannot change {', '.join(sorted(unknown))}")
    # Locked first, as set_overrides does: two admins saving at once queue here instead of
    # both creating the settings row (a unique violation) or both renaming the clinic.
    clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
    renamed = "name" in changes and changes["name"] != clinic.name
    if renamed and Clinic.objects.filter(name=changes["name"]).exclude(pk=clinic.pk).exists():
        raise DiaryError("name", "Another clinic has this name.")
    # What patients are told to call (the web check-in, the advice), and the erasure
    # policy: the model's checks.
    own = {name: changes[name] for name in CLINIC_FIELDS if name in changes}
    if own:
        for name, value in own.items():
            setattr(clinic, name, value)
        clinic.full_clean(validate_unique=False, validate_constraints=False)
        clinic.save(update_fields=list(own))

    alerting = alert_settings_of(clinic)
    alerting.clinic = clinic
    for name in ALERTING_FIELDS & set(changes):
        if name.endswith("_delay_seconds"):
            check_delay(name, changes[name])
        if name == "max_escalation_steps":
            check_steps(changes[name])
        if name == "ack_reminder_seconds" and changes[name] != 0:
            check_delay(name, changes[name], minimum=MIN_ACK_REMINDER_SECONDS)
        if name == "webhook_url" and changes[name]:
            try:
                webhook.check_url(changes[name])  # checked again at each send
            except webhook.UnsafeWebhookURL as refused:
                raise DiaryError(name, str(refused)) from None
        if name == "pagerduty_routing_key" and changes[name]:
            check_routing_key(changes[name])
        setattr(alerting, name, changes[name])
    if alerting.pk is None or ALERTING_FIELDS & set(changes):
        # The model's own checks (E.164, e-mail, URL) too, for callers other than the API.
        alerting.full_clean(exclude=["clinic"])
        alerting.save()

    if rule_overrides is not None:
        try:
            if _changes_rules(clinic, rule_overrides):
                rulesets.set_overrides(clinic, rule_overrides, by=by)
        except rules.RulesError as error:
            field = (
                error.field if error.field == "rule_overrides" else f"rule_overrides.{error.field}"
            )
            raise DiaryError(field, error.message) from error
    return alerting


def check_delay(name: str, value, minimum: int = MIN_DELAY_SECONDS) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DiaryError(name, "Must be a whole number of seconds.")
    if not minimum <= value <= MAX_DELAY_SECONDS:
        raise DiaryError(name, f"Must be between {minimum} and {MAX_DELAY_SECONDS}.")


def check_routing_key(value) -> None:
    """A PagerDuty Events API v2 integration key: 32 letters and digits."""
    try:
        PAGERDUTY_ROUTING_KEY(value)
    except ValidationError as wrong:
        raise DiaryError("pagerduty_routing_key", wrong.messages[0]) from None


def check_steps(value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DiaryError("max_escalation_steps", "Must be a whole number.")
    if not MIN_ESCALATION_STEPS <= value <= MAX_ESCALATION_STEPS:
        raise DiaryError(
            "max_escalation_steps",
            f"Must be between {MIN_ESCALATION_STEPS} and {MAX_ESCALATION_STEPS}.",
        )


def _changes_rules(clinic: Clinic, overrides: dict) -> bool:
    """Whether saving ``overrides`` would change the rules in force. Why ask: a dashboard
    that sends its whole form on every save must not add a rule-set version each time.
    Raises ``rules.RulesError`` for a bad override."""
    base = rulesets.rules_of(rulesets.default_rule_set())
    values = rules.apply_overrides(base, overrides).as_dict()
    active = rulesets.active_rule_set(clinic)
    own = active.overrides if active.clinic_id == clinic.pk else {}
    return own != overrides or active.values != values
