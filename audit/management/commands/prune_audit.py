"""Delete audit rows older than AUDIT_RETENTION_DAYS; the pruning itself leaves a row."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from audit.log import record
from audit.models import Action, AuditEvent


class Command(BaseCommand):
    help = "Delete audit rows past the retention (AUDIT_RETENTION_DAYS); records that it did."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Override the retention.")

    def handle(self, *args, days=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        if days < 1:
            self.stderr.write("--days must be at least 1.")
            raise SystemExit(2)
        cutoff = timezone.now() - timedelta(days=days)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL audit.prune = 'on'")
            old = AuditEvent.objects.filter(at__lt=cutoff)
            # Past the queryset's refusal on purpose: this command is the one way to delete.
            query = DeleteQuery(AuditEvent)
            deleted = query.delete_batch(list(old.values_list("id", flat=True)), "default")
            record(
                Action.PRUNE,
                "auditevent",
                changes={"deleted": deleted, "older_than": cutoff, "retention_days": days},
            )
        self.stdout.write(f"Deleted {deleted} audit rows older than {cutoff:%Y-%m-%d}.")
