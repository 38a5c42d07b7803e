"""Who was paged for an alert, in words a nurse reads ("Paged Nia, primary, by SMS at 02:13:
delivered"), never "step 0" or a delivery status code."""

from dataclasses import dataclass, replace
from datetime import datetime

from notifications.models import Alert, Channel, Delivery, DeliveryStatus, Purpose
from notifications.oncall import display_name
from notifications.paging import PAGING_EVENTS, step_role

CHANNEL_WORDS = {
    Channel.SMS: "by SMS",
    Channel.EMAIL: "by e-mail",
    Channel.PUSH: "by push to their phone",
    Channel.WEBHOOK: "through the paging system",
    Channel.PAGERDUTY: "through PagerDuty",
}
OUTCOME_WORDS = {
    DeliveryStatus.PENDING: "waiting to be sent",
    DeliveryStatus.SENDING: "being sent",
    DeliveryStatus.SENT: "sent (the provider took it)",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.CANCELLED: "not sent (no longer needed)",
}


@dataclass(frozen=True)
class PageLine:
    at: datetime
    words: str
    outcome: str
    failed: bool
    # What the clinic's webhook last answered: for clinic admins only (see ``paged``).
    answer: str = ""


def paged(alert: Alert, *, webhook_answers: bool = False) -> list[PageLine]:
    """Every page and webhook event of the alert, oldest first: one query (two with
    ``webhook_answers``, for a clinic admin: the webhook's answer is text from a host the
    clinic named, kept for the admin who can change the URL, not for every reader)."""
    deliveries = (
        Delivery.objects.filter(alert=alert).select_related("staff").order_by("created_at", "id")
    )
    if webhook_answers:
        deliveries = deliveries.prefetch_related("attempts_log")
    proceduralist = alert.procedure.proceduralist_id if alert.pages_proceduralist else None
    lines = [_line(d, proceduralist) for d in deliveries]
    if webhook_answers:
        lines = [
            replace(line, answer=_last_answer(d)) if d.channel == Channel.WEBHOOK else line
            for line, d in zip(lines, deliveries, strict=True)
        ]
    return lines


def _last_answer(delivery: Delivery) -> str:
    attempts = list(delivery.attempts_log.all())
    return attempts[-1].provider_response if attempts else ""


def _line(delivery: Delivery, proceduralist: int | None) -> PageLine:
    how = CHANNEL_WORDS.get(delivery.channel, delivery.channel)
    if delivery.purpose == Purpose.ALERT_WEBHOOK:
        words = f"Told the clinic's paging system ({delivery.event})"
    elif delivery.purpose == Purpose.ALERT_PAGERDUTY:
        words = f"Told the clinic's PagerDuty service ({delivery.event})"
    elif delivery.staff is not None:
        role = step_role(delivery.step)
        if delivery.step == 0 and delivery.staff_id == proceduralist:
            role = "the proceduralist"
        verb = "Paged" if delivery.event in PAGING_EVENTS else "Told"
        words = f"{verb} {display_name(delivery.staff)}, {role}, {how}"
    else:
        words = f"Paged the clinic's fallback contact {how} ({delivery.address})"
    outcome = OUTCOME_WORDS.get(delivery.status, delivery.status)
    if delivery.status == DeliveryStatus.FAILED and delivery.last_error:
        outcome = f"failed: {delivery.last_error}"
    return PageLine(
        at=delivery.created_at,
        words=words,
        outcome=outcome,
        failed=delivery.status == DeliveryStatus.FAILED,
    )
