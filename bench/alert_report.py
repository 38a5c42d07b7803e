"""The printed result of bench/alert_latency: Markdown tables, then the goal's verdict."""

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field

from bench.alert_receiver import TRIGGERED
from bench.alert_worker_log import match_sends, tick_running, ticks_between
from bench.report import percentile_ms

GOAL_P99_MS = 500.0
# Logged by notifications.alerts for every alert here: the on-call staff member has no
# channel on purpose (only the webhook is timed), so no page row is made.
EXPECTED_ERROR = "nobody can be paged"


@dataclass
class Results:
    passes: list  # alert_runner.Pass, the warm-up first
    arrivals: list  # alert_receiver.Arrival
    times: dict  # alert id -> {created, started, finished, attempts, status}
    tasks: list  # alert_worker_log.Task
    seeded: dict
    notes: list[str]
    rerun: str
    gunicorn_log: str
    elapsed_s: float
    first_arrival: dict = field(default_factory=dict)  # alert id -> time.time()
    triggered: Counter = field(default_factory=Counter)  # alert id -> alert.triggered seen

    def __post_init__(self):
        for arrival in self.arrivals:
            if arrival.event == TRIGGERED and arrival.alert_id is not None:
                self.triggered[arrival.alert_id] += 1
                self.first_arrival.setdefault(arrival.alert_id, arrival.at)


def latencies_s(run, first_arrival: dict) -> list[float]:
    """Arrival minus the POST's answer for each red flag, sorted; a missing page is +inf."""
    values = [
        first_arrival.get(flag.alert_id, math.inf) - flag.answered_at
        for flag in run.flags
        if flag.alert_id is not None
    ]
    return sorted(values)


def _ms(value: float) -> str:
    return "never" if value == math.inf else f"{value:.0f}"


def progress(run, receiver) -> None:
    first = {}
    for arrival in receiver.arrivals():
        if arrival.event == TRIGGERED:
            first.setdefault(arrival.alert_id, arrival.at)
    late = latencies_s(run, first)
    arrived = sum(1 for x in late if x != math.inf)
    print(
        f"  {arrived}/{len(run.flags)} paged; p50 {_ms(percentile_ms(late, 0.5))} ms, "
        f"p99 {_ms(percentile_ms(late, 0.99))} ms after the POST's answer"
    )


def correct(results: Results) -> bool:
    """Every red flag answered with an alert, each paged exactly once, signed, nothing else."""
    return not problems(results)


def problems(results: Results) -> list[str]:
    found = []
    ours = set().union(*(run.alert_ids for run in results.passes))
    for run in results.passes:
        failed = [flag.error for flag in run.flags if flag.error or flag.alert_id is None]
        if failed:
            found.append(f"{run.name}: {len(failed)} POSTs without an alert, e.g. {failed[0]}")
        missing = run.alert_ids - set(results.first_arrival)
        if missing:
            found.append(f"{run.name}: {len(missing)} alerts never paged: {sorted(missing)[:10]}")
        if len(run.alert_ids) != len([f for f in run.flags if f.alert_id is not None]):
            found.append(f"{run.name}: two red flags answered with the same alert")
        if run.background and (not run.load or run.load.get("errors")):
            found.append(f"background load: {run.load or 'no result'}")
    # The receiver always answers 200 at once: anything but one attempt means a retry or a
    # re-send the receiver's count could miss (sent after the bench stopped listening).
    unsent = [
        a
        for a in sorted(ours)
        if results.times.get(a, {}).get("status") != "sent" or results.times[a]["attempts"] != 1
    ]
    if unsent:
        found.append(f"{len(unsent)} webhook deliveries not sent at exactly one attempt")
    duplicates = {a: n for a, n in results.triggered.items() if n > 1}
    if duplicates:
        found.append(f"alert.triggered more than once: {duplicates}")
    unsigned = [a for a in results.arrivals if not a.signed]
    if unsigned:
        found.append(f"{len(unsigned)} webhooks with a wrong X-Signature-256")
    stray = [a for a in results.arrivals if a.event != TRIGGERED or a.alert_id not in ours]
    if stray:
        found.append(f"{len(stray)} webhooks that were not one of the alerts' triggered events")
    keys = [a for a in results.arrivals if a.key != f"alert-{a.alert_id}-0-triggered"]
    if keys:
        found.append(f"{len(keys)} webhooks with an unexpected X-Idempotency-Key: {keys[0].key}")
    return found


# --- Printing ------------------------------------------------------------------------------


def print_report(results: Results) -> None:
    timed = [run for run in results.passes if run.name != "warm-up"]
    print()
    print_latency(timed, results)
    print_breakdown(timed, results)
    print_goal(timed, results)
    print()
    for note in results.notes:
        print(note)
    print(f"rerun: {results.rerun}")
    print(f"whole run: {results.elapsed_s:.0f} s")


def print_latency(timed, results: Results) -> None:
    print(
        "| pass | background | red flags | paged | missing | dup | page p50 ms | p90 ms "
        "| p99 ms | max ms | POST p50 ms | POST p99 ms | machine busy | other work |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in timed:
        late = latencies_s(run, results.first_arrival)
        posts = sorted(flag.answered_at - flag.sent_at for flag in run.flags)
        missing = sum(1 for x in late if x == math.inf)
        dup = sum(1 for a in run.alert_ids if results.triggered[a] > 1)
        load = run.load
        background = f"{load.get('per_s', 0):.1f} routine entries/s" if run.background else "none"
        print(
            f"| {run.name} | {background} | {len(run.flags)} | {len(late) - missing} "
            f"| {missing} | {dup} | {_ms(percentile_ms(late, 0.5))} "
            f"| {_ms(percentile_ms(late, 0.9))} | {_ms(percentile_ms(late, 0.99))} "
            f"| {_ms(late[-1] * 1000 if late else math.nan)} "
            f"| {percentile_ms(posts, 0.5):.0f} | {percentile_ms(posts, 0.99):.0f} "
            f"| {run.machine_busy:.0%} | {run.other_share:.0%} |"
        )
    print()
    print(
        "page: arrival of the alert's alert.triggered at the webhook receiver minus the moment the "
        "red-flag POST's answer was read (both time.time() here), matched by alert id. POST: "
        "the red-flag POST itself. machine busy: share of all cores busy during the pass; other "
        "work: the part of it used by none of the bench's processes (gunicorn, worker, beat, "
        "load clients, the bench, Redis, PostgreSQL's backends of the bench's database and its "
        "writers), i.e. other jobs and the kernel: "
        "above 15 % the figures are noisy."
    )
    for run in timed:
        if run.background and run.load:
            load = run.load
            print(
                f"background load ({run.name}): {load['posts']:,} routine POSTs in "
                f"{load['seconds']:.1f} s = {load['per_s']:.1f}/s for {load.get('patients')} "
                f"other patients, errors {load['errors'] or 0}, POST p50 "
                f"{load['p50_ms']:.0f} ms / p99 {load['p99_ms']:.0f} ms, clients at most "
                f"{load['max_behind_ms']:.0f} ms behind their timetable"
            )
    warmup = [run for run in results.passes if run.name == "warm-up"]
    if warmup and warmup[0].flags:
        late = latencies_s(warmup[0], results.first_arrival)
        print(
            f"warm-up (not counted): {len(late)} red flags, pages "
            + ", ".join(_ms(x * 1000) for x in late)
            + " ms"
        )
    print()


def _segments(run, results: Results, sends: dict) -> dict[str, list[float]]:
    """Seconds of each step of each alert of the pass, where the log and the rows tell."""
    steps = {
        "alert row written → POST answered": [],
        "POST answered → worker received the task": [],
        "worker received → webhook send started": [],
        "send started → receiver": [],
        "send task's run time": [],
    }
    names = list(steps)
    for flag in run.flags:
        times = results.times.get(flag.alert_id)
        arrived = results.first_arrival.get(flag.alert_id)
        if times is None:
            continue
        steps[names[0]].append(flag.answered_at - times["created"])
        task = sends.get(flag.alert_id)
        if task is not None and task.received is not None:
            steps[names[1]].append(task.received - flag.answered_at)
            if times["started"] is not None:
                steps[names[2]].append(times["started"] - task.received)
            if task.runtime_s is not None:
                steps[names[4]].append(task.runtime_s)
        if times["started"] is not None and arrived is not None:
            steps[names[3]].append(arrived - times["started"])
    return steps


def print_breakdown(timed, results: Results) -> None:
    sends = match_sends(results.tasks, results.times)
    print("| step (ms) | " + " | ".join(f"{run.name} p50 | p99 | max" for run in timed) + " |")
    print("|---|" + "---:|---:|---:|" * len(timed))
    rows = {}
    for run in timed:
        for name, values in _segments(run, results, sends).items():
            ordered = sorted(values)
            rows.setdefault(name, []).append(
                f"{percentile_ms(ordered, 0.5):.1f} | {percentile_ms(ordered, 0.99):.1f} "
                f"| {ordered[-1] * 1000 if ordered else math.nan:.1f}"
            )
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(
        "Where an alert's time goes. 'alert row written' is Alert.created_at (in the entry's "
        "transaction, before the COMMIT and the on_commit enqueue); 'worker received' is the "
        "worker's 'Task … received' log line (ms resolution), the send task matched to its "
        "alert by time; 'send started' is the DeliveryAttempt's started_at. Each column is "
        "its own percentile: they do not add up."
    )
    for run in timed:
        ticks = ticks_between(results.tasks, run.started_at, run.ended_at)
        runtimes = [t.runtime_s for t in ticks if t.runtime_s is not None]
        behind_tick = sum(
            1
            for flag in run.flags
            if flag.alert_id in sends and tick_running(results.tasks, sends[flag.alert_id].received)
        )
        sent_once = sum(
            1
            for a in run.alert_ids
            if results.times.get(a, {}).get("attempts") == 1
            and results.times[a]["status"] == "sent"
        )
        print(
            f"  {run.name}: {len(sends.keys() & run.alert_ids)}/{len(run.alert_ids)} send tasks "
            f"found in the worker's log; {len(ticks)} beat ticks ran in the worker meanwhile "
            f"(run time max {max(runtimes, default=0) * 1000:.0f} ms, median "
            f"{(statistics.median(runtimes) if runtimes else 0) * 1000:.0f} ms); {behind_tick} "
            f"alerts' tasks arrived while a tick was running; {sent_once}/{len(run.alert_ids)} "
            "webhook deliveries sent at the first attempt"
        )
    expected = results.gunicorn_log.count(EXPECTED_ERROR)
    other = [
        line
        for line in results.gunicorn_log.splitlines()
        if (" ERROR " in line or "Traceback" in line) and EXPECTED_ERROR not in line
    ]
    print(
        f"  gunicorn logged '{EXPECTED_ERROR}' {expected} times (the on-call staff member has "
        f"no channel, on purpose) and {len(other)} other errors"
        + (f", e.g. {other[0][:200]}" if other else "")
    )
    print()


def print_goal(timed, results: Results) -> None:
    loaded = [run for run in timed if run.background]
    for run in loaded:
        p99 = percentile_ms(latencies_s(run, results.first_arrival), 0.99)
        verdict = "met" if p99 < GOAL_P99_MS else "NOT met"
        print(
            f"goal: p99 under {GOAL_P99_MS:g} ms with the background load: {_ms(p99)} ms, {verdict}"
        )
    found = problems(results)
    print("each alert paged exactly once, signed, nothing else: " + ("yes" if not found else "NO"))
    for problem in found:
        print(f"  {problem}")
