"""Thin Celery tasks: take ids, call one service. Safe to receive twice."""

import logging
import time

from celery import shared_task
from django.conf import settings

from notifications import services
from notifications.models import Delivery

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def tick() -> dict:
    """Beat, every few seconds: claim due reminders, move check-ins, sweep lost sends."""
    return services.tick()


@shared_task(ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    """Send each delivery that is still wanted and not already taken by someone else.

    Starts no new send once ``SEND_TASK_BUDGET_SECONDS`` have passed and hands the rest
    to a fresh task. Why: with a slow provider a batch would outlive the soft time limit,
    which cuts a send mid-request (the provider may have taken it; nothing records that,
    so it is sent again) and leaves the rest of the batch to wait for the sweeper.
    """
    deadline = time.monotonic() + settings.SEND_TASK_BUDGET_SECONDS
    outcomes: dict[str, int] = {}
    for index, delivery_id in enumerate(delivery_ids):
        if index and time.monotonic() > deadline:
            rest = delivery_ids[index:]
            services.enqueue(list(Delivery.objects.filter(pk__in=rest)))
            outcomes["handed_on"] = len(rest)
            break
        outcome = services.send_delivery(delivery_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
