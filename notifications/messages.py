"""What a reminder says. Pure.

Nothing clinical ever goes in a message: push and SMS pass through Apple, Google and
phone carriers. A reminder names the check-in's time ("2 h after your block") and
links to the app, never a symptom or a score.
"""

from notifications.models import Purpose
from notifications.transports.base import Message

TITLE = "Pain diary"


def reminder_message(
    *,
    purpose: str,
    checkin_id: int,
    plan_version: int,
    label: str,
    address: str,
    platform: str,
    app_url: str,
    closes_at=None,
) -> Message:
    if purpose == Purpose.REREMINDER:
        body = f"Reminder: your check-in ({label}) is still open."
    else:
        body = f"Time for your check-in: {label}."
    return Message(
        address=address,
        title=TITLE,
        body=body,
        url=f"{app_url.rstrip('/')}/checkins/{checkin_id}",
        # Same id for every try of this reminder: a resend replaces itself on the phone.
        collapse_id=f"checkin-{checkin_id}-{plan_version}-{purpose}",
        platform=platform,
        # A push still in transit when the check-in closes is dropped by the provider.
        extra={"expires_at": closes_at} if closes_at else {},
    )
