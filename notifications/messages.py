"""What a reminder says, in the patient's language. Pure.

Nothing clinical ever goes in a message: push and SMS pass through Apple, Google and
phone carriers. A reminder names the check-in's time ("2 h after your block") and
carries the patient's link to the web check-in, never a symptom or a score. The English
wording with its link fits one GSM-7 SMS segment (160 characters).
"""

from urllib.parse import urlsplit

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


def webhook_message(*, alert, delivery, secret: str, include_rule: bool = True) -> Message:
    """The paging system's JSON event, signed with the clinic's secret by the transport.

    ``include_rule`` off leaves out "rule": the rule's code ("saddle_numbness") says what the
    patient reported, which a clinic may not want in a paging system outside its records.
    The transport signs the body as sent, so the signature covers it either way.
    """
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
    if not include_rule:
        del payload["alert"]["rule"]
    return Message(
        address=delivery.address,
        title="",
        body="",
        url=alert_url(alert.pk),
        collapse_id=f"alert-{alert.pk}-{delivery.step}-{delivery.event}",
        extra={"payload": payload, "secret": secret},
    )


# Our alert events (paging.TRIGGERED, …) as PagerDuty's event actions. An escalated event
# reaches PagerDuty only for an alert raised by a worse finding (paging.py): a step of our
# escalation is not sent, PagerDuty escalates by its own policy.
PAGERDUTY_ACTIONS = {
    "triggered": "trigger",
    "escalated": "trigger",
    "acknowledged": "acknowledge",
    "resolved": "resolve",
}
PAGERDUTY_SEVERITIES = {"emergency": "critical", "urgent": "error"}


def pagerduty_dedup_key(alert_id: int) -> str:
    """One incident per alert at PagerDuty: every event of the alert names it."""
    return f"alert-{alert_id}"


def pagerduty_message(*, alert, delivery, routing_key: str) -> Message:
    """An Events API v2 event for the clinic's PagerDuty service.

    https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
    A trigger says what a page says (severity, clinic, link) and nothing of the patient: no
    name, number, symptom or rule, as PagerDuty is outside the clinic's records. Acknowledge
    and resolve carry only the routing and dedup keys, which is all PagerDuty reads of them.
    """
    url = alert_url(alert.pk)
    action = PAGERDUTY_ACTIONS[delivery.event]
    event = {
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": pagerduty_dedup_key(alert.pk),
    }
    if action == "trigger":
        severity = "Emergency" if alert.severity == "emergency" else "Urgent"
        event["payload"] = {
            "summary": f"{severity} alert for a patient of {alert.clinic.name}: "
            f"open the dashboard. {url}",
            "source": urlsplit(settings.SITE_URL).hostname or "pain-diary",
            "severity": PAGERDUTY_SEVERITIES[alert.severity],
            "timestamp": alert.created_at.isoformat(),
            "component": "pain-diary",
            "custom_details": {
                "alert_id": alert.pk,
                "escalation_step": delivery.step,
                "url": url,
            },
        }
        event["links"] = [{"href": url, "text": "Open the alert on the dashboard"}]
        event["client"] = TITLE
        event["client_url"] = url
    return Message(
        address=delivery.address,
        title="",
        body="",
        url=url,
        collapse_id=f"alert-{alert.pk}-{delivery.step}-{delivery.event}",
        extra={"event": event},
    )
