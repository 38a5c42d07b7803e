from django.apps import AppConfig


class ExportsConfig(AppConfig):
    # Read-side only (no models): records that leave the system. An app of its own because
    # they read both diary and notifications (alerts), which diary must not import.
    name = "exports"
    verbose_name = "Exports"
