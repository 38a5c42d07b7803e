"""Whom an alert pages when nobody is on call: the clinic admins and the fallback contact,
then the clinicians; and an alert nobody can be paged for says so in its log.

Ana reports from her phone (the real API); pages go to a real local SMTP server; Celery is
driven by hand (``beat``, ``worker`` from conftest).
"""

from notifications.models import Alert, AlertEventKind, AlertSettings, AlertState
from tests.notifications.conftest import paged


def test_with_nobody_on_call_the_clinic_admins_and_the_fallback_contact_are_paged(
    smtp_settings, clean_channel_env, north, mara, block, report, worker, smtp_server
):
    AlertSettings.objects.create(clinic=north, fallback_email="duty@north.example.org")
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["duty@north.example.org", "mara@north.example.org"]


def test_with_nobody_on_call_and_no_admin_only_the_fallback_contact_is_paged(
    smtp_settings, clean_channel_env, north, block, report, worker, smtp_server
):
    AlertSettings.objects.create(clinic=north, fallback_email="duty@north.example.org")
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["duty@north.example.org"]


def test_with_nobody_on_call_no_admin_and_no_fallback_the_clinicians_are_paged(
    smtp_settings, clean_channel_env, dr_cole, block, report, worker, smtp_server
):
    dr_cole.email = "cole@north.example.org"
    dr_cole.save(update_fields=["email"])
    report(block, 5, numbness="right_leg")
    worker()
    assert paged(smtp_server) == ["cole@north.example.org"]


def test_an_alert_nobody_can_be_paged_for_says_so_in_its_log(
    clean_channel_env, settings, block, report
):
    settings.EMAIL_HOST = ""  # no channel works at all
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    report(block, 5, numbness="right_leg")
    alert = Alert.objects.get()
    assert alert.events.filter(kind=AlertEventKind.NO_RECIPIENT).exists()
    assert alert.state == AlertState.OPEN  # still escalates, and shows on the board
