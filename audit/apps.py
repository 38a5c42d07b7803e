from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        # Sign-ins are Django's and django-axes' own events: the auth signals are the only
        # place every login door (dashboard, admin, API token) passes through.
        from audit import signals  # noqa: F401
