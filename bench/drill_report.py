"""What bench.drill prints: per drill, reminders and pages lost, sent twice, late."""

import math
from collections import Counter
from dataclasses import dataclass, field

from bench.alert_receiver import TRIGGERED
from bench.alert_report import flag_latencies_s

# The goals of issue 10: through a worker kill and a database restart, every reminder
# within 20 s of its time and every page within 10 s of the entry that raised it.
REMINDER_GOAL_S = 20.0
PAGE_GOAL_S = 10.0


@dataclass
class Outcome:
    name: str
    reminders: int = 0
    lost: int = 0
    twice: int = 0  # reminders that reached the phone more than once
    reminder_late_s: list[float] = field(default_factory=list)  # sorted, lost = inf
    pages: int = 0
    pages_lost: int = 0
    pages_twice: int = 0
    page_late_s: list[float] = field(default_factory=list)
    post_errors: int = 0
    restarts: int = 0  # of the main worker, by bin/supervise

    def add_pages(self, flags, arrivals) -> None:
        ids = {flag.alert_id for flag in flags if flag.alert_id is not None}
        triggered = Counter(
            a.alert_id for a in arrivals if a.event == TRIGGERED and a.alert_id in ids
        )
        first: dict[int, float] = {}
        for arrival in sorted(arrivals, key=lambda a: a.at):
            if arrival.event == TRIGGERED and arrival.alert_id in ids:
                first.setdefault(arrival.alert_id, arrival.at)
        self.pages = len(flags)
        self.post_errors = sum(1 for flag in flags if flag.error)
        self.page_late_s = flag_latencies_s(flags, first)
        self.pages_lost = len(ids - set(first)) + self.post_errors
        self.pages_twice = sum(1 for n in triggered.values() if n > 1)

    @property
    def correct(self) -> bool:
        """Nothing lost, no page twice. A reminder push may repeat after a kill (those of
        its ``PUSH_RECORD_GROUP`` sent, not yet recorded): with the same collapse id, so
        the phone replaces it; the table shows how many."""
        return not (self.lost or self.pages_lost or self.pages_twice)


def reminder_outcome(name: str, due_at: dict[str, float], arrived: dict) -> Outcome:
    """From the FCM stand-in's dump: the first arrival of each reminder against its time."""
    first: dict[str, float] = {}
    counts = Counter(arrived["collapse_ids"])
    for at, collapse_id in zip(arrived["times"], arrived["collapse_ids"], strict=True):
        first.setdefault(collapse_id, at)
    late = [first.get(c, math.inf) - due for c, due in due_at.items()]
    return Outcome(
        name=name,
        reminders=len(due_at),
        lost=sum(1 for c in due_at if c not in first),
        twice=sum(1 for c in due_at if counts[c] > 1),
        reminder_late_s=sorted(late),
    )


def quantile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


def _s(value: float) -> str:
    return "never" if value == math.inf else f"{value:.1f}"


def print_table(outcomes: list[Outcome], args) -> None:
    print()
    print(
        f"{args.reminders} reminders due over {args.spread:g} s and {args.pages} pages per "
        f"drill; fault halfway; main worker prefork {args.concurrency}."
    )
    print()
    print(
        "| drill | reminders | lost | twice | late > 20 s | p50 s | p99 s | max s "
        "| pages | lost | twice | late > 10 s | p50 s | p99 s | worker restarts |"
    )
    print("|---|" + "---:|" * 14)
    for o in outcomes:
        r, p = o.reminder_late_s, o.page_late_s
        print(
            f"| {o.name} | {o.reminders} | {o.lost} | {o.twice} "
            f"| {sum(1 for v in r if v > REMINDER_GOAL_S)} | {_s(quantile(r, 0.5))} "
            f"| {_s(quantile(r, 0.99))} | {_s(r[-1] if r else math.nan)} "
            f"| {o.pages} | {o.pages_lost} | {o.pages_twice} "
            f"| {sum(1 for v in p if v > PAGE_GOAL_S)} | {_s(quantile(p, 0.5))} "
            f"| {_s(quantile(p, 0.99))} | {o.restarts} |"
        )
    print()
    print(
        "Lateness: a reminder's arrival at the FCM stand-in minus its due time; a page's "
        "alert.triggered at the webhook minus the red flag's answer. Lost counts as never."
    )
    print(
        "A reminder twice: a push sent by a killed worker (or one whose database went away) "
        "before it was recorded, sent again with the same collapse id (the phone replaces it)."
    )
    verdict = "met" if all(o.correct for o in outcomes) else "MISSED"
    print(f"Nothing lost, no page twice: {verdict}.")
