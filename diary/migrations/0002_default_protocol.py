"""Seed the default diary protocol of CLINICAL.md (editable afterwards in the admin)."""

from django.db import migrations


def seed(apps, schema_editor):
    from diary.services import install_default_protocol

    install_default_protocol(
        apps.get_model("diary", "Protocol"), apps.get_model("diary", "ProtocolStep")
    )


class Migration(migrations.Migration):
    dependencies = [("diary", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
