"""What a reminder says, in the patient's language. Pure.

Nothing clinical ever goes in a message: push and SMS pass through Apple, Google and
phone carriers. A reminder names the check-in's time ("2 h after your block") and
carries the patient's link to the web check-in, never a symptom or a score. The English
wording with its link fits one GSM-7 SMS segment (160 characters).
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from diary import labels
from notifications.models import Purpose
from notifications.transports.base import Message

TITLE = "Pain diary"


def reminder_message(
    *,
    purpose: str,
    checkin_id: int,
    plan_version: int,
    label: str,
    address: str,
    platform: str,
    link: str,
    language: str = "en",
    closes_at=None,
) -> Message:
    with translation.override(language):
        label = labels.translated(label)
        if purpose == Purpose.REREMINDER:
            body = gettext("Reminder: your check-in (%(label)s) is still open.") % {"label": label}
        else:
            body = gettext("Time for your check-in: %(label)s.") % {"label": label}
        title = gettext(TITLE)
    return Message(
        address=address,
        title=title,
        body=body,
        url=link,
        # Same id for every try of this reminder: a resend replaces itself on the phone.
        collapse_id=f"checkin-{checkin_id}-{plan_version}-{purpose}",
        platform=platform,
        # A push still in transit when the check-in closes is dropped by the provider.
        extra={"expires_at": closes_at} if closes_at else {},
        # The app opens this check-in's screen; url is for a phone without the app.
        data={"kind": purpose, "checkin_id": str(checkin_id)},
    )


def start_link_message(*, clinic_name: str, address: str, link: str, language: str) -> Message:
    """The "start your diary" message staff send: the patient's link, no app needed."""
    with translation.override(language):
        body = gettext("%(clinic)s: your pain diary after your procedure. Open:") % {
            "clinic": clinic_name
        }
        title = gettext(TITLE)
    return Message(address=address, title=title, body=body, url=link, collapse_id="")


def alert_url(alert_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/dashboard/alerts/{alert_id}/"


def alert_page_message(*, alert, delivery) -> Message:
    """A page to staff: severity, clinic and a link; never the patient or the symptom."""
    severity = "Emergency" if alert.severity == "emergency" else "Urgent"
    url = alert_url(alert.pk)
    body = f"{severity} alert for a patient of {alert.clinic.name}: open the dashboard. {url}"
    if delivery.event == "reminded":  # paging.REMINDED
        body = (
            f"{severity} alert you acknowledged at {alert.clinic.name} is not resolved yet: "
            f"open the dashboard. {url}"
        )
    return Message(
        address=delivery.address,
        title=f"{TITLE}: {severity.lower()} alert",
        body=body,
        url=url,
        collapse_id=f"alert-{alert.pk}-{delivery.step}-{delivery.event}",
        platform=delivery.platform,
        data={"kind": Purpose.ALERT_PAGE, "alert_id": str(alert.pk)},
    )


def webhook_message(*, alert, delivery, secret: str) -> Message:
    """The paging system's JSON event, signed with the clinic's secret by the transport."""
    payload = {
        "event": f"alert.{delivery.event}",
        "alert": {
            "id": alert.pk,
            "severity": alert.severity,
            "rule": alert.rule,
            "state": alert.state,
            "escalation_step": delivery.step,
            "created_at": alert.created_at.isoformat(),
            "reported_late_seconds": alert.reported_late_seconds,
            "url": alert_url(alert.pk),
        },
        "clinic": alert.clinic.name,
    }
    return Message(
        address=delivery.address,
        title="",
        body="",
        url=alert_url(alert.pk),
        collapse_id=f"alert-{alert.pk}-{delivery.step}-{delivery.event}",
        extra={"payload": payload, "secret": secret},
    )
