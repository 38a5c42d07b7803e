"""The rule set in force for a clinic, and a clinic's overrides, as stored versions."""

from django.db import transaction
from django.db.models import Max

from diary import rules
from diary.models import Clinic, RuleSet


def default_rule_set() -> RuleSet:
    """The newest default rules; seeded by migration, re-created here if someone removed it."""
    found = RuleSet.objects.filter(clinic__isnull=True).order_by("-version").first()
    if found is None:
        found, _ = RuleSet.objects.get_or_create(
            clinic=None,
            version=rules.VERSION,
            defaults={"values": rules.DEFAULT_RULES.as_dict(), "clinical_version": rules.VERSION},
        )
    return found


def active_rule_set(clinic: Clinic | int) -> RuleSet:
    """The clinic's newest version, or the defaults when it never overrode anything."""
    clinic_id = clinic.pk if isinstance(clinic, Clinic) else clinic
    found = RuleSet.objects.filter(clinic_id=clinic_id).order_by("-version").first()
    return found or default_rule_set()


def rules_of(rule_set: RuleSet) -> rules.Rules:
    return rules.from_dict(rule_set.values)


@transaction.atomic
def set_overrides(clinic: Clinic, overrides: dict, *, by=None) -> RuleSet:
    """Store a new version of the clinic's rules: the defaults with ``overrides`` applied.

    ``overrides`` replaces the clinic's earlier ones as a whole ({} returns to the
    defaults). Raises ``rules.RulesError`` naming the bad key. The clinic row is locked so
    two admins saving at once get versions n+1 and n+2, not a unique violation.
    """
    Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
    default = default_rule_set()
    values = rules.apply_overrides(rules_of(default), overrides).as_dict()
    latest = RuleSet.objects.filter(clinic=clinic).aggregate(v=Max("version"))["v"] or 0
    return RuleSet.objects.create(
        clinic=clinic,
        version=latest + 1,
        clinical_version=default.clinical_version,
        values=values,
        overrides=overrides,
        created_by=by,
    )
