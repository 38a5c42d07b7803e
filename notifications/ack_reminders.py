"""Acknowledged but not resolved: remind whoever acknowledged it, once.

On-call staff asked for it: an alert taken at 02:00 and then forgotten stays acknowledged
for ever, and nobody is paged about it again (acknowledging stops escalation). After the
clinic's ``ack_reminder_seconds`` (2 h by default; 0: never) the person who acknowledged it
gets one page on their working channels saying it is still open. Beat runs this every
minute; a claim on ``ack_reminded_at`` makes two runs at once remind once.
"""

import functools
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from notifications import paging
from notifications.clinic_settings import alert_settings_of
from notifications.models import Alert, AlertEvent, AlertEventKind, AlertState, Delivery
from notifications.services import enqueue

BATCH = 100
# The shortest reminder delay a clinic may set: below it, "acknowledged" would mean nothing.
MIN_SECONDS = 600


def remind_acknowledged(now: datetime | None = None) -> int:
    """Remind about every acknowledged alert past its clinic's delay; how many."""
    now = now or timezone.now()
    settings_of = functools.cache(alert_settings_of)
    candidates = (
        Alert.objects.filter(
            state=AlertState.ACKNOWLEDGED,
            ack_reminded_at__isnull=True,
            acknowledged_by__isnull=False,
            acknowledged_at__lte=now - timedelta(seconds=MIN_SECONDS),
        )
        .select_related("clinic")
        .order_by("acknowledged_at")[:BATCH]
    )
    reminded = 0
    for alert in candidates:
        delay = settings_of(alert.clinic_id).ack_reminder_seconds
        if not delay or alert.acknowledged_at + timedelta(seconds=delay) > now:
            continue
        with transaction.atomic():
            won = Alert.objects.filter(
                pk=alert.pk, state=AlertState.ACKNOWLEDGED, ack_reminded_at__isnull=True
            ).update(ack_reminded_at=now, updated_at=now)
            if won != 1:
                continue  # resolved meanwhile, or another run reminded
            rows = Delivery.objects.bulk_create(
                paging.staff_deliveries(alert, paging.REMINDED, alert.acknowledged_by_id, now)
            )
            AlertEvent.objects.create(
                alert=alert,
                kind=AlertEventKind.PAGED,
                at=now,
                detail=f"reminded staff {alert.acknowledged_by_id}: acknowledged, not resolved",
            )
            transaction.on_commit(partial(enqueue, rows))
        reminded += 1
    return reminded
