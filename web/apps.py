from django.apps import AppConfig


class WebConfig(AppConfig):
    """The pages people use: the patient's web check-in (and, next, the staff dashboard).
    Forms validate, call one service, render; no rules live here."""

    name = "web"
