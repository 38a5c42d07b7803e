"""Clinician alerts, as verbs: raise from findings, escalate, acknowledge, resolve.

An alert is written in the same transaction as the entry (or missed check-in) that raised
it, with its pages as delivery rows (the outbox); the broker hears of them after commit.
Escalation is data: ``next_escalation_at``, polled by beat. Acknowledging cancels every
page not yet sent, and a send task re-checks the alert's state before sending, so nothing
pages after an acknowledgement.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from diary.models import Finding, Procedure
from diary.services import DiaryError
from diary.triage import SEVERITY_ORDER
from notifications import health, paging
from notifications.clinic_settings import alert_settings_of
from notifications.models import (
    Alert,
    AlertEvent,
    AlertEventKind,
    AlertSettings,
    AlertState,
    AttemptReceipt,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
)
from notifications.services import enqueue

log = logging.getLogger(__name__)

ALERTING_SEVERITIES = ("urgent", "emergency")
ESCALATE_BATCH = 100


@dataclass(frozen=True)
class RaisedAlert:
    id: int
    severity: str
    state: str = AlertState.OPEN  # a live alert joined may have been acknowledged already
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None


# --- Raising -------------------------------------------------------------------------------


def handle_findings(procedure: Procedure, findings: list[Finding]) -> RaisedAlert | None:
    """Turn urgent and emergency findings into alerts (joining live ones); returns the most
    severe alert now live for them. Call inside the transaction that stored the findings."""
    alerting = [f for f in findings if f.severity in ALERTING_SEVERITIES]
    if not alerting:
        return None
    now = timezone.now()
    deliveries, raised = [], []
    for finding in alerting:
        alert, rows = _raise(procedure, finding, now)
        deliveries += rows
        raised.append(alert)
    saved = Delivery.objects.bulk_create(deliveries)
    transaction.on_commit(partial(enqueue, saved))
    top = max(raised, key=lambda a: SEVERITY_ORDER[a.severity])
    return RaisedAlert(top.pk, top.severity, top.state, top.acknowledged_at, top.resolved_at)


def _raise(procedure: Procedure, finding: Finding, now: datetime):
    clinic_id = procedure.patient.clinic_id
    alerting = alert_settings_of(clinic_id)
    live = (
        Alert.objects.select_for_update()
        .filter(procedure=procedure, rule=finding.rule, state__in=_LIVE)
        .first()
    )
    if live is None:
        alert = Alert.objects.create(
            clinic_id=clinic_id,
            patient_id=procedure.patient_id,
            procedure=procedure,
            rule=finding.rule,
            severity=finding.severity,
            priority=finding.priority,
            reason=finding.reason,
            pages_proceduralist=finding.pages_proceduralist,
            reported_late_seconds=reported_late(finding),
            next_escalation_at=now + escalation_delay(alerting, finding),
        )
        _event(alert, AlertEventKind.TRIGGERED, now, finding=finding, detail=finding.reason)
        return alert, _page(alert, paging.TRIGGERED, 0, now, alerting)
    if not _rises(live, finding):
        _event(live, AlertEventKind.REPEATED, now, finding=finding, detail=finding.reason)
        return live, []
    # Worse than when it was raised (or acknowledged): page again, as a new step.
    live.severity, live.priority, live.reason = finding.severity, finding.priority, finding.reason
    live.pages_proceduralist = live.pages_proceduralist or finding.pages_proceduralist
    live.reported_late_seconds = reported_late(finding)
    live.state = AlertState.OPEN
    live.escalation_step += 1
    live.next_escalation_at = now + escalation_delay(alerting, finding)
    live.save()
    _event(live, AlertEventKind.RAISED, now, finding=finding, detail=finding.reason)
    step = live.escalation_step
    return live, _page(live, paging.ESCALATED, step, now, alerting, raised=True)


_LIVE = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


def reported_late(finding: Finding) -> int | None:
    """Seconds between the finding's entry being recorded and reaching the clinic, when
    more than ``LATE_ENTRY_SECONDS`` (a phone that kept it offline): the nurse must know
    that the symptom is older than the page. None otherwise, and for a missed check-in."""
    entry = finding.entry
    if entry is None:
        return None
    late = int((entry.received_at - entry.recorded_at).total_seconds())
    return late if late > settings.LATE_ENTRY_SECONDS else None


def _rises(alert: Alert, finding: Finding) -> bool:
    if SEVERITY_ORDER[finding.severity] != SEVERITY_ORDER[alert.severity]:
        return SEVERITY_ORDER[finding.severity] > SEVERITY_ORDER[alert.severity]
    return finding.priority == "high" and alert.priority != "high"


def escalation_delay(alerting: AlertSettings, finding_or_alert) -> timedelta:
    """The clinic's delay for the severity; an urgent "never normal" one uses the emergency
    delay (CLINICAL.md: urgent, escalated)."""
    fast = finding_or_alert.severity == "emergency" or finding_or_alert.priority == "high"
    seconds = alerting.emergency_delay_seconds if fast else alerting.urgent_delay_seconds
    return timedelta(seconds=seconds)


def _page(alert, event: str, step: int, now, alerting: AlertSettings, *, raised=False):
    """The step's pages; an alert ``raised`` by a worse finding pages step 0's people again."""
    pages = paging.pages_for_step(alert, 0 if raised else step, now, alerting)
    if pages:
        names = sorted({str(p.staff_id or "fallback contact") for p in pages})
        _event(alert, AlertEventKind.PAGED, now, detail=f"step {step}: staff {', '.join(names)}")
    else:
        log.error("alert %s: nobody can be paged at step %s", alert.pk, step)
        _event(alert, AlertEventKind.NO_RECIPIENT, now, detail=f"step {step}: nobody reachable")
    return paging.page_deliveries(alert, event, step, pages, now, alerting, raised=raised)


def _page_last_time(alert, now, alerting: AlertSettings):
    """The end of escalation: the fallback contact once more (everyone of the later steps
    when the clinic has none), and no step after it."""
    step = alert.escalation_step
    pages = paging.fallback_contact(alerting) or paging.pages_for_step(alert, step, now, alerting)
    _event(
        alert,
        AlertEventKind.ESCALATED,
        now,
        detail=f"to step {step}, the last: {alerting.max_escalation_steps} steps paged, "
        "the fallback contact paged once more; escalation stops",
    )
    if not pages:
        _event(alert, AlertEventKind.NO_RECIPIENT, now, detail=f"step {step}: nobody reachable")
    return paging.page_deliveries(alert, paging.ESCALATED, step, pages, now, alerting)


def _event(alert, kind, at, *, actor=None, finding=None, detail=""):
    AlertEvent.objects.create(
        alert=alert, kind=kind, at=at, actor=actor, finding=finding, detail=detail[:500]
    )


# --- Escalation (beat) ---------------------------------------------------------------------


def escalate_due_alerts(now: datetime | None = None) -> int:
    """Page the next step of every open alert whose escalation time has passed.

    Claimed like check-ins: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional update
    on the step elsewhere, so two beats (or a beat and an auditor) never page a step twice.
    Also the auditor: an escalation missed while beat was down is simply overdue, and is
    taken at the next tick.
    """
    now = now or timezone.now()
    # One read of each clinic's settings per run, however many of its alerts escalate.
    settings_of = functools.cache(alert_settings_of)
    total = 0
    while True:
        with transaction.atomic():
            alerts = _claim_due(now, settings_of)
            rows = []
            for alert in alerts:
                rows += _escalation_pages(alert, now, settings_of(alert.clinic_id))
            saved = Delivery.objects.bulk_create(rows)
            transaction.on_commit(partial(enqueue, saved))
        total += len(alerts)
        if len(alerts) < ESCALATE_BATCH:
            return total


def _escalation_pages(alert: Alert, now: datetime, alerting: AlertSettings, why: str = ""):
    """The unsaved pages of the step an alert was just moved to (``_take_next_step``)."""
    if alert.next_escalation_at is None:  # past the clinic's last step
        return _page_last_time(alert, now, alerting)
    detail = f"to step {alert.escalation_step}" + (f": {why}" if why else "")
    _event(alert, AlertEventKind.ESCALATED, now, detail=detail)
    return _page(alert, paging.ESCALATED, alert.escalation_step, now, alerting)


def _take_next_step(alert: Alert, now: datetime, alerting: AlertSettings) -> bool:
    """Move an open alert to its next step, if nobody else did first (a conditional update
    on the step: of two beats, or a beat and a receipt, one wins)."""
    step = alert.escalation_step + 1
    # The step past the cap is the last: nothing is due after it.
    last = step > alerting.max_escalation_steps
    next_at = None if last else now + escalation_delay(alerting, alert)
    won = Alert.objects.filter(
        pk=alert.pk, state=AlertState.OPEN, escalation_step=alert.escalation_step
    ).update(escalation_step=step, next_escalation_at=next_at, updated_at=now)
    if won == 1:
        alert.escalation_step, alert.next_escalation_at = step, next_at
    return won == 1


def escalate_undelivered_page(page: Delivery, now: datetime | None = None) -> bool:
    """A page came back undelivered (a Twilio receipt, a bounce): page the next step now
    rather than at its time. Whether it did.

    Once per step, however many of its pages fail: the first moves the alert on, and a
    page of an earlier step finds the alert past it. Not when the alert is acknowledged,
    past its last step, or when another page of the step is known to have arrived (its
    receipt says delivered): that person has it, and the usual delay applies. Call in the
    transaction that recorded the receipt; Twilio's retries of one callback are ignored
    before this (the attempt already has its receipt).
    """
    if page.event not in paging.PAGING_EVENTS or page.purpose != Purpose.ALERT_PAGE:
        return False
    now = now or timezone.now()
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("clinic", "procedure")
        .get(pk=page.alert_id)
    )
    if (
        alert.state != AlertState.OPEN
        or alert.escalation_step != page.step
        or alert.next_escalation_at is None
    ):
        return False
    arrived = DeliveryAttempt.objects.filter(
        delivery__alert=alert,
        delivery__step=page.step,
        delivery__event__in=paging.PAGING_EVENTS,
        receipt=AttemptReceipt.DELIVERED,
    )
    if arrived.exists():
        return False
    alerting = alert_settings_of(alert.clinic_id)
    if not _take_next_step(alert, now, alerting):
        return False
    why = f"a page of step {page.step} by {page.channel} was not delivered"
    saved = Delivery.objects.bulk_create(_escalation_pages(alert, now, alerting, why))
    transaction.on_commit(partial(enqueue, saved))
    return True


def _claim_due(now: datetime, settings_of) -> list[Alert]:
    due = (
        Alert.objects.filter(state=AlertState.OPEN, next_escalation_at__lte=now)
        .select_related("clinic", "procedure")
        .order_by("next_escalation_at")
    )
    if connection.features.has_select_for_update_skip_locked:
        candidates = list(due.select_for_update(skip_locked=True, of=("self",))[:ESCALATE_BATCH])
    else:
        candidates = list(due[:ESCALATE_BATCH])
    claimed = []
    late = now - health.grace()
    for alert in candidates:
        if alert.next_escalation_at < late:
            # Beat or the workers were down: this step is late. Paged now all the same, and
            # said loudly, because someone should look at why.
            log.warning(
                "alert %s: escalation overdue since %s, restarted",
                alert.pk,
                alert.next_escalation_at.isoformat(),
            )
        if _take_next_step(alert, now, settings_of(alert.clinic_id)):
            claimed.append(alert)
    return claimed


# --- Staff actions ---------------------------------------------------------------------


@transaction.atomic
def acknowledge_alert(alert: Alert, user) -> Alert:
    """Someone has it: stop escalating and cancel every page not yet sent. Harmless twice."""
    alert = Alert.objects.select_for_update().select_related("clinic").get(pk=alert.pk)
    if alert.state != AlertState.OPEN:
        return alert
    now = timezone.now()
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at, alert.acknowledged_by = now, user
    alert.next_escalation_at = None
    alert.save()
    _stop_paging(alert)
    _event(alert, AlertEventKind.ACKNOWLEDGED, now, actor=user)
    _notify_paging_systems(alert, paging.ACKNOWLEDGED, now)
    return alert


# The resolution note is the clinical record of what was done: refused when too long,
# never cut, so no caller (API or dashboard form) loses the end of it silently.
NOTE_MAX_LENGTH = 2000


@transaction.atomic
def resolve_alert(alert: Alert, user, note: str) -> Alert:
    """Close the alert with what was done; an open alert is acknowledged by this too."""
    note = (note or "").strip()
    if not note:
        raise DiaryError("note", "Say how the alert was resolved (required).")
    if "\x00" in note:  # PostgreSQL text cannot hold one: a 500 at the save otherwise
        raise DiaryError("note", "The note cannot contain a NUL character.")
    if len(note) > NOTE_MAX_LENGTH:
        raise DiaryError(
            "note", f"The note can be at most {NOTE_MAX_LENGTH} characters (it has {len(note)})."
        )
    alert = Alert.objects.select_for_update().select_related("clinic").get(pk=alert.pk)
    if alert.state == AlertState.RESOLVED:
        return alert
    now = timezone.now()
    unacknowledged = alert.acknowledged_at is None
    if unacknowledged:
        alert.acknowledged_at, alert.acknowledged_by = now, user
    alert.state = AlertState.RESOLVED
    alert.resolved_at, alert.resolved_by, alert.resolution_note = now, user, note
    alert.next_escalation_at = None
    alert.save()
    _stop_paging(alert)
    # A reminder that it is still unresolved, not yet sent, has nothing left to say.
    Delivery.objects.filter(
        alert=alert, event=paging.REMINDED, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, lease_until=None)
    if unacknowledged:  # the record says both: someone took it, and closed it
        _event(alert, AlertEventKind.ACKNOWLEDGED, now, actor=user, detail="on resolving")
    _event(alert, AlertEventKind.RESOLVED, now, actor=user, detail=note)
    _notify_paging_systems(alert, paging.RESOLVED, now)
    return alert


def _stop_paging(alert: Alert) -> None:
    Delivery.objects.filter(
        alert=alert, event__in=paging.PAGING_EVENTS, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, lease_until=None)


def _notify_paging_systems(alert: Alert, event: str, now: datetime) -> None:
    alerting = alert_settings_of(alert.clinic_id)
    rows = Delivery.objects.bulk_create(
        paging.event_deliveries(alert, event, alert.escalation_step, now, alerting)
    )
    transaction.on_commit(partial(enqueue, rows))
