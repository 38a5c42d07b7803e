"""Clinical rules version 2 (CLINICAL.md): check-in windows, unknown answers, the new rule set.

- Protocol steps get ``opens_before_minutes`` (5 for the first 8 h, 60 for daily ones) and every
  check-in its ``opens_at``, computed from its step (or its kind, for the triage follow-up).
- Safety answers become nullable: a question not asked is unknown, not "no". Rows stored before
  keep what they say; nothing can tell now which of their "no"s were asked.
- Default rules v2 are seeded, and every clinic that overrode v1 gets a new version of its own:
  v2 with the same overrides. Findings keep pointing at the version that produced them.
- Findings and alerts record whether the proceduralist is paged; every past emergency did.
"""

import datetime

from django.db import migrations, models
from django.db.models import F, Q

# Rule set version 2, frozen as it was seeded: a later change to diary.rules must add a
# migration of its own instead of rewriting what this one stored.
V2_DEFAULTS = {
    "expected_numbness_hours": 4.0,
    "never_normal_numbness_hours": 24.0,
    "followup_hours": 4.0,
    "fever_celsius": 38.0,
    "anticoagulant_raise": True,
    "onset_minutes": 30,
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
OPENS_BEFORE_MINUTES = {"after_block": 5, "daily": 60}


def step_windows(apps, schema_editor):
    ProtocolStep = apps.get_model("diary", "ProtocolStep")
    for kind, minutes in OPENS_BEFORE_MINUTES.items():
        ProtocolStep.objects.filter(kind=kind).update(opens_before_minutes=minutes)


def checkin_opens(apps, schema_editor):
    CheckIn = apps.get_model("diary", "CheckIn")
    ProtocolStep = apps.get_model("diary", "ProtocolStep")
    # One UPDATE per (protocol, step) that has its own number, then the kind's default for
    # the rest (the follow-up check-in is no protocol step): cheap on a large table.
    odd = ProtocolStep.objects.exclude(
        Q(kind="after_block", opens_before_minutes=5) | Q(kind="daily", opens_before_minutes=60)
    )
    for step in odd:
        CheckIn.objects.filter(
            procedure__protocol_id=step.protocol_id, key=step.key, opens_at__isnull=True
        ).update(opens_at=F("due_at") - datetime.timedelta(minutes=step.opens_before_minutes))
    for kind, minutes in OPENS_BEFORE_MINUTES.items():
        CheckIn.objects.filter(kind=kind, opens_at__isnull=True).update(
            opens_at=F("due_at") - datetime.timedelta(minutes=minutes)
        )
    CheckIn.objects.filter(opens_at__isnull=True).update(opens_at=F("due_at"))


def rules_v2(apps, schema_editor):
    RuleSet = apps.get_model("diary", "RuleSet")
    if not RuleSet.objects.filter(clinic__isnull=True, clinical_version=2).exists():
        latest = RuleSet.objects.filter(clinic__isnull=True).order_by("-version").first()
        RuleSet.objects.create(
            clinic=None,
            version=(latest.version + 1) if latest else 1,
            clinical_version=2,
            values=V2_DEFAULTS,
            overrides={},
        )
    clinic_ids = (
        RuleSet.objects.filter(clinic__isnull=False).values_list("clinic_id", flat=True).distinct()
    )
    for clinic_id in clinic_ids:
        latest = RuleSet.objects.filter(clinic_id=clinic_id).order_by("-version").first()
        if latest.clinical_version >= 2:
            continue
        overrides = {k: v for k, v in latest.overrides.items() if k in V2_DEFAULTS}
        RuleSet.objects.create(
            clinic_id=clinic_id,
            version=latest.version + 1,
            clinical_version=2,
            values={**V2_DEFAULTS, **overrides},
            overrides=overrides,
            created_by_id=None,
        )


def emergencies_paged_the_proceduralist(apps, schema_editor):
    Finding = apps.get_model("diary", "Finding")
    Finding.objects.filter(severity="emergency").update(pages_proceduralist=True)


class Migration(migrations.Migration):
    dependencies = [("diary", "0004_default_rule_set")]

    operations = [
        # --- Check-in windows ---------------------------------------------------------------
        migrations.AddField(
            model_name="protocolstep",
            name="opens_before_minutes",
            field=models.PositiveIntegerField(
                default=5,
                help_text="How long before it is due the check-in may be answered (CLINICAL.md v2).",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(step_windows, migrations.RunPython.noop),
        migrations.AddField(
            model_name="checkin",
            name="opens_at",
            field=models.DateTimeField(
                null=True, help_text="From when a reading answers it (a little before it is due)."
            ),
        ),
        migrations.RunPython(checkin_opens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="checkin",
            name="opens_at",
            field=models.DateTimeField(
                help_text="From when a reading answers it (a little before it is due)."
            ),
        ),
        migrations.AddConstraint(
            model_name="checkin",
            constraint=models.CheckConstraint(
                condition=models.Q(("opens_at__lte", models.F("due_at"))),
                name="checkin_opens_by_due",
            ),
        ),
        # --- Unknown vs no --------------------------------------------------------------------
        migrations.RemoveConstraint(model_name="diaryentry", name="entry_limb_valid"),
        *[
            migrations.AlterField(
                model_name="diaryentry",
                name=name,
                field=models.CharField(
                    blank=True,
                    choices=[
                        ("none", "None"),
                        ("left_leg", "Left Leg"),
                        ("right_leg", "Right Leg"),
                        ("both_legs", "Both Legs"),
                    ],
                    max_length=10,
                    null=True,
                ),
            )
            for name in ("numbness", "weakness")
        ],
        *[
            migrations.AlterField(
                model_name="diaryentry",
                name=name,
                field=models.BooleanField(blank=True, null=True),
            )
            for name in (
                "saddle_numbness",
                "bowel_bladder_change",
                "fever",
                "site_problem",
                "severe_back_pain",
                "headache_on_standing",
                "unable_to_urinate",
            )
        ],
        migrations.AddField(
            model_name="diaryentry",
            name="radicular_symptoms",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="diaryentry",
            constraint=models.CheckConstraint(
                condition=(
                    models.Q(("numbness__isnull", True))
                    | models.Q(("numbness__in", ["none", "left_leg", "right_leg", "both_legs"]))
                )
                & (
                    models.Q(("weakness__isnull", True))
                    | models.Q(("weakness__in", ["none", "left_leg", "right_leg", "both_legs"]))
                ),
                name="entry_limb_valid",
            ),
        ),
        # --- What the patient was told ----------------------------------------------------------
        migrations.AddField(
            model_name="diaryentry",
            name="advice_level",
            field=models.CharField(
                blank=True,
                choices=[
                    ("routine", "Routine"),
                    ("expected", "Expected"),
                    ("contact_clinic", "Contact Clinic"),
                    ("emergency", "Emergency"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="diaryentry",
            name="advice_message",
            field=models.TextField(blank=True),
        ),
        # --- The patient's language ---------------------------------------------------------------
        migrations.AddField(
            model_name="patient",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("es", "Español")],
                default="en",
                help_text="The language the patient is asked and told things in.",
                max_length=8,
            ),
        ),
        # --- Baseline disability and the usually painful activity ---------------------------------
        migrations.AddField(
            model_name="procedure",
            name="baseline_disability_scale",
            field=models.CharField(
                blank=True,
                choices=[
                    ("odi", "Oswestry Disability Index (0-100 %)"),
                    ("rmdq", "Roland-Morris Disability Questionnaire (0-24)"),
                ],
                help_text="The disability scale scored at baseline, if any.",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="procedure",
            name="baseline_disability_score",
            field=models.PositiveSmallIntegerField(
                blank=True,
                null=True,
                help_text="Its score at baseline (ODI 0-100 %, RMDQ 0-24).",
            ),
        ),
        migrations.AddField(
            model_name="procedure",
            name="usual_painful_activity",
            field=models.CharField(
                blank=True,
                help_text="The activity that usually hurts, e.g. 'standing'.",
                max_length=200,
            ),
        ),
        migrations.AddConstraint(
            model_name="procedure",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("baseline_disability_scale", ""), ("baseline_disability_score__isnull", True)
                )
                | models.Q(
                    ("baseline_disability_scale", "odi"), ("baseline_disability_score__lte", 100)
                )
                | models.Q(
                    ("baseline_disability_scale", "rmdq"), ("baseline_disability_score__lte", 24)
                ),
                name="procedure_disability_scored",
            ),
        ),
        # --- Rule set version 2 ---------------------------------------------------------------------
        migrations.AlterField(
            model_name="ruleset",
            name="version",
            field=models.PositiveIntegerField(
                help_text="This row's number among its owner's (the defaults', or the clinic's)."
            ),
        ),
        migrations.AddField(
            model_name="ruleset",
            name="clinical_version",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="The version of CLINICAL.md's rule set these rules implement (diary.rules).",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(rules_v2, migrations.RunPython.noop),
        migrations.AddField(
            model_name="finding",
            name="pages_proceduralist",
            field=models.BooleanField(
                default=False, help_text="The proceduralist is paged with the on-call clinician."
            ),
        ),
        migrations.RunPython(emergencies_paged_the_proceduralist, migrations.RunPython.noop),
    ]
