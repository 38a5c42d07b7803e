from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Alerts, on-call shifts, deliveries and channel transports (built on top of diary)."""

    name = "notifications"
