"""How long a queued delivery may wait for its task before the sweeper enqueues it again.

Why short, and counted from the time the delivery is due (not from when it was queued): a
worker killed with ``kill -9`` takes the send tasks it held (prefetched, or waiting out
a countdown) with it, and Redis hands them back only after its visibility timeout (an
hour). The database row is then all that is left, and this lease is how soon the sweeper
(every ``SWEEP_SECONDS``) takes it up. A lease that runs out while a live worker still
holds the task costs a second task for the row, never a second send: the send claims
the row first (``services._claim_for_sending``), so one of the two finds it taken.

Pages get a shorter lease than reminders: an on-call page is the message that must not
wait, and there are few of them, so an occasional second task costs nothing.
See docs/decisions.md, "Leases measured from the due time".
"""

from datetime import datetime, timedelta

from django.conf import settings


def enqueue_lease(send_at: datetime, *, page: bool) -> datetime:
    """When a delivery due at ``send_at`` is the sweeper's, if no task has claimed it."""
    seconds = (
        settings.DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS
        if page
        else settings.DELIVERY_ENQUEUE_LEASE_SECONDS
    )
    return send_at + timedelta(seconds=seconds)
