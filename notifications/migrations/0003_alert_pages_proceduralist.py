"""Alerts record whether the block's proceduralist is paged (CLINICAL.md v2 routing): every
emergency did before, and now persistent motor block beyond the window does too."""

from django.db import migrations, models


def emergencies_paged_the_proceduralist(apps, schema_editor):
    Alert = apps.get_model("notifications", "Alert")
    Alert.objects.filter(severity="emergency").update(pages_proceduralist=True)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_alerts")]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="pages_proceduralist",
            field=models.BooleanField(
                default=False,
                help_text="The block's proceduralist is paged with the on-call clinician (its findings).",
            ),
        ),
        migrations.RunPython(emergencies_paged_the_proceduralist, migrations.RunPython.noop),
    ]
