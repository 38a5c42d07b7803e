"""Who is paged for an alert at each escalation step, and the delivery rows that page them.

Step 0 pages the primary on call (and, for an emergency, the proceduralist); step 1 the
backup; step 2 every clinic admin; from step 3 on, all of them again at each interval.
With nobody on call, step 0 pages the clinic's admins and its fallback contact. A step
with nobody reachable falls back to the admins, then to the fallback contact, then to every
clinician of the clinic: an alert is never routed to nobody.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model

from diary.models import StaffMembership
from notifications import oncall
from notifications.models import Alert, AlertSettings, Channel, Delivery, Purpose, StaffDevice
from notifications.reach import enabled_channels
from notifications.routing import Target
from notifications.transports import get_transport

TRIGGERED, ESCALATED = "triggered", "escalated"
ACKNOWLEDGED, RESOLVED = "acknowledged", "resolved"
PAGING_EVENTS = (TRIGGERED, ESCALATED)


@dataclass(frozen=True)
class Page:
    """One recipient's address on one channel (staff_id None: the fallback contact)."""

    target: Target
    staff_id: int | None


def recipients(alert: Alert, step: int, now: datetime) -> list[int]:
    """The staff user ids to page at ``step``, in the order above."""
    shifts = oncall.on_call(alert.clinic_id, now)
    primary = [u.pk for u in shifts.primary]
    backup = [u.pk for u in shifts.backup]
    admins = _admins(alert.clinic_id)
    if step == 0:
        chosen = list(primary)
        if alert.severity == "emergency" and alert.procedure.proceduralist_id:
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


def _admins(clinic_id: int) -> list[int]:
    return list(
        StaffMembership.objects.filter(clinic_id=clinic_id, is_admin=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _clinicians(clinic_id: int) -> list[int]:
    return list(
        StaffMembership.objects.filter(clinic_id=clinic_id, is_clinician=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def staff_targets(user_ids) -> dict[int, list[Target]]:
    """Every working address of each staff member: devices, phone, e-mail (3 queries)."""
    user_ids = list(user_ids)
    enabled = enabled_channels()
    found: dict[int, list[Target]] = defaultdict(list)
    if Channel.PUSH in enabled:
        push = get_transport("push")
        for device in StaffDevice.objects.filter(user_id__in=user_ids, disabled_at__isnull=True):
            if push.is_configured(device.platform):
                found[device.user_id].append(
                    Target(Channel.PUSH, device.token, device.platform, device.pk)
                )
    phones = dict(
        StaffMembership.objects.filter(user_id__in=user_ids).values_list("user_id", "phone")
    )
    emails = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "email"))
    for user_id in user_ids:
        if Channel.SMS in enabled and phones.get(user_id):
            found[user_id].append(Target(Channel.SMS, phones[user_id]))
        if Channel.EMAIL in enabled and emails.get(user_id):
            found[user_id].append(Target(Channel.EMAIL, emails[user_id]))
    return found


def _fallback_contact(alerting: AlertSettings | None) -> list[Page]:
    if alerting is None:
        return []
    enabled = enabled_channels()
    pages = []
    if alerting.fallback_phone and Channel.SMS in enabled:
        pages.append(Page(Target(Channel.SMS, alerting.fallback_phone), None))
    if alerting.fallback_email and Channel.EMAIL in enabled:
        pages.append(Page(Target(Channel.EMAIL, alerting.fallback_email), None))
    return pages


def pages_for_step(alert: Alert, step: int, now: datetime) -> list[Page]:
    """Every address to page at ``step``; never empty while anyone can be reached."""
    alerting = AlertSettings.objects.filter(clinic_id=alert.clinic_id).first()
    user_ids = recipients(alert, step, now)
    pages = _pages_of(user_ids)
    if step == 0 and not oncall.on_call(alert.clinic_id, now).primary:
        # Nobody on call: the admins are paged (recipients), and the fallback contact too.
        pages += _fallback_contact(alerting)
    if not pages:
        pages = _pages_of(_admins(alert.clinic_id)) or _fallback_contact(alerting)
    if not pages:
        pages = _pages_of(_clinicians(alert.clinic_id))
    return pages


def _pages_of(user_ids: list[int]) -> list[Page]:
    targets = staff_targets(user_ids)
    return [Page(target, user_id) for user_id in user_ids for target in targets.get(user_id, [])]


def page_deliveries(alert: Alert, event: str, step: int, pages: list[Page], now: datetime):
    """Unsaved delivery rows: one per page, plus the clinic's webhook when it has one."""
    rows = [
        _delivery(alert, event, step, page.target, now, staff_id=page.staff_id) for page in pages
    ]
    return rows + webhook_deliveries(alert, event, step, now)


def webhook_deliveries(alert: Alert, event: str, step: int, now: datetime) -> list[Delivery]:
    alerting = AlertSettings.objects.filter(clinic_id=alert.clinic_id).first()
    if alerting is None or not alerting.webhook_url:
        return []
    target = Target(Channel.WEBHOOK, alerting.webhook_url)
    return [_delivery(alert, event, step, target, now, purpose=Purpose.ALERT_WEBHOOK)]


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
        lease_until=now + timedelta(seconds=settings.DELIVERY_ENQUEUE_LEASE_SECONDS),
    )
