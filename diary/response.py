"""The diagnostic response to a block, from the diary's readings. Pure: no I/O."""

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


# --- The diagnostic verdict (issue: clinician review) -----------------------------------
# Interface fixed for the API, the dashboard and the tests; the bodies are being written.

from dataclasses import dataclass, field  # noqa: E402

from diary.rules import Rules  # noqa: E402

POSITIVE, NEGATIVE, INDETERMINATE = "positive", "negative", "indeterminate"


@dataclass(frozen=True)
class Reading:
    """One diary reading as the analysis needs it."""

    minutes_after_block: int
    pain_score: int
    activity_ok: bool | None = None  # could the patient do a previously painful activity?


@dataclass(frozen=True)
class ReadingRelief:
    minutes_after_block: int
    pain_score: int
    relief_percent: float | None


@dataclass(frozen=True)
class Verdict:
    baseline_pain: int
    threshold_percent: int
    expected_window_minutes: int
    readings: list[ReadingRelief]
    peak_relief_percent: float | None
    peak_at_minutes: int | None
    minutes_at_or_above_threshold: int
    verdict: str  # positive | negative | indeterminate
    reasons: list[str] = field(default_factory=list)
    relief_beyond_window: bool = False  # flagged for review, not rejected
    function_improved: bool | None = None


def analyse(
    *, baseline_pain: int, anesthetic: str, readings: list[Reading], rules: Rules
) -> Verdict:
    """The verdict of one diagnostic block from its baseline and readings."""
    raise NotImplementedError
