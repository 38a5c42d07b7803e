"""Thin Celery tasks: each calls one service."""

from celery import shared_task

from diary import services


@shared_task(ignore_result=True)
def advance_checkins() -> dict:
    """Beat, every tick: move check-ins to due and to missed as their times pass."""
    due, missed = services.advance_checkins()
    return {"due": due, "missed": missed}
