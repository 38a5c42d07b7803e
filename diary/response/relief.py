"""Relief and time of one diary reading, against its block. Pure: no I/O."""

from datetime import datetime


def relief_percent(baseline_pain: int, pain_score: int) -> float | None:
    """Relief against the pre-block baseline: ``(baseline - score) / baseline * 100``.

    None when the baseline is 0: with no pain to relieve, relief is undefined, and
    a made-up 0 % would count against the block. Worse pain gives negative relief.
    """
    if baseline_pain <= 0:
        return None
    return round((baseline_pain - pain_score) / baseline_pain * 100, 1)


def minutes_after_block(performed_at: datetime, recorded_at: datetime) -> int:
    """Whole minutes from the block to the reading (negative for a pre-block reading)."""
    return int((recorded_at - performed_at).total_seconds() // 60)
