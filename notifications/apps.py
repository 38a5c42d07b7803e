from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Reminders and alerts: deliveries (the outbox), channel transports, Celery tasks."""

    name = "notifications"

    def ready(self):
        from backend import process_kind
        from notifications.config import warn_about_missing_channels, warn_about_short_leases

        # A channel without credentials is skipped, never a crash: say so once, at start, in
        # the processes that send (not in migrate, seeding, beat or each gunicorn worker).
        if process_kind.says_start_up_notices():
            warn_about_missing_channels()
            warn_about_short_leases()
        # Connects the beat process's heartbeat to Celery's beat_init signal.
        from notifications import heartbeat  # noqa: F401
