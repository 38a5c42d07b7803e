"""Every write of the notifications app, as a verb: dispatch, send, sweep.

Reliability, in short (see ARCHITECTURE.md): due check-ins are claimed in the
database and turned into delivery rows in the same transaction; the broker is told
"send these" only after commit; a send claims its row with a lease first, so a
redelivered task, a second worker or the sweeper never sends a delivery twice; a
crashed worker's lease runs out and the sweeper hands the row to another.
"""

import logging
import math
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from diary import services as diary
from diary.models import CheckIn, CheckInStatus, Device, Patient, PatientStatus, StaffMembership
from notifications import breaker, emails, messages, sending
from notifications.breaker import HeldChannels
from notifications.clinic_settings import alert_settings_of
from notifications.config import slowest_send_seconds
from notifications.leases import enqueue_lease
from notifications.models import (
    LINKED_PURPOSES,
    Alert,
    AlertState,
    AttemptOutcome,
    Channel,
    ContactPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
    StaffDevice,
)
from notifications.paging import PAGING_EVENTS
from notifications.reach import enabled_channels, reachability
from notifications.routing import Target, first_reachable
from notifications.transports import get_transport
from notifications.transports.base import SendResult, TransportError

log = logging.getLogger(__name__)

# Pages (not the webhook's acknowledged/resolved events) stop once someone has the alert.
STOPPED_ALERT_STATES = (AlertState.ACKNOWLEDGED, AlertState.RESOLVED)

NO_CHANNEL = "No working channel: no app device, phone or e-mail that can be used."


# --- Dispatch: due check-ins → delivery rows ----------------------------------------


def tick(now: datetime | None = None) -> dict:
    """What beat runs every few seconds. Each step is safe to run twice at once."""
    from notifications import alerts  # alerts enqueues through this module

    now = now or timezone.now()
    work = _work_to_do(now)
    reminded = dispatch_reminders(now, Purpose.REMINDER) if work["remind"] else 0
    reminded_again = dispatch_reminders(now, Purpose.REREMINDER) if work["remind_again"] else 0
    due, missed = diary.advance_checkins(now) if work["advance"] else (0, 0)
    swept = sweep_deliveries(now) if work["sweep"] else 0
    escalated = alerts.escalate_due_alerts(now) if work["escalate"] else 0
    return {
        "escalated": escalated,
        "reminded": reminded,
        "reminded_again": reminded_again,
        "due_without_reminder": due,
        "missed": missed,
        "swept": swept,
    }


def _work_to_do(now: datetime) -> dict[str, bool]:
    """Which of the tick's steps have anything to do, in one statement.

    Most ticks find nothing; asking once (each EXISTS on the partial index its step
    uses) costs a fraction of running the six statements of the steps. Each condition
    is a superset of its step's own, so a step is never skipped when it has work.
    """
    horizon = now + timedelta(seconds=settings.DISPATCH_LOOKAHEAD_SECONDS)
    checkins, deliveries = CheckIn._meta.db_table, Delivery._meta.db_table
    alerts = Alert._meta.db_table
    sql = f"""
        SELECT
          EXISTS (SELECT 1 FROM {checkins} WHERE status = 'upcoming' AND remind_at <= %s),
          EXISTS (SELECT 1 FROM {checkins}
                  WHERE status = 'due' AND rereminded_at IS NULL AND rereminder_at <= %s),
          EXISTS (SELECT 1 FROM {checkins}
                  WHERE status IN ('upcoming', 'due') AND closes_at <= %s)
          OR EXISTS (SELECT 1 FROM {checkins}
                     WHERE status = 'upcoming' AND remind_at IS NULL AND due_at <= %s),
          EXISTS (SELECT 1 FROM {deliveries} WHERE status = 'pending' AND next_attempt_at <= %s)
          OR EXISTS (SELECT 1 FROM {deliveries} WHERE status = 'sending' AND lease_until < %s),
          EXISTS (SELECT 1 FROM {alerts} WHERE state = 'open' AND next_escalation_at <= %s)
    """  # noqa: S608  (table names from the models, values as parameters)
    adapt = connection.ops.adapt_datetimefield_value
    at_horizon, at_now = adapt(horizon), adapt(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [at_horizon, at_horizon, at_now, at_now, at_now, at_now, at_now])
        remind, remind_again, advance, sweep, escalate = (bool(v) for v in cursor.fetchone())
    return {
        "remind": remind,
        "remind_again": remind_again,
        "advance": advance,
        "sweep": sweep,
        "escalate": escalate,
    }


def dispatch_reminders(now: datetime, purpose: str) -> int:
    """Claim check-ins whose reminder falls due before the next tick; plan their sends.

    Looking one tick ahead and sending with a short countdown to the exact time
    keeps reminders punctual whatever the tick interval; the countdown is never
    longer than one tick, so nothing long waits in the broker.
    """
    horizon = now + timedelta(seconds=settings.DISPATCH_LOOKAHEAD_SECONDS)
    claim = (
        diary.claim_checkins_to_remind
        if purpose == Purpose.REMINDER
        else diary.claim_checkins_to_remind_again
    )
    total = 0
    deadline = timezone.now() + timedelta(seconds=settings.DISPATCH_TIME_BUDGET_SECONDS)
    while True:
        with transaction.atomic():
            checkins = claim(horizon, settings.DISPATCH_BATCH)
            deliveries = _plan_reminders(checkins, purpose, now)
            transaction.on_commit(partial(enqueue, deliveries))
        total += len(checkins)
        if len(checkins) < settings.DISPATCH_BATCH or timezone.now() > deadline:
            return total


def _plan_reminders(checkins: list[CheckIn], purpose: str, now: datetime) -> list[Delivery]:
    """One delivery per address on each patient's first reachable channel."""
    if not checkins:
        return []
    reach = reachability(c.procedure.patient_id for c in checkins)
    active = _active_patients(reach)
    enabled = enabled_channels()
    planned = []
    for checkin in checkins:
        patient_id = checkin.procedure.patient_id
        if patient_id not in active:
            continue  # paused or ended: the check-in stands, nobody is pinged
        send_at = max(
            now, checkin.remind_at if purpose == Purpose.REMINDER else checkin.rereminder_at
        )
        found = first_reachable(reach[patient_id], enabled)
        planned += _deliveries_for(checkin, purpose, found, send_at) or [
            _no_channel(checkin, purpose, reach[patient_id].channel_order, now)
        ]
    return Delivery.objects.bulk_create(planned)


def _active_patients(reach) -> set[int]:
    return set(
        Patient.objects.filter(pk__in=reach, status=PatientStatus.ACTIVE).values_list(
            "pk", flat=True
        )
    )


def _deliveries_for(checkin, purpose, found: list[Target], send_at: datetime) -> list[Delivery]:
    return [
        Delivery(
            patient_id=checkin.procedure.patient_id,
            checkin=checkin,
            checkin_version=checkin.plan_version,
            purpose=purpose,
            channel=target.channel,
            device_id=target.device_id,
            platform=target.platform,
            address=target.address,
            next_attempt_at=send_at,
            lease_until=enqueue_lease(send_at, page=False),
        )
        for target in found
    ]


def _no_channel(checkin, purpose, order: str, now: datetime) -> Delivery:
    """A row staff can see: this reminder had nowhere to go."""
    log.warning("check-in %s: no working channel for its %s", checkin.pk, purpose)
    return Delivery(
        patient_id=checkin.procedure.patient_id,
        checkin=checkin,
        checkin_version=checkin.plan_version,
        purpose=purpose,
        channel=order.split(",")[0].strip() or Channel.PUSH,
        address="",
        status=DeliveryStatus.FAILED,
        next_attempt_at=now,
        last_error=NO_CHANNEL,
    )


def enqueue(deliveries: list[Delivery]) -> None:
    """Tell the workers, after commit. A broker outage is logged, never raised: the
    rows are in the database and the sweeper sends them once their lease runs out."""
    from notifications.tasks import send_deliveries

    pending = [d for d in deliveries if d.status == DeliveryStatus.PENDING]
    now = timezone.now()
    # Alert pages have a queue of their own, never mixed with reminders in one task: a page
    # raised during the morning's burst of 10:00 reminders must not wait behind them.
    by_time: dict[tuple[datetime, str], list[int]] = {}
    for delivery in pending:
        queue = settings.CELERY_ALERT_QUEUE if delivery.alert_id else None
        by_time.setdefault((delivery.next_attempt_at, queue or ""), []).append(delivery.pk)
    for (send_at, queue), ids in sorted(by_time.items()):
        countdown = max(0.0, (send_at - now).total_seconds())
        options = {"countdown": countdown, **({"queue": queue} if queue else {})}
        for start in range(0, len(ids), settings.SEND_BATCH):
            chunk = ids[start : start + settings.SEND_BATCH]
            try:
                send_deliveries.apply_async((chunk,), **options)
            except Exception:  # the broker's errors vary by transport; all mean "later"
                log.exception("could not enqueue deliveries %s; the sweeper will", chunk)
                return


# --- Send: one delivery through its channel -----------------------------------------


def send_delivery(delivery_id: int) -> str:
    """Send one delivery; what happened: sent, retry, failed, cancelled or skipped."""
    outcomes = send_deliveries([delivery_id])
    return next(iter(outcomes), "skipped")


def send_deliveries(
    delivery_ids: list[int],
    *,
    budget_seconds: float | None = None,
    claim_token: uuid.UUID | None = None,
) -> dict:
    """Send each delivery that is still wanted and that nobody else holds.

    The batch is read and claimed in a few statements (a claim token marks the rows
    this call won). An SMS, an e-mail, a webhook event or an alert page is recorded as
    soon as it is sent, so a worker killed mid-batch sends at most the one in flight
    again. Reminder pushes are recorded ``PUSH_RECORD_GROUP`` at a time, and before
    this returns or raises: a worker killed mid-group sends that group's unrecorded
    pushes again, each with its collapse id, which the phone replaces rather than
    shows twice (see ``_repeat_is_harmless``).
    Past ``budget_seconds`` no new send starts: the rest is released and re-enqueued,
    so a slow provider never pushes a send past the task's time limit.
    Rows are claimed ``SEND_CLAIM_CHUNK`` at a time, just before they are sent, not the
    whole batch at once. Why: a claimed row waits out its send lease if the worker is
    killed, an unclaimed one only its (shorter) enqueue lease from its due time, so a
    ``kill -9`` mid-burst leaves at most one chunk per worker process waiting long.
    ``claim_token`` (the task's, the same in each of its retries) lets a retry after a
    database error take back at once the rows it had claimed, instead of leaving them to
    wait out their send lease.
    """
    now = timezone.now()
    outcomes: dict[str, int] = {}

    def count(outcome, n=1):
        if n:
            outcomes[outcome] = outcomes.get(outcome, 0) + n

    rows = list(
        Delivery.objects.select_related("checkin", "patient__clinic", "alert__clinic").filter(
            pk__in=delivery_ids, status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)
        )
    )
    count("skipped", len(set(delivery_ids)) - len(rows))
    unwanted = {d.pk for d in rows if not _wanted(d, now)}
    if unwanted:
        cancelled = (
            _claimable(now, claim_token)
            .filter(pk__in=unwanted)
            .update(status=DeliveryStatus.CANCELLED)
        )
        count("cancelled", cancelled)
        count("skipped", len(unwanted) - cancelled)
    wanted = [d for d in rows if d.pk not in unwanted]
    budget_ends = time.monotonic() + (math.inf if budget_seconds is None else budget_seconds)
    unrecorded: list[_Sent] = []  # reminder pushes sent, not yet recorded
    holds = HeldChannels()  # the breaker's holds, read once a second, not once a send
    chunk = settings.SEND_CLAIM_CHUNK
    try:
        for start in range(0, len(wanted), chunk):
            if start and time.monotonic() > budget_ends:
                count("handed_on", _requeue_unclaimed(wanted[start:]))
                break
            part = wanted[start : start + chunk]
            claimed = _claim_for_sending(part, timezone.now(), claim_token or uuid.uuid4())
            count("skipped", len(part) - len(claimed))
            links = _links_for(claimed)
            held, renew_at = {d.pk for d in claimed}, _renewal_due()
            for index, delivery in enumerate(claimed):
                if (start or index) and time.monotonic() > budget_ends:
                    _record_successes(unrecorded)
                    count("handed_on", _hand_on(claimed[index:]))
                    count("handed_on", _requeue_unclaimed(wanted[start + chunk :]))
                    return outcomes
                if time.monotonic() > renew_at:
                    held, renew_at = _renew_lease(claimed[index:]), _renewal_due()
                if delivery.pk not in held:
                    count("skipped")  # taken over while this worker stalled: not ours to send
                    continue
                count(_send_claimed(delivery, unrecorded, links.get(delivery.pk, ""), holds))
                if len(unrecorded) >= settings.PUSH_RECORD_GROUP:
                    _record_successes(unrecorded)
    finally:
        # Also on the way out of an exception (a soft time limit, a bug in one message):
        # what reached the provider is recorded, not sent again after the lease.
        _record_successes(unrecorded)
    return outcomes


def _links_for(deliveries: list[Delivery]) -> dict[int, str]:
    """A fresh web check-in link for each message to a patient that carries one, minted in
    one INSERT for the batch (only a token's hash is stored, so a resend needs a new one)."""
    linked = [d for d in deliveries if d.purpose in LINKED_PURPOSES]
    if not linked:
        return {}
    tokens = diary.issue_links([(d.patient_id, d.checkin_id) for d in linked])
    return {d.pk: diary.link_url(t) for d, t in zip(linked, tokens, strict=True)}


def _renewal_due() -> float:
    """When (monotonic) the lease on a chunk claimed or renewed now must be renewed before
    the next send starts: late enough that fast sends never renew, early enough that the
    slowest send (connect and read timeouts, each in full) still ends inside the lease.

    Why renew rather than lease a whole chunk for as long as all of it could take: a
    worker killed mid-chunk strands its rows for one lease, so the lease stays short (a
    reminder's 20 s goal through a ``kill -9``) while a live worker keeps what it holds.
    """
    return time.monotonic() + settings.DELIVERY_SEND_LEASE_SECONDS - slowest_send_seconds()


def _renew_lease(deliveries: list[Delivery]) -> set[int]:
    """Extend the send lease on the rows of a chunk not yet sent; the ids still held.

    A row can be missing only if this worker stalled past its lease (a paused VM, a
    starved CPU) and the sweeper handed it on: whoever claimed it since sends it.
    """
    token = deliveries[0].claim_token
    ids = [d.pk for d in deliveries]
    lease = timezone.now() + timedelta(seconds=settings.DELIVERY_SEND_LEASE_SECONDS)
    mine = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING, claim_token=token)
    mine.update(lease_until=lease)
    return set(mine.values_list("pk", flat=True))


def _requeue_unclaimed(deliveries: list[Delivery]) -> int:
    """Queue afresh rows this task read but never claimed: they are still pending, so
    whoever takes them claims them as usual (a sweeper that got there first included)."""
    if deliveries:
        enqueue(deliveries)
    return len(deliveries)


def _claimable(now: datetime, token: uuid.UUID | None = None):
    """Pending and due, or held by a worker whose lease has run out, or by ``token``."""
    held = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    if token is not None:
        held |= Q(status=DeliveryStatus.SENDING, claim_token=token)
    return Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now + timedelta(seconds=1)) | held
    )


def _claim_for_sending(deliveries: list[Delivery], now: datetime, token: uuid.UUID) -> list:
    """Take the rows no other worker holds; the claim token says which ones we won."""
    if not deliveries:
        return []
    lease = now + timedelta(seconds=settings.DELIVERY_SEND_LEASE_SECONDS)
    claimable = _claimable(now, token).filter(pk__in=[d.pk for d in deliveries])
    if any(d.alert_id for d in deliveries):
        # Re-checked in the claim itself: a page read before an acknowledgement committed
        # must not be sent after it.
        claimable = claimable.exclude(
            alert__state__in=STOPPED_ALERT_STATES, event__in=PAGING_EVENTS
        )
    claimable.update(
        status=DeliveryStatus.SENDING,
        lease_until=lease,
        claim_token=token,
        attempts=F("attempts") + 1,
    )
    won = set(
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries], claim_token=token).values_list(
            "pk", flat=True
        )
    )
    claimed = [d for d in deliveries if d.pk in won]
    for delivery in claimed:
        delivery.status, delivery.lease_until, delivery.claim_token = (
            DeliveryStatus.SENDING,
            lease,
            token,
        )
        delivery.attempts += 1
    return claimed


def _hand_on(deliveries: list[Delivery]) -> int:
    """Give back claimed rows not yet sent, and queue them afresh."""
    now = timezone.now()
    Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim_token=deliveries[0].claim_token
    ).update(
        status=DeliveryStatus.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=now,
        lease_until=enqueue_lease(now, page=bool(deliveries[0].alert_id)),
        claim_token=None,
    )
    enqueue(
        [
            Delivery(
                pk=d.pk, status=DeliveryStatus.PENDING, next_attempt_at=now, alert_id=d.alert_id
            )
            for d in deliveries
        ]
    )
    return len(deliveries)


def _send_claimed(
    delivery: Delivery,
    unrecorded: list["_Sent"],
    link: str = "",
    holds: HeldChannels | None = None,
) -> str:
    """Send one claimed delivery. A failure is recorded at once; a success too, unless a
    repeat would be harmless: then it joins ``unrecorded``, for the caller to record."""
    started = timezone.now()
    try:
        transport = get_transport(delivery.channel)
        result = sending.send(transport, delivery, _message(delivery, link), holds)
    except TransportError as error:
        return _record_failure(delivery, error, started)
    sent = _Sent(delivery.pk, result, started, timezone.now())
    if _repeat_is_harmless(delivery):
        unrecorded.append(sent)
    else:
        _record_successes([sent])
    return "sent"


def _repeat_is_harmless(delivery: Delivery) -> bool:
    """Whether sending this again, after a crash lost the record of its success, would
    cost the recipient nothing: a reminder push. FCM and APNs carry its collapse id (the
    same for every send of one reminder), so the phone replaces the first notification.
    A second SMS, e-mail or webhook event would be a real duplicate. Alert pages are
    few, and the alert board shows each one's state: recorded at once too.
    """
    return delivery.channel == Channel.PUSH and not delivery.alert_id


def _wanted(delivery: Delivery, now: datetime) -> bool:
    """Whether a delivery should still go out: a page while its alert is open (events
    after it, acknowledged and resolved, always go); a reminder while its check-in waits."""
    if delivery.alert_id:
        return (
            delivery.event not in PAGING_EVENTS or delivery.alert.state not in STOPPED_ALERT_STATES
        )
    if delivery.purpose == Purpose.START_LINK:
        return delivery.patient.status == PatientStatus.ACTIVE
    return _still_wanted(delivery.checkin, delivery.patient, delivery.checkin_version, now)


def _still_wanted(checkin: CheckIn | None, patient: Patient, version: int, now: datetime) -> bool:
    """A reminder is wanted while its check-in is due, unanswered, open and unchanged."""
    if checkin is None or patient.status != PatientStatus.ACTIVE:
        return False
    return (
        checkin.status == CheckInStatus.DUE
        and checkin.plan_version == version
        and checkin.closes_at > now
    )


def _message(delivery: Delivery, link: str = ""):
    message = _words(delivery, link)
    if delivery.channel == Channel.EMAIL:
        return emails.dressed(message, delivery)
    return message


def _words(delivery: Delivery, link: str = ""):
    if delivery.alert_id:
        return _alert_message(delivery)
    if delivery.purpose == Purpose.START_LINK:
        return messages.start_link_message(
            clinic_name=delivery.patient.clinic.name,
            address=delivery.address,
            link=link,
            language=delivery.patient.language,
        )
    checkin = delivery.checkin
    return messages.reminder_message(
        purpose=delivery.purpose,
        checkin_id=checkin.pk,
        plan_version=delivery.checkin_version,
        label=checkin.label,
        address=delivery.address,
        platform=delivery.platform,
        link=link,
        language=delivery.patient.language,
        closes_at=checkin.closes_at,
    )


def _alert_message(delivery: Delivery):
    alert = delivery.alert
    if delivery.channel == Channel.WEBHOOK:
        # Read at send time: a rotated secret signs every event sent after the rotation.
        alerting = alert_settings_of(alert.clinic_id)
        return messages.webhook_message(
            alert=alert,
            delivery=delivery,
            secret=alerting.webhook_secret,
            include_rule=alerting.webhook_include_rule,
        )
    if delivery.channel == Channel.PAGERDUTY:
        # Read at send time too: a replaced key gets every event sent after the change.
        key = alert_settings_of(alert.clinic_id).pagerduty_routing_key
        return messages.pagerduty_message(alert=alert, delivery=delivery, routing_key=key)
    return messages.alert_page_message(alert=alert, delivery=delivery)


def _attempt(delivery, started, outcome, *, status_code=None, response="", error=""):
    return DeliveryAttempt(
        delivery=delivery,
        started_at=started,
        finished_at=timezone.now(),
        outcome=outcome,
        status_code=status_code,
        provider_response=response[:2000],
        error=error[:500],
    )


@dataclass(frozen=True)
class _Sent:
    """A send the provider accepted, waiting to be recorded."""

    delivery_id: int
    result: SendResult
    started: datetime
    finished: datetime


def _record_successes(sent: list[_Sent]) -> None:
    """Mark these sent and keep an attempt row for each; empties ``sent``.

    On PostgreSQL that is one statement for the lot: through the ORM each would be a
    transaction of four statements, and one statement per send was still a third of a
    reminder's cost on a 2-core machine (bench/dispatch).
    """
    if not sent:
        return
    if connection.vendor == "postgresql":
        _record_successes_in_one_statement(sent)
    else:
        with transaction.atomic():
            DeliveryAttempt.objects.bulk_create(
                DeliveryAttempt(
                    delivery_id=one.delivery_id,
                    started_at=one.started,
                    finished_at=one.finished,
                    outcome=AttemptOutcome.SENT,
                    status_code=one.result.status_code,
                    provider_response=one.result.response[:2000],
                )
                for one in sent
            )
            for one in sent:
                Delivery.objects.filter(pk=one.delivery_id).update(
                    status=DeliveryStatus.SENT,
                    sent_at=one.finished,
                    provider_id=one.result.provider_id[:200],
                    lease_until=None,
                    last_error="",
                )
    sent.clear()


# The first row's casts type the VALUES list; a status code may be NULL.
_SENT_ROW = "(%s::bigint, %s::timestamptz, %s::timestamptz, %s::integer, %s::text, %s::text)"


def _record_successes_in_one_statement(sent: list[_Sent]) -> None:
    deliveries, attempts = Delivery._meta.db_table, DeliveryAttempt._meta.db_table
    sql = f"""
        WITH sent (id, started_at, finished_at, status_code, provider_id, response) AS (
            VALUES {", ".join([_SENT_ROW] * len(sent))}
        ), marked AS (
            UPDATE {deliveries} AS d
            SET status = %s, sent_at = sent.finished_at, provider_id = sent.provider_id,
                lease_until = NULL, last_error = ''
            FROM sent
            WHERE d.id = sent.id
            RETURNING d.id, sent.started_at, sent.finished_at, sent.status_code, sent.response
        )
        INSERT INTO {attempts}
            (delivery_id, started_at, finished_at, outcome, status_code, provider_response, error)
        SELECT id, started_at, finished_at, %s, status_code, response, '' FROM marked
    """  # noqa: S608  (table names from the models, values as parameters)
    params: list = []
    for one in sent:
        params += [
            one.delivery_id,
            one.started,
            one.finished,
            one.result.status_code,
            one.result.provider_id[:200],
            one.result.response[:2000],
        ]
    params += [DeliveryStatus.SENT, AttemptOutcome.SENT]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def retry_delay(attempts: int, at_least: float | None = None) -> timedelta:
    """5 s, 10 s, 20 s, 40 s… or the provider's Retry-After when longer; capped at 5 min:
    short enough to wait for in the broker (a reminder later than that is little use)."""
    return timedelta(seconds=min(max(5 * 2 ** (attempts - 1), at_least or 0), 300))


def _record_failure(delivery: Delivery, error: TransportError, started) -> str:
    final = error.permanent or delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS
    outcome = AttemptOutcome.FAILED if final else AttemptOutcome.RETRY
    with transaction.atomic():
        _attempt(
            delivery,
            started,
            outcome,
            status_code=error.status_code,
            response=error.response,
            error=error.detail,
        ).save()
        if not final:
            delay = retry_delay(delivery.attempts, error.retry_after)
            delivery.next_attempt_at = timezone.now() + delay
            delivery.lease_until = enqueue_lease(
                delivery.next_attempt_at, page=bool(delivery.alert_id)
            )
            delivery.status = DeliveryStatus.PENDING
            delivery.last_error = error.detail[:500]
            delivery.save(update_fields=["next_attempt_at", "lease_until", "status", "last_error"])
            transaction.on_commit(partial(enqueue, [delivery]))
            return "retry"
        delivery.status = DeliveryStatus.FAILED
        delivery.lease_until = None
        delivery.last_error = error.detail[:500]
        delivery.save(update_fields=["status", "lease_until", "last_error"])
        if error.permanent:
            switch_off_address(delivery, error.detail)
        if delivery.alert_id:
            return "failed"  # every page of a step goes out on all channels at once
        fallbacks = _fall_back(delivery)
        transaction.on_commit(partial(enqueue, fallbacks))
    return "failed"


def switch_off_address(delivery: Delivery, reason: str, *, reported_later: bool = False) -> bool:
    """A permanent failure means this address will never work: stop using it, whether it
    is a patient's (a reminder) or a colleague's (a page). Whether it was switched off.

    The one path for every permanent answer: a refusal on send, a Twilio receipt, a bounce.
    While the channel's circuit breaker holds it, nothing is switched off: so many
    addresses failing at once says more about us (a credential, a DNS record) than them.
    A failure ``reported_later`` (a receipt, a bounce) is counted by the breaker here; one
    on send was counted as it was sent (``breaker.guarded_send``).
    """
    name = breaker.name_of(delivery.channel, delivery.platform)
    if reported_later:
        held = breaker.count_permanent_failure(name)
    else:
        held = breaker.held_since(name) is not None
    if held:
        log.warning("%s held: delivery %s switches no address off", name, delivery.pk)
        return False
    if delivery.alert_id:
        _disable_staff_address(delivery, reason)
    else:
        _disable_address(delivery, reason)
    return True


def _disable_address(delivery: Delivery, reason: str) -> None:
    """A patient's device, number or e-mail: off, with the reason on their contact record."""
    now = timezone.now()
    reason = reason[:200]
    if delivery.channel == Channel.PUSH and delivery.device_id:
        Device.objects.filter(pk=delivery.device_id).update(disabled_at=now)
    elif delivery.channel in (Channel.SMS, Channel.EMAIL):
        preference, _ = ContactPreference.objects.get_or_create(patient_id=delivery.patient_id)
        setattr(preference, f"{delivery.channel}_disabled_at", now)
        setattr(preference, f"{delivery.channel}_disabled_reason", reason)
        preference.save()
    log.warning("disabled %s address of patient %s", delivery.channel, delivery.patient_id)


def _disable_staff_address(delivery: Delivery, reason: str) -> None:
    """A colleague's push token, phone or e-mail: off, with the reason, which the on-call
    coverage warnings show until it is fixed. Only while it is still the address the page
    went to: a number changed since then starts enabled. The clinic's fallback contact
    (no staff member) is left to the clinic settings page."""
    now = timezone.now()
    if delivery.channel == Channel.PUSH:
        StaffDevice.objects.filter(platform=delivery.platform, token=delivery.address).update(
            disabled_at=now
        )
    elif delivery.staff_id and delivery.channel == Channel.SMS:
        StaffMembership.objects.filter(user_id=delivery.staff_id, phone=delivery.address).update(
            phone_disabled_at=now, phone_disabled_reason=reason[:200]
        )
    elif delivery.staff_id and delivery.channel == Channel.EMAIL:
        StaffMembership.objects.filter(
            user_id=delivery.staff_id, user__email__iexact=delivery.address
        ).update(email_disabled_at=now, email_disabled_reason=reason[:200])
    log.warning("alert page %s failed for good on %s", delivery.pk, delivery.channel)


def _fall_back(failed: Delivery) -> list[Delivery]:
    """Try the next channel in the patient's order, unless this one may still arrive
    (another device of the same patient is still being sent to, or was)."""
    now = timezone.now()
    # Locked: two pushes of one reminder failing at once in two workers would each see the
    # other still in flight and neither fall back. In turn, the second sees the first failed.
    checkin = (
        CheckIn.objects.select_for_update(of=("self",))
        .select_related("procedure")
        .filter(pk=failed.checkin_id)
        .first()
    )
    if not _still_wanted(checkin, failed.patient, failed.checkin_version, now):
        return []
    siblings = Delivery.objects.filter(
        checkin_id=failed.checkin_id, checkin_version=failed.checkin_version, purpose=failed.purpose
    )
    if siblings.exclude(status__in=[DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]).exists():
        return []
    tried = set(siblings.values_list("channel", flat=True))
    reach = reachability([failed.patient_id])[failed.patient_id]
    found = first_reachable(reach, enabled_channels(), skip=tried)
    # The check-in's plan_version is the failed delivery's: _still_wanted checked it.
    return Delivery.objects.bulk_create(_deliveries_for(checkin, failed.purpose, found, now))


# --- Sweep: deliveries whose task was lost ------------------------------------------


def sweep_deliveries(now: datetime | None = None) -> int:
    """Re-enqueue deliveries nobody is working on.

    A lost task (a broker outage at enqueue, a worker killed) leaves a row pending
    past its enqueue lease, or sending past its send lease (longer than any send can
    take, so that worker is gone). Both go back to pending with a fresh lease, taken
    by a conditional update: of two sweepers, each row goes to one. Pages and reminders
    are swept apart, as their enqueue leases differ (``notifications.leases``).
    """
    now = now or timezone.now()
    stale_pending = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    stale_sending = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    swept = []
    # Pages first: within one sweep they are the ones that must not wait.
    for page in (True, False):
        lease = enqueue_lease(now, page=page)
        for stale in (stale_pending, stale_sending):
            stale &= Q(alert__isnull=not page)
            candidates = Delivery.objects.filter(stale).order_by("next_attempt_at")
            ids = list(candidates.values_list("pk", flat=True)[: settings.DISPATCH_BATCH])
            if not ids:
                continue
            Delivery.objects.filter(stale, pk__in=ids).update(
                status=DeliveryStatus.PENDING, lease_until=lease, next_attempt_at=now
            )
            swept += Delivery.objects.filter(pk__in=ids, lease_until=lease).only(
                "pk", "status", "next_attempt_at", "alert_id"
            )
    if swept:
        log.warning("sweeper re-enqueued %d deliveries", len(swept))
    enqueue(swept)
    return len(swept)


# --- Contact preferences --------------------------------------------------------------


def contact_of(patient) -> ContactPreference:
    """The patient's preferences, as stored or the defaults (not saved until changed)."""
    return ContactPreference.objects.filter(patient=patient).first() or ContactPreference(
        patient=patient
    )


@transaction.atomic
def update_contact(contact: ContactPreference, **changes) -> ContactPreference:
    for name, value in changes.items():
        setattr(contact, name, value)
        if name.endswith("_disabled_at") and value is None:
            setattr(contact, name.removesuffix("_at") + "_reason", "")
    contact.save()
    return contact
