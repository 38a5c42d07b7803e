"""One account per e-mail address, whatever its case, in the database itself.

Why here and as SQL: the account is Django's own ``auth.User`` (no custom user model), so no
model of ours can declare the constraint, and a migration of another app cannot add one to
``auth``'s model state. A unique index on ``LOWER(email)`` is the same thing to PostgreSQL and
SQLite; blank e-mails (users made by ``createsuperuser`` or ``create_clinic``) stay allowed.
An invited colleague is an account without a password, so this also means one pending
invitation per address: two admins inviting the same nurse at once get one account and one
clear error (``diary.services.staff``), never two accounts that one inbox could take over.
"""

from django.db import migrations

INDEX = "auth_user_email_ci_unique"


def refuse_duplicates(apps, schema_editor):
    """Stop with the addresses to fix, rather than the database's bare unique violation."""
    from django.db.models import Count
    from django.db.models.functions import Lower

    User = apps.get_model("auth", "User")
    duplicates = (
        User.objects.exclude(email="")
        .values(address=Lower("email"))
        .annotate(accounts=Count("id"))
        .filter(accounts__gt=1)
        .values_list("address", flat=True)
    )
    if duplicates:
        raise RuntimeError(
            "These e-mail addresses have more than one account; give each account its own "
            f"address (or clear it) and migrate again: {', '.join(sorted(duplicates))}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("diary", "0009_token_last_used"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(email)) WHERE email <> ''",
            f"DROP INDEX {INDEX}",
        ),
    ]
