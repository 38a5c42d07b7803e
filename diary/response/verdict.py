"""The diagnostic verdict of one block (``analyse``), from its readings. Pure: no I/O.

- Only readings at or after the block count (a pre-block reading is the baseline's business,
  not the response's); they are sorted by time, so the order they arrived in (an entry
  recorded offline and sent hours later) does not matter. Two readings at the same minute
  are both kept, but are one time point: they count once toward the minimum number of
  readings, and the zero-length span between them does not make relief "sustained".
- Relief is ``(baseline - score) / baseline * 100``. With a baseline of 0 it is undefined:
  every relief is None and the verdict is indeterminate.
- The *window* is the expected duration of the anaesthetic (``Rules.lidocaine_window_minutes``
  or ``bupivacaine_window_minutes``); a reading is inside it when ``0 <= minutes <= window``.
  The peak is the highest relief inside the window (the earliest reading, on a tie): relief on
  day 5 is not the anaesthetic's.
- Minutes at or above the threshold: the relief between two readings is known only at its
  ends. A span between two consecutive readings counts in full when both are at or above the
  threshold and at most ``rules.max_reading_gap_minutes`` apart; otherwise it counts nothing. No
  crossing time is interpolated (that would invent a precision the diary does not have), and
  nothing is extrapolated before the first reading or after the last. The total is over every
  reading, not only those in the window, so that a comparative pair can be told apart.
- Indeterminate: baseline 0; fewer than ``min_readings_in_window`` readings in the window;
  or, when ``first_hour_reading_required``, no reading in the first hour. Each is a reason.
- Positive: relief sustained - two consecutive readings inside the window, both at or above
  the threshold, counted as a span (so the peak is at or above it too) - and function not
  contradicting. Negative otherwise.
- Function, judged at the readings inside the window with relief at or above the threshold
  (at a reading with pain, not managing the activity is what one expects): any
  ``activity_ok=False`` there contradicts the scores and the block is not positive - a false
  positive leads to an ablation, so conflicting evidence is not enough; an ``activity_ok=True``
  confirms it; nothing reported leaves it positive, with the reason "function not reported".
- Relief at or above the threshold at a reading later than ``rules.beyond_window_factor`` windows
  sets ``relief_beyond_window`` and a reason "flagged for review"; the verdict is unchanged.
"""

import itertools
from dataclasses import dataclass, field

from diary.response import words
from diary.response.relief import relief_percent
from diary.rules import Rules

POSITIVE, NEGATIVE, INDETERMINATE = "positive", "negative", "indeterminate"
PROVISIONAL = "provisional"  # the window is still open (diary.provisional)
LIDOCAINE, BUPIVACAINE = "lidocaine", "bupivacaine"

FIRST_HOUR_MINUTES = 60


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
    activity_ok: bool | None = None


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
    anesthetic: str = ""
    # Whether a reading below the threshold (no more than the rules' gap later) closed the
    # last counted span of relief. False: relief was still at or above the threshold when
    # the readings stopped or thinned out, so minutes_at_or_above_threshold is a lower bound.
    # None: no span was counted.
    relief_end_observed: bool | None = None
    # Readings before the block: the baseline's, shown apart and never as relief.
    pre_block_readings: list[Reading] = field(default_factory=list)
    # Set while the window is open (diary.provisional): which way it leans, and what is due.
    leaning: str | None = None
    provisional_until_minutes: int | None = None
    still_due: int = 0
    still_due_by_minutes: int | None = None


def expected_window_minutes(anesthetic: str, rules: Rules) -> int:
    """How long the anaesthetic is expected to act, from the clinic's rules."""
    windows = {
        LIDOCAINE: rules.lidocaine_window_minutes,
        BUPIVACAINE: rules.bupivacaine_window_minutes,
    }
    if anesthetic not in windows:
        raise ValueError(f"Unknown anaesthetic {anesthetic!r}; known: {', '.join(windows)}.")
    return windows[anesthetic]


def analyse(
    *, baseline_pain: int, anesthetic: str, readings: list[Reading], rules: Rules
) -> Verdict:
    """The verdict of one diagnostic block from its baseline and readings (see the module)."""
    threshold = rules.positive_relief_percent
    window = expected_window_minutes(anesthetic, rules)
    after = sorted(
        (r for r in readings if r.minutes_after_block >= 0), key=lambda r: r.minutes_after_block
    )
    series = [
        ReadingRelief(
            r.minutes_after_block,
            r.pain_score,
            relief_percent(baseline_pain, r.pain_score),
            r.activity_ok,
        )
        for r in after
    ]
    in_window = [r for r in series if r.minutes_after_block <= window]
    relieved = [r for r in in_window if _at_or_above(r, threshold)]
    spans, gaps = _spans(series, threshold, rules.max_reading_gap_minutes)
    in_window_spans = [(a, b) for a, b in spans if b.minutes_after_block <= window]
    peak = max(
        (r for r in in_window if r.relief_percent is not None),
        key=lambda r: r.relief_percent,
        default=None,
    )
    function_improved, function_reason = _function(relieved, threshold)
    where = f"the expected {anesthetic} window ({words.duration(window)})"

    missing = _missing(baseline_pain, series, in_window, where, rules)
    if missing:
        verdict = INDETERMINATE
    elif in_window_spans and function_improved is not False:
        verdict = POSITIVE
    else:
        verdict = NEGATIVE

    minutes = sum(b.minutes_after_block - a.minutes_after_block for a, b in spans)
    reasons = [*missing]
    if peak is not None:
        reasons.append(_score_reason(peak, threshold, minutes, spans, window, where))
    if function_reason:
        reasons.append(function_reason)
    reasons.extend(
        f"relief ≥ {threshold} % at {words.duration(a.minutes_after_block)} and at "
        f"{words.duration(b.minutes_after_block)}, but the "
        f"{words.duration(b.minutes_after_block - a.minutes_after_block)} between them is not "
        f"counted: too long without a reading"
        for a, b in gaps
        if a.minutes_after_block <= window
    )
    late = next(
        (
            r
            for r in series
            if r.minutes_after_block > rules.beyond_window_factor * window
            and _at_or_above(r, threshold)
        ),
        None,
    )
    if late is not None:
        reasons.append(
            f"relief {words.percent(late.relief_percent)} at "
            f"{words.duration(late.minutes_after_block)}, "
            f"long after {where}: flagged for review"
        )
    if len(after) < len(readings):
        before = len(readings) - len(after)
        reasons.append(f"{words.count(before, 'reading')} before the block not counted")

    return Verdict(
        baseline_pain=baseline_pain,
        threshold_percent=threshold,
        expected_window_minutes=window,
        readings=series,
        peak_relief_percent=peak.relief_percent if peak else None,
        peak_at_minutes=peak.minutes_after_block if peak else None,
        minutes_at_or_above_threshold=minutes,
        verdict=verdict,
        reasons=reasons,
        relief_beyond_window=late is not None,
        function_improved=function_improved,
        anesthetic=anesthetic,
        relief_end_observed=_end_observed(series, spans, threshold, rules.max_reading_gap_minutes),
        pre_block_readings=sorted(
            (r for r in readings if r.minutes_after_block < 0), key=lambda r: r.minutes_after_block
        ),
    )


def _at_or_above(reading: ReadingRelief, threshold: int) -> bool:
    return reading.relief_percent is not None and reading.relief_percent >= threshold


def _spans(series: list[ReadingRelief], threshold: int, max_gap: int):
    """Consecutive pairs both at or above the threshold: (counted, too far apart to count)."""
    spans, gaps = [], []
    for a, b in itertools.pairwise(series):
        if a.minutes_after_block == b.minutes_after_block:
            continue  # one time point, entered twice
        if _at_or_above(a, threshold) and _at_or_above(b, threshold):
            near = b.minutes_after_block - a.minutes_after_block <= max_gap
            (spans if near else gaps).append((a, b))
    return spans, gaps


def _end_observed(series, spans, threshold: int, max_gap: int) -> bool | None:
    if not spans:
        return None
    end = spans[-1][1]
    # By identity: two readings at the same minute with the same score are equal.
    following = series[next(i for i, r in enumerate(series) if r is end) + 1 :]
    if not following:
        return False
    after = following[0]
    near = after.minutes_after_block - end.minutes_after_block <= max_gap
    return near and not _at_or_above(after, threshold)


def _missing(baseline_pain, series, in_window, where, rules: Rules) -> list[str]:
    """Why the diary cannot decide the block, if it cannot."""
    missing = []
    if baseline_pain <= 0:
        missing.append("baseline pain 0: relief cannot be computed against it")
    times = len({r.minutes_after_block for r in in_window})
    if times < rules.min_readings_in_window:
        count = words.count(times, "reading") if in_window else "no reading"
        missing.append(
            f"{'only ' if in_window else ''}{count} in {where}; "
            f"at least {rules.min_readings_in_window} needed"
        )
    if rules.first_hour_reading_required and not any(
        r.minutes_after_block <= FIRST_HOUR_MINUTES for r in series
    ):
        missing.append("no reading in the first hour")
    return missing


def _score_reason(peak, threshold, minutes, spans, window, where) -> str:
    said = (
        f"peak {words.percent(peak.relief_percent)} relief at "
        f"{words.duration(peak.minutes_after_block)}"
    )
    if peak.relief_percent < threshold:
        return f"{said}, below the {threshold} % threshold"
    if not spans or spans[0][1].minutes_after_block > window:
        return (
            f"{said}, but not sustained: no two consecutive readings in {where} "
            f"were both ≥ {threshold} %"
        )
    within = spans[-1][1].minutes_after_block <= window
    return f"{said}, ≥ {threshold} % for {words.duration(minutes)}, " + (
        f"within {where}" if within else f"lasting past {where}"
    )


def _function(relieved: list[ReadingRelief], threshold: int) -> tuple[bool | None, str]:
    """Function at the readings with relief at or above the threshold inside the window."""
    if not relieved:
        return None, ""
    failed = next((r for r in relieved if r.activity_ok is False), None)
    if failed is not None:
        return False, (
            f"could not do the painful activity at {words.duration(failed.minutes_after_block)} "
            f"despite {words.percent(failed.relief_percent)} relief: function does not support "
            f"the scores"
        )
    managed = next((r for r in relieved if r.activity_ok), None)
    if managed is not None:
        return True, (
            "could do a previously painful activity at "
            f"{words.duration(managed.minutes_after_block)}"
        )
    return None, f"function not reported while relief was ≥ {threshold} %"
