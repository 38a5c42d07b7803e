""" "Has the clinic seen my report?": the state of the alert an entry raised, as the patient
is told it. Plain and calm, and never a staff member's name (CLINICAL.md v2, "What the
patient is told")."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

SENT, SEEN, DEALT_WITH = "sent", "seen", "dealt_with"
STATES = (SENT, SEEN, DEALT_WITH)


def clinic_status(alert: dict | None, *, language: str, zone: str) -> dict | None:
    """``{"state", "at", "message"}`` for an entry's alert (its outcome's), None without."""
    if alert is None:
        return None
    with translation.override(language):
        if alert["state"] == "resolved":
            return {
                "state": DEALT_WITH,
                "at": alert["resolved_at"],
                "message": _("Your clinic has dealt with your report."),
            }
        if alert["state"] == "acknowledged":
            seen = alert["acknowledged_at"]
            return {
                "state": SEEN,
                "at": seen,
                "message": _("Your clinic has seen your report (%(when)s).")
                % {"when": _when(seen, ZoneInfo(zone))},
            }
        return {
            "state": SENT,
            "at": None,
            "message": _("Your report has been sent to your clinic."),
        }


def _when(moment: datetime, zone: ZoneInfo) -> str:
    """14:02 today; 3 Dec 14:02 another day: in the patient's time zone and language."""
    local = moment.astimezone(zone)
    if local.date() == timezone.now().astimezone(zone).date():
        return local.strftime("%H:%M")
    return formats.date_format(local, "j M H:i")
