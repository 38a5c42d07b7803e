"""Whether a patient may go on to radiofrequency ablation (``rfa_readiness``). Pure: no I/O."""

from dataclasses import dataclass, field
from datetime import datetime

from diary.response import words
from diary.response.concordance import concordance
from diary.response.verdict import BUPIVACAINE, LIDOCAINE, POSITIVE, Verdict
from diary.rules import Rules

DIAGNOSTIC_MBB, CANCELLED = "diagnostic_mbb", "cancelled"


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
    counted = words.count(len(days), "diagnostic session")
    said = f"{counted} in the 12 months to {now.date():%Y-%m-%d}"
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
    return f"#{block.id} ({block.anesthetic}, {words.iso_date(block.performed_at.date())})"


def _verdict_of(block: BlockSummary) -> str:
    return block.verdict.verdict if block.verdict is not None else "not analysed"
