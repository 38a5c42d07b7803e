"""Seed version 1 of the default clinical rules.

The values are frozen here as version 1 had them (diary.rules now holds the newest version;
0005 seeds version 2), so a fresh database gets the same history as an upgraded one.
"""

from django.db import migrations

V1_DEFAULTS = {
    "expected_numbness_hours": 4.0,
    "never_normal_numbness_hours": 24.0,
    "followup_hours": 4.0,
    "fever_celsius": 38.0,
    "anticoagulant_raise": True,
    "positive_relief_percent": 80,
    "lidocaine_window_minutes": 180,
    "bupivacaine_window_minutes": 480,
    "min_readings_in_window": 3,
    "first_hour_reading_required": True,
    "max_reading_gap_minutes": 120,
    "beyond_window_factor": 2.0,
    "rfa_min_days_between_blocks": 14,
    "rfa_max_sessions_per_year": 4,
}


def seed(apps, schema_editor):
    RuleSet = apps.get_model("diary", "RuleSet")
    if not RuleSet.objects.filter(clinic__isnull=True).exists():
        RuleSet.objects.create(clinic=None, version=1, values=V1_DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("diary", "0003_triage")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
