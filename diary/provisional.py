"""The verdict waits for its window (CLINICAL.md v2). Pure: no database, no clock.

Until the anaesthetic's expected window has ended, and the last check-in due inside it has
closed, a verdict is *provisional*: it says which way the readings lean so far and what is
still to come. RFA readiness and concordance never count a provisional block, since
``response`` counts only positive ones.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from diary.response.verdict import PROVISIONAL, Verdict


@dataclass(frozen=True)
class Pending:
    """A check-in due inside the window that has not closed yet (nor been answered)."""

    due_minutes: int
    closes_minutes: int


def wait_for_window(
    verdict: Verdict,
    *,
    elapsed_minutes: int,
    pending: list[Pending],
    performed_at: datetime | None = None,
) -> Verdict:
    """``verdict`` as it stands ``elapsed_minutes`` after the block.

    ``performed_at`` (aware, in the clinic's time zone) only words the times ("by 17:00");
    without it they are said as time after the block.
    """
    window = verdict.expected_window_minutes
    inside = [p for p in pending if p.due_minutes <= window and p.closes_minutes > elapsed_minutes]
    until = max([window, *(p.closes_minutes for p in inside)])
    if elapsed_minutes >= until:
        return verdict
    by = max((p.due_minutes for p in inside), default=None)
    said = f"provisional until {_when(until, performed_at)}: leaning {verdict.verdict} so far"
    if inside:
        count = len(inside)
        said += (
            f"; {count} more reading{'' if count == 1 else 's'} due by {_when(by, performed_at)}"
        )
    return replace(
        verdict,
        verdict=PROVISIONAL,
        leaning=verdict.verdict,
        provisional_until_minutes=until,
        still_due=len(inside),
        still_due_by_minutes=by,
        reasons=[said, *verdict.reasons],
    )


def _when(minutes: int, performed_at: datetime | None) -> str:
    if performed_at is None:
        hours, rest = divmod(minutes, 60)
        text = f"{hours} h" + (f" {rest} min" if rest else "") if hours else f"{rest} min"
        return f"{text} after the block"
    moment = performed_at + timedelta(minutes=minutes)
    if moment.date() == performed_at.date():
        return f"{moment:%H:%M}"
    return f"{moment:%Y-%m-%d %H:%M}"
