from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Reminders and alerts: deliveries (the outbox), channel transports, Celery tasks."""

    name = "notifications"

    def ready(self):
        from notifications.config import warn_about_missing_channels, warn_about_short_leases

        # A channel without credentials is skipped, never a crash: say so once, at start.
        warn_about_missing_channels()
        warn_about_short_leases()
        # Connects the beat process's heartbeat to Celery's beat_init signal.
        from notifications import heartbeat  # noqa: F401
