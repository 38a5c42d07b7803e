"""Thin Celery tasks: take ids, call one service. Safe to receive twice."""

import logging

from celery import shared_task

from notifications import services

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def tick() -> dict:
    """Beat, every few seconds: claim due reminders, move check-ins, sweep lost sends."""
    return services.tick()


@shared_task(ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    """Send each delivery that is still wanted and not already taken by someone else."""
    outcomes: dict[str, int] = {}
    for delivery_id in delivery_ids:
        outcome = services.send_delivery(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
