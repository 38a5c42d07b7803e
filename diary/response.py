"""The diagnostic response to a block, from the diary's readings. Pure: no I/O.

One block (``analyse``):

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

A series of blocks: ``concordance`` (a comparative lidocaine/bupivacaine pair) and
``rfa_readiness`` (two positive diagnostic blocks before ablation); see their docstrings.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

from diary.rules import Rules

POSITIVE, NEGATIVE, INDETERMINATE = "positive", "negative", "indeterminate"
PROVISIONAL = "provisional"  # the window is still open (diary.provisional)
LIDOCAINE, BUPIVACAINE = "lidocaine", "bupivacaine"
DIAGNOSTIC_MBB, CANCELLED = "diagnostic_mbb", "cancelled"

FIRST_HOUR_MINUTES = 60


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


# --- The diagnostic verdict of one block ---------------------------------------------------


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
    where = f"the expected {anesthetic} window ({_duration(window)})"

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
        f"relief ≥ {threshold} % at {_duration(a.minutes_after_block)} and at "
        f"{_duration(b.minutes_after_block)}, but the "
        f"{_duration(b.minutes_after_block - a.minutes_after_block)} between them is not "
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
            f"relief {_percent(late.relief_percent)} at {_duration(late.minutes_after_block)}, "
            f"long after {where}: flagged for review"
        )
    if len(after) < len(readings):
        before = len(readings) - len(after)
        reasons.append(f"{_count(before, 'reading')} before the block not counted")

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
        count = _count(times, "reading") if in_window else "no reading"
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
    said = f"peak {_percent(peak.relief_percent)} relief at {_duration(peak.minutes_after_block)}"
    if peak.relief_percent < threshold:
        return f"{said}, below the {threshold} % threshold"
    if not spans or spans[0][1].minutes_after_block > window:
        return (
            f"{said}, but not sustained: no two consecutive readings in {where} "
            f"were both ≥ {threshold} %"
        )
    within = spans[-1][1].minutes_after_block <= window
    return f"{said}, ≥ {threshold} % for {_duration(minutes)}, " + (
        f"within {where}" if within else f"lasting past {where}"
    )


def _function(relieved: list[ReadingRelief], threshold: int) -> tuple[bool | None, str]:
    """Function at the readings with relief at or above the threshold inside the window."""
    if not relieved:
        return None, ""
    failed = next((r for r in relieved if r.activity_ok is False), None)
    if failed is not None:
        return False, (
            f"could not do the painful activity at {_duration(failed.minutes_after_block)} "
            f"despite {_percent(failed.relief_percent)} relief: function does not support "
            f"the scores"
        )
    managed = next((r for r in relieved if r.activity_ok), None)
    if managed is not None:
        return True, (
            f"could do a previously painful activity at {_duration(managed.minutes_after_block)}"
        )
    return None, f"function not reported while relief was ≥ {threshold} %"


# --- A series of blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Concordance:
    concordant: bool | None  # None: cannot be told from these two diaries
    reasons: list[str] = field(default_factory=list)


def concordance(lidocaine: Verdict, bupivacaine: Verdict) -> Concordance:
    """Comparative blocks (Barnsley 1993): concordant when bupivacaine relief outlasts lidocaine.

    Compares ``minutes_at_or_above_threshold``. Needs both blocks positive (otherwise there is
    no relief to compare: None). When the shorter-looking relief was still running as its
    readings stopped (``relief_end_observed`` False), its duration is only a lower bound and
    the answer is None rather than a guess.
    """
    for name, verdict in ((LIDOCAINE, lidocaine), (BUPIVACAINE, bupivacaine)):
        if verdict.anesthetic and verdict.anesthetic != name:
            raise ValueError(f"The {name} verdict is of a {verdict.anesthetic} block.")
    not_positive = [
        f"the {name} block is {v.verdict}: comparing durations needs two positive blocks"
        for name, v in ((LIDOCAINE, lidocaine), (BUPIVACAINE, bupivacaine))
        if v.verdict != POSITIVE
    ]
    if not_positive:
        return Concordance(None, not_positive)
    lido, bupi = lidocaine.minutes_at_or_above_threshold, bupivacaine.minutes_at_or_above_threshold
    durations = (
        f"bupivacaine ≥ {bupivacaine.threshold_percent} % for {_duration(bupi)}, "
        f"lidocaine ≥ {lidocaine.threshold_percent} % for {_duration(lido)}"
    )
    if bupi > lido:
        if lidocaine.relief_end_observed is False:
            return Concordance(None, [_unfinished(LIDOCAINE, durations)])
        return Concordance(
            True, [f"concordant: bupivacaine relief outlasted lidocaine ({durations})"]
        )
    if bupivacaine.relief_end_observed is False:
        return Concordance(None, [_unfinished(BUPIVACAINE, durations)])
    return Concordance(
        False, [f"discordant: bupivacaine relief did not outlast lidocaine ({durations})"]
    )


def _unfinished(name: str, durations: str) -> str:
    return (
        f"cannot tell which relief lasted longer ({durations}): the {name} relief had not "
        f"ended when its readings stopped"
    )


@dataclass(frozen=True)
class BlockSummary:
    """One of a patient's blocks, with its verdict (None when not analysed)."""

    id: int
    performed_at: datetime  # in the clinic's time zone: its date is the date of service
    levels: str  # e.g. "L4-L5,L5-S1"
    side: str
    anesthetic: str
    kind: str
    status: str
    verdict: Verdict | None = None


@dataclass(frozen=True)
class Readiness:
    ready: bool
    blocks: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def rfa_readiness(blocks: list[BlockSummary], rules: Rules, now: datetime) -> Readiness:
    """Whether the patient may go on to radiofrequency ablation (Medicare's default criteria).

    - The blocks that count are diagnostic MBBs, not cancelled, done by ``now``.
    - Ready when, for some levels and side (the set of levels, in any order, and the same
      side), two blocks are positive and the second is at least
      ``rfa_min_days_between_blocks`` days (dates of service) after the first, and the
      patient had at most ``rfa_max_sessions_per_year`` diagnostic sessions in the 12 months
      before ``now``. A session is a date of service; the region is the lumbar spine (every
      block of this diary), whatever the levels or side.
    - When several pairs qualify, the most recent is taken. A comparative pair (one
      lidocaine, one bupivacaine) gets the concordance reason; Medicare does not ask for
      comparative blocks, so discordance is for the clinician, not a bar. A non-positive
      block on the same levels and side after the pair is reported for review.
    - ``blocks``: the qualifying pairs' ids when a pair qualifies, otherwise the ids of the
      positive diagnostic blocks found, by date.
    """
    diagnostic = sorted(
        (
            b
            for b in blocks
            if b.kind == DIAGNOSTIC_MBB and b.status != CANCELLED and b.performed_at <= now
        ),
        key=lambda b: (b.performed_at, b.id),
    )
    if not diagnostic:
        return Readiness(False, [], ["no diagnostic medial branch block yet"])
    reasons, paired, positives = [], [], []
    for label, group in _by_levels_and_side(diagnostic):
        pair, group_reasons = _pair(group, rules)
        reasons.extend(f"{label}: {reason}" for reason in group_reasons)
        paired.extend(pair)
        positives.extend(b for b in group if _positive(b))
    sessions, sessions_reason = _sessions(diagnostic, rules, now)
    reasons.append(sessions_reason)
    ready = bool(paired) and sessions <= rules.rfa_max_sessions_per_year
    chosen = paired or positives
    return Readiness(ready, [b.id for b in sorted(chosen, key=lambda b: b.performed_at)], reasons)


def _positive(block: BlockSummary) -> bool:
    return block.verdict is not None and block.verdict.verdict == POSITIVE


def _by_levels_and_side(diagnostic: list[BlockSummary]):
    """(label, blocks by date) for each levels-and-side, the most recently blocked first."""
    groups: dict[tuple, list[BlockSummary]] = {}
    for block in diagnostic:
        levels = frozenset(p.strip().upper() for p in block.levels.split(",") if p.strip())
        groups.setdefault((levels, block.side), []).append(block)
    ordered = sorted(groups.values(), key=lambda g: g[-1].performed_at, reverse=True)
    return [(f"{g[-1].levels} {g[-1].side}", g) for g in ordered]


def _pair(group: list[BlockSummary], rules: Rules) -> tuple[list[BlockSummary], list[str]]:
    """The most recent qualifying pair of positive blocks in one levels-and-side, and why."""
    positives = [b for b in group if _positive(b)]
    least = rules.rfa_min_days_between_blocks
    for j in range(len(positives) - 1, 0, -1):
        second = positives[j]
        earlier = [a for a in positives[:j] if _days(a, second) >= least]
        if earlier:
            first = earlier[-1]
            reasons = [
                f"two positive diagnostic blocks, {_named(first)} and {_named(second)}, "
                f"{_days(first, second)} days apart (at least {least})"
            ]
            reasons.extend(_comparison(first, second))
            reasons.extend(
                f"{_named(b)}, after the pair, was {_verdict_of(b)}: for review"
                for b in group
                if b.performed_at > second.performed_at and not _positive(b)
            )
            return [first, second], reasons
    if len(positives) >= 2:
        first, second = positives[-2], positives[-1]
        return [], [
            f"positive blocks {_named(first)} and {_named(second)} are only "
            f"{_days(first, second)} days apart; the second must be at least {least} days "
            f"after the first"
        ]
    if positives:
        return [], [
            f"one positive diagnostic block ({_named(positives[0])}); a second is needed at "
            f"least {least} days after it"
        ]
    others = ", ".join(f"{_named(b)} {_verdict_of(b)}" for b in group)
    return [], [f"no positive diagnostic block ({others})"]


def _comparison(first: BlockSummary, second: BlockSummary) -> list[str]:
    by_drug = {first.anesthetic: first, second.anesthetic: second}
    if set(by_drug) != {LIDOCAINE, BUPIVACAINE}:
        return []
    return concordance(by_drug[LIDOCAINE].verdict, by_drug[BUPIVACAINE].verdict).reasons


def _sessions(diagnostic: list[BlockSummary], rules: Rules, now: datetime) -> tuple[int, str]:
    since = _year_before(now)
    days = {b.performed_at.date() for b in diagnostic if b.performed_at > since}
    most = rules.rfa_max_sessions_per_year
    said = f"{_count(len(days), 'diagnostic session')} in the 12 months to {now.date():%Y-%m-%d}"
    if len(days) > most:
        return len(days), f"{said}: more than the {most} allowed for the lumbar region"
    return len(days), f"{said}, within the {most} allowed for the lumbar region"


def _year_before(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year - 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - 1, day=28)


def _days(first: BlockSummary, second: BlockSummary) -> int:
    return (second.performed_at.date() - first.performed_at.date()).days


def _named(block: BlockSummary) -> str:
    return f"#{block.id} ({block.anesthetic}, {_date(block.performed_at.date())})"


def _verdict_of(block: BlockSummary) -> str:
    return block.verdict.verdict if block.verdict is not None else "not analysed"


# --- Words --------------------------------------------------------------------------------


def _date(day: date) -> str:
    return day.isoformat()


def _percent(value: float) -> str:
    return f"{value:g} %"


def _duration(minutes: int) -> str:
    """45 → "45 min", 120 → "2 h", 150 → "2 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
