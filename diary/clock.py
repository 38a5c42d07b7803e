"""A phone's clock against the server's: how far off it is, and the time it meant.

Pure: no I/O. A phone that sends ``sent_at`` (its own clock when it sent the request) lets the
server measure the offset of that clock at receipt; the reading's ``recorded_at``, taken on
the same clock, is then moved by the same offset. Why: triage and the relief curve depend on
when, after the block, a reading was taken; a phone set a day slow would otherwise put a
reading 23 h before its block (issue 10, item 5).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ClockReading:
    recorded_at: datetime  # the time the reading is stored and triaged at
    skew_seconds: int | None  # server clock minus phone clock at receipt; None: not measured
    phone_recorded_at: datetime | None  # the phone's own value, when it was corrected


def read_clock(
    recorded_at: datetime, *, sent_at: datetime | None, received_at: datetime, tolerance: float
) -> ClockReading:
    """Correct ``recorded_at`` by the phone's measured offset when it exceeds ``tolerance``.

    The offset measured includes the request's time in flight (normally under a second, a
    slow network a few more): within the tolerance the phone's times are kept as sent, so
    network jitter never moves a reading.
    """
    if sent_at is None:
        return ClockReading(recorded_at, None, None)
    skew = received_at - sent_at
    skew_seconds = round(skew.total_seconds())
    if abs(skew) <= timedelta(seconds=tolerance):
        return ClockReading(recorded_at, skew_seconds, None)
    return ClockReading(recorded_at + skew, skew_seconds, recorded_at)
