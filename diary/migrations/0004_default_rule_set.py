"""Seed version 1 of the default clinical rules (diary.rules.DEFAULT_RULES)."""

from django.db import migrations


def seed(apps, schema_editor):
    from diary.rules import DEFAULT_RULES

    RuleSet = apps.get_model("diary", "RuleSet")
    if not RuleSet.objects.filter(clinic__isnull=True).exists():
        RuleSet.objects.create(clinic=None, version=1, values=DEFAULT_RULES.as_dict())


class Migration(migrations.Migration):
    dependencies = [("diary", "0003_triage")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
