"""Who is paged for an alert at each escalation step, and the delivery rows that page them.

Step 0 pages the primary on call (and the proceduralist, for every emergency and for motor
block persisting beyond the window: ``Alert.pages_proceduralist``, set by triage); step 1 the
backup; step 2 every clinic admin; from step 3 on, all of them again at each interval.
With nobody on call, step 0 pages the clinic's admins and its fallback contact. A step
with nobody reachable falls back to the admins, then to the fallback contact, then to every
clinician of the clinic: an alert is never routed to nobody.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model

from diary.models import StaffMembership
from notifications import oncall
from notifications.leases import enqueue_lease
from notifications.models import Alert, AlertSettings, Channel, Delivery, Purpose
from notifications.reach import enabled_channels
from notifications.routing import Target

TRIGGERED, ESCALATED = "triggered", "escalated"
# "You acknowledged it and it is still open": to that person only, never to the webhook.
REMINDED = "reminded"
ACKNOWLEDGED, RESOLVED = "acknowledged", "resolved"
PAGING_EVENTS = (TRIGGERED, ESCALATED)


@dataclass(frozen=True)
class Page:
    """One recipient's address on one channel (staff_id None: the fallback contact)."""

    target: Target
    staff_id: int | None


# Who each step is for, in words for the alert page; kept beside ``recipients``, which
# decides it, so the two cannot drift apart.
STEP_ROLES = {0: "on call (primary)", 1: "backup", 2: "clinic admin"}
LATER_STEPS_ROLE = "everyone, again"


def step_role(step: int | None) -> str:
    if step is None:
        return ""
    return STEP_ROLES.get(step, LATER_STEPS_ROLE)


def recipients(alert: Alert, step: int, shifts: oncall.OnCall) -> list[int]:
    """The staff user ids to page at ``step``, in the order above."""
    primary = [u.pk for u in shifts.primary]
    backup = [u.pk for u in shifts.backup]
    admins = _staff_ids(alert.clinic_id, is_admin=True)
    if step == 0:
        chosen = list(primary)
        if alert.pages_proceduralist and alert.procedure.proceduralist_id:
            chosen.append(alert.procedure.proceduralist_id)
        if not primary:
            chosen += admins
    elif step == 1:
        chosen = backup or admins
    elif step == 2:
        chosen = admins
    else:
        chosen = primary + backup + admins
    return list(dict.fromkeys(chosen))  # each once, order kept


def _staff_ids(clinic_id: int, **role) -> list[int]:
    members = StaffMembership.objects.filter(clinic_id=clinic_id, **role).order_by("user_id")
    return list(members.values_list("user_id", flat=True))


def _fallback_contact(alerting: AlertSettings) -> list[Page]:
    enabled = enabled_channels()
    pages = []
    if alerting.fallback_phone and Channel.SMS in enabled:
        pages.append(Page(Target(Channel.SMS, alerting.fallback_phone), None))
    if alerting.fallback_email and Channel.EMAIL in enabled:
        pages.append(Page(Target(Channel.EMAIL, alerting.fallback_email), None))
    return pages


def fallback_contact(alerting: AlertSettings) -> list[Page]:
    """The clinic's fallback contact, on each channel that can reach it (may be empty)."""
    return _fallback_contact(alerting)


def pages_for_step(alert: Alert, step: int, now: datetime, alerting: AlertSettings) -> list[Page]:
    """Every address to page at ``step``; never empty while anyone can be reached."""
    shifts = oncall.on_call(alert.clinic_id, now)
    pages = _pages_of(recipients(alert, step, shifts))
    if step == 0 and not shifts.primary:
        # Nobody on call: the admins are paged (recipients), and the fallback contact too.
        pages += _fallback_contact(alerting)
    if not pages:
        pages = _pages_of(_staff_ids(alert.clinic_id, is_admin=True)) or _fallback_contact(alerting)
    if not pages:
        pages = _pages_of(_staff_ids(alert.clinic_id, is_clinician=True))
    return pages


def _pages_of(user_ids: list[int]) -> list[Page]:
    users = get_user_model().objects.filter(pk__in=user_ids).select_related("membership")
    addresses = oncall.staff_addresses(users)
    return [Page(target, user_id) for user_id in user_ids for target in addresses.get(user_id, [])]


def staff_deliveries(alert: Alert, event: str, user_id: int, now) -> list:
    """Unsaved delivery rows to one staff member, on each of their working channels."""
    step = alert.escalation_step
    return [
        _delivery(alert, event, step, p.target, now, staff_id=p.staff_id)
        for p in _pages_of([user_id])
    ]


def page_deliveries(
    alert: Alert, event: str, step: int, pages: list[Page], now, alerting, *, raised=False
):
    """Unsaved delivery rows: one per page, plus the clinic's webhook when it has one, and
    its PagerDuty service when the alert is new or ``raised`` by a worse finding.

    Why PagerDuty hears of no escalation step: it escalates an unacknowledged incident by
    the service's own policy, and a second trigger with the same dedup key would only add a
    line to the incident's log. A raise does send one, for the new severity in that log.
    """
    rows = [
        _delivery(alert, event, step, page.target, now, staff_id=page.staff_id) for page in pages
    ]
    rows += webhook_deliveries(alert, event, step, now, alerting)
    if event == TRIGGERED or raised:
        rows += pagerduty_deliveries(alert, event, step, now, alerting)
    return rows


def event_deliveries(alert, event: str, step: int, now, alerting: AlertSettings):
    """Unsaved delivery rows telling the clinic's paging systems (its webhook, its PagerDuty
    service) that the alert was acknowledged or resolved."""
    return webhook_deliveries(alert, event, step, now, alerting) + pagerduty_deliveries(
        alert, event, step, now, alerting
    )


def webhook_deliveries(alert, event: str, step: int, now, alerting: AlertSettings):
    if not alerting.webhook_url:
        return []
    target = Target(Channel.WEBHOOK, alerting.webhook_url)
    return [_delivery(alert, event, step, target, now, purpose=Purpose.ALERT_WEBHOOK)]


def pagerduty_deliveries(alert, event: str, step: int, now, alerting: AlertSettings):
    """The event for the clinic's PagerDuty service, when it set a routing key. The key is
    read again at send time (a changed key gets every event sent after the change), so the
    row keeps only its last four characters, as every log line would."""
    key = alerting.pagerduty_routing_key
    if not key:
        return []
    target = Target(Channel.PAGERDUTY, f"…{key[-4:]}")
    return [_delivery(alert, event, step, target, now, purpose=Purpose.ALERT_PAGERDUTY)]


def _delivery(alert, event, step, target: Target, now, *, staff_id=None, purpose=None):
    return Delivery(
        patient_id=alert.patient_id,
        alert=alert,
        event=event,
        step=step,
        staff_id=staff_id,
        purpose=purpose or Purpose.ALERT_PAGE,
        channel=target.channel,
        platform=target.platform,
        address=target.address,
        next_attempt_at=now,
        lease_until=enqueue_lease(now, page=True),
    )
