"""Whether a comparative pair of blocks is concordant (Barnsley 1993). Pure: no I/O."""

from dataclasses import dataclass, field

from diary.response import words
from diary.response.verdict import BUPIVACAINE, LIDOCAINE, POSITIVE, Verdict


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
        f"bupivacaine ≥ {bupivacaine.threshold_percent} % for {words.duration(bupi)}, "
        f"lidocaine ≥ {lidocaine.threshold_percent} % for {words.duration(lido)}"
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
