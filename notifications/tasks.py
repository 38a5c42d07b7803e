"""Thin Celery tasks: take ids, call one service. Safe to receive twice."""

import uuid

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from backend import metrics
from notifications import heartbeat as heartbeats
from notifications import services


@shared_task(ignore_result=True)
def tick() -> dict:
    """Beat, every few seconds: claim due reminders, move check-ins, sweep lost sends."""
    with metrics.beat_tick_seconds.time():
        return services.tick()


@shared_task(ignore_result=True)
def sweep() -> int:
    """Beat, every ``SWEEP_SECONDS``: re-enqueue deliveries whose task was lost."""
    return services.sweep_deliveries()


@shared_task(ignore_result=True)
def heartbeat(kind: str) -> None:
    """Beat sends one to each worker queue every tick; the worker that runs it is alive."""
    heartbeats.record(kind)


# A database restart or failover mid-task: the claim rolled back with the transaction, so
# the same ids are safe to retry at once instead of waiting for the sweeper's lease (issue
# 10: one reminder 69 s late). Bounded backoff 1, 2, 4, 8 s (jittered), five tries.
@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=8,
    retry_jitter=True,
    max_retries=5,
)
def send_deliveries(self, delivery_ids: list[int]) -> dict:
    """Send each delivery still wanted and not held by someone else.

    Starts no new send after ``SEND_TASK_BUDGET_SECONDS`` and hands the rest to a fresh
    task. Why: with a slow provider a batch would outlive the soft time limit, which
    cuts a send mid-request (the provider may have taken it; nothing records that, so
    it is sent again) and leaves the rest of the batch to wait for the sweeper.
    """
    # One claim token for the task and all its retries: rows claimed before the database
    # went away are this task's to take back at once (not after their send lease). Their
    # sends may have reached the provider unrecorded: sent again, as after the lease.
    token = uuid.uuid5(uuid.NAMESPACE_URL, f"send_deliveries:{self.request.id}")
    return services.send_deliveries(
        delivery_ids, budget_seconds=settings.SEND_TASK_BUDGET_SECONDS, claim_token=token
    )


@shared_task(ignore_result=True)
def remind_acknowledged() -> int:
    """Beat, every minute: remind whoever acknowledged an alert still unresolved."""
    from notifications import ack_reminders

    return ack_reminders.remind_acknowledged()
