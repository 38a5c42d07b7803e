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
    passes: list  # alert_runner.Pass, the warm-up first, then the bursts' warm-ups and flags
    arrivals: list  # alert_receiver.Arrival
    times: dict  # alert id -> {created, started, finished, attempts, status}
    tasks: list  # alert_worker_log.Task
    seeded: dict
    notes: list[str]
    rerun: str
    gunicorn_log: str
    elapsed_s: float
    bursts: list = field(default_factory=list)  # alert_burst.Burst
    first_arrival: dict = field(default_factory=dict)  # alert id -> time.time()
    triggered: Counter = field(default_factory=Counter)  # alert id -> alert.triggered seen

    def __post_init__(self):
        for arrival in self.arrivals:
            if arrival.event == TRIGGERED and arrival.alert_id is not None:
                self.triggered[arrival.alert_id] += 1
                self.first_arrival.setdefault(arrival.alert_id, arrival.at)


def latencies_s(run, first_arrival: dict) -> list[float]:
    """Arrival minus the POST's answer for each red flag, sorted; a missing page is +inf."""
    return flag_latencies_s(run.flags, first_arrival)


def flag_latencies_s(flags, first_arrival: dict) -> list[float]:
    values = [
        first_arrival.get(flag.alert_id, math.inf) - flag.answered_at
        for flag in flags
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
    for burst in results.bursts:
        delivery = burst.delivery
        if delivery is None or delivery.due != burst.size:
            made = delivery.due if delivery else 0
            found.append(f"{burst.flags.name}: {made} reminders made due, not {burst.size}")
        elif delivery.duplicates or delivery.missing or delivery.unexpected:
            found.append(
                f"{burst.flags.name}: reminders duplicated {delivery.duplicates}, missing "
                f"{delivery.missing}, unexpected {delivery.unexpected}"
            )
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
    timed = [run for run in results.passes if not run.warmup]
    print()
    print_latency(timed, results)
    print_breakdown([run for run in timed if run.burst is None], results)
    if results.bursts:
        print_bursts(results)
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
        print(
            f"| {run.name} | {background(run)} | {len(run.flags)} | {len(late) - missing} "
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
    for warmup in (run for run in results.passes if run.warmup and run.flags):
        late = latencies_s(warmup, results.first_arrival)
        print(
            f"{warmup.name} (not counted): {len(late)} red flags, pages "
            + ", ".join(_ms(x * 1000) for x in late)
            + " ms"
        )
    print()


def background(run) -> str:
    if run.burst is not None:
        return f"{run.burst.size:,} reminders due at T0; {run.burst.workers}"
    if run.background:
        return f"{run.load.get('per_s', 0):.1f} routine entries/s"
    return "none"


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


def print_bursts(results: Results) -> None:
    """The reminders of each burst pass, and where its alerts' time went."""
    bursts = results.bursts
    print(
        "| pass | workers | reminders due | delivered | dup | missing | delivered/s "
        "| first s after T0 | last s after T0 | claim ticks s | red flags answered before the "
        "last | their page p99 ms | max ms | alert sends by the alerts worker |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|")
    for burst in bursts:
        d = burst.delivery
        during = burst.during_drain()
        late = flag_latencies_s(during, results.first_arrival)
        claims = ", ".join(f"{s:.1f} ({n:,})" for s, n in d.claim_ticks) or "-"
        sends = f"{burst.alerts_worker_sends}" if burst.alerts_worker else "(none running)"
        print(
            f"| {burst.flags.name} | {burst.workers} | {d.due:,} | {d.unique:,} | {d.duplicates} "
            f"| {d.missing} | {d.per_s:,.0f} | {_s(d.late_percentile(0.0))} "
            f"| {_s(burst.drained_s)} | {claims} | {len(during)}/{len(burst.flags.flags)} "
            f"| {_ms(percentile_ms(late, 0.99))} | {_ms(late[-1] * 1000 if late else math.nan)} "
            f"| {sends} |"
        )
    print()
    planning = bursts[0].planning
    print(
        f"Burst: reminders to FCM devices (bench.dispatch_plan: {planning['patients']:,} patients "
        f"with a device, {planning['checkins']:,} check-ins planned by SQL in "
        f"{planning['seconds']:.1f} s; the red-flag patients' {planning['withheld']:,} reminders "
        "from an hour on withheld, so that every reminder made due goes to a device), all due at "
        "T0, pushed to bench.dispatch_receiver. 'first'/'last': arrivals at the FCM stand-in "
        "after T0; delivered/s from the first to the last. 'claim ticks': the beat ticks that "
        "claimed them (run time in the worker, reminders). 'red flags answered before the "
        "last': those raised while reminders were still being delivered, and their pages' p99 "
        "and max. 'alert sends by the alerts worker': send tasks in its log while the flags "
        "were timed (the rest ran in the main worker)."
    )
    for burst in bursts:
        d = burst.delivery
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(d.db.get("by_status", {}).items()))
        late = {
            flag.sent_at - burst.t0: results.first_arrival.get(flag.alert_id, math.inf)
            - flag.answered_at
            for flag in burst.flags.flags
        }
        slow = [(posted, x) for posted, x in sorted(late.items()) if x >= GOAL_P99_MS / 1000]
        fast = [x for x in late.values() if x < GOAL_P99_MS / 1000]
        listed = ", ".join(f"T0+{posted:.2f} s ({_ms(x * 1000)} ms)" for posted, x in slow[:10])
        taken = burst.main_received_after_t0
        when = f", the first {taken[0]:.2f} s and the last {taken[-1]:.2f} s after" if taken else ""
        print(
            f"  {burst.flags.name}: deliveries {statuses}; {d.db.get('attempt_rows', 0):,} "
            f"attempt rows; {d.send_tasks} send tasks and {d.ticks} ticks in the main worker; "
            f"{burst.errors_in_logs} errors logged by the workers; {len(slow)} red flags paged "
            f"{GOAL_P99_MS:g} ms or more after the answer"
            + (f", posted at {listed}" if slow else "")
            + (f"; the other {len(fast)} at most {max(fast) * 1000:.0f} ms" if fast else "")
            + f"; the main worker took {len(taken)} send tasks from Redis after T0"
            + when
        )
    print()
    print("| step (ms) | " + " | ".join(f"{b.flags.name} p50 | p99 | max" for b in bursts) + " |")
    print("|---|" + "---:|---:|---:|" * len(bursts))
    rows = {}
    for burst in bursts:
        for name, values in _burst_segments(burst.flags, results).items():
            ordered = sorted(values)
            rows.setdefault(name, []).append(
                f"{percentile_ms(ordered, 0.5):.1f} | {percentile_ms(ordered, 0.99):.1f} "
                f"| {ordered[-1] * 1000 if ordered else math.nan:.1f}"
            )
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    print(
        "Where a burst pass's alert time goes: 'send started' is the DeliveryAttempt's "
        "started_at, so 'POST answered → webhook send started' is the wait in Redis and in the "
        "worker together (the log cannot tell an alert's task from a reminder batch)."
    )
    print()


def _burst_segments(run, results: Results) -> dict[str, list[float]]:
    steps = {
        "alert row written → POST answered": [],
        "POST answered → webhook send started": [],
        "send started → receiver": [],
    }
    names = list(steps)
    for flag in run.flags:
        times = results.times.get(flag.alert_id)
        arrived = results.first_arrival.get(flag.alert_id)
        if times is None:
            continue
        steps[names[0]].append(flag.answered_at - times["created"])
        if times["started"] is not None:
            steps[names[1]].append(times["started"] - flag.answered_at)
            if arrived is not None:
                steps[names[2]].append(arrived - times["started"])
    return steps


def _s(value: float) -> str:
    return "never" if value == math.inf else f"{value:.1f}"


def print_goal(timed, results: Results) -> None:
    loaded = [run for run in timed if run.background]
    for run in loaded:
        p99 = percentile_ms(latencies_s(run, results.first_arrival), 0.99)
        verdict = "met" if p99 < GOAL_P99_MS else "NOT met"
        print(
            f"goal: p99 under {GOAL_P99_MS:g} ms with the background load: {_ms(p99)} ms, {verdict}"
        )
    for burst in results.bursts:
        late = latencies_s(burst.flags, results.first_arrival)
        p99 = percentile_ms(late, 0.99)
        figures = f"p99 {_ms(p99)} ms, max {_ms(late[-1] * 1000 if late else math.nan)} ms"
        if burst.setup.name == "exclusive":  # as the Procfile and compose run it
            verdict = "met" if p99 < GOAL_P99_MS else "NOT met"
            print(
                f"goal: p99 under {GOAL_P99_MS:g} ms during a burst of {burst.size:,} reminders, "
                f"as production runs it ({burst.workers}): {figures}, {verdict}"
            )
        else:
            print(
                f"the same burst with {burst.workers} (comparison, not the production set-up): "
                f"{figures}"
            )
    found = problems(results)
    print("each alert paged exactly once, signed, nothing else: " + ("yes" if not found else "NO"))
    for problem in found:
        print(f"  {problem}")
