"""The printed result of bench/ingest: one table row per endpoint, then the verdict."""

import os
import statistics

from bench.load import PhaseResult

GOAL_RATIO = 0.70  # with audit writes on, as the audit trail requires


def print_report(rounds: dict[str, list[PhaseResult]], notes: list[str], queries: dict) -> None:
    print()
    print("| endpoint | requests | errors |   req/s | p50 ms | p99 ms | app CPU ms* | db CPU ms* |")
    print("|----------|---------:|-------:|--------:|-------:|-------:|------------:|-----------:|")
    rates = {}
    for endpoint, phases in rounds.items():
        row, rates[endpoint] = summary_row(endpoint, phases)
        print(row)
    print()
    print(ratio_line(rounds, rates))
    print(cpu_ratio_line(rounds))
    print(
        "SQL statements per POST as Django logs them (with BEGIN/COMMIT, without the "
        f"health-check SELECT 1): bare {queries['noop']}, entry {queries['entry']} "
        f"(first entry, answering the open check-in: {queries['entry_answering_checkin']})"
    )
    print(
        "* CPU time per successful request: gunicorn workers (app) and their PostgreSQL "
        "backends (db); Redis and PostgreSQL's background writers are not counted"
    )
    for note in notes:
        print(note)
    print(client_cpu_note(rounds))


def summary_row(endpoint: str, phases: list[PhaseResult]) -> tuple[str, float]:
    ok = sum(p.ok for p in phases)
    errors = sum(p.error_count for p in phases)
    rate = ok / sum(p.elapsed_s for p in phases)
    latencies = sorted(x for p in phases for x in p.latencies_s)
    app_ms = sum(p.app_cpu_s for p in phases) / max(1, ok) * 1000
    db_ms = sum(p.db_cpu_s for p in phases) / max(1, ok) * 1000
    row = (
        f"| {endpoint:8} | {ok + errors:8} | {errors:6} | {rate:7.1f} "
        f"| {percentile_ms(latencies, 0.50):6.1f} | {percentile_ms(latencies, 0.99):6.1f} "
        f"| {app_ms:11.2f} | {db_ms:10.2f} |"
    )
    return row, rate


def ratio_line(rounds, rates: dict[str, float]) -> str:
    ratio = rates["entries"] / rates["bare"]
    # Each round's pair ran back to back; their median ratio shrugs off a noisy round.
    paired = statistics.median(
        (e.ok / e.elapsed_s) / (b.ok / b.elapsed_s)
        for b, e in zip(rounds["bare"], rounds["entries"], strict=True)
    )
    verdict = "met" if ratio >= GOAL_RATIO else "NOT met"
    return (
        f"entries / bare = {rates['entries']:.1f} / {rates['bare']:.1f} req/s = {ratio:.0%} "
        f"(goal >= {GOAL_RATIO:.0%}: {verdict}); median of the rounds' ratios {paired:.0%}"
    )


def cpu_ratio_line(rounds) -> str:
    """The same comparison in server CPU per request, which other work on the machine
    disturbs less than it does throughput (a busy core slows both endpoints' waits)."""
    per_request = {
        endpoint: sum(p.app_cpu_s + p.db_cpu_s for p in phases) / max(1, sum(p.ok for p in phases))
        for endpoint, phases in rounds.items()
    }
    share = per_request["bare"] / per_request["entries"] if per_request["entries"] else 0.0
    return (
        f"server CPU per request (app + db): bare {per_request['bare'] * 1000:.2f} ms, "
        f"entries {per_request['entries'] * 1000:.2f} ms: bare / entries = {share:.0%}"
    )


def percentile_ms(sorted_s: list[float], fraction: float) -> float:
    if not sorted_s:
        return float("nan")
    index = min(len(sorted_s) - 1, round(fraction * (len(sorted_s) - 1)))
    return sorted_s[index] * 1000


def client_cpu_note(rounds) -> str:
    """How much of the machine the load generator itself took from the server."""
    phases = [p for ph in rounds.values() for p in ph]
    available = sum(p.elapsed_s for p in phases) * len(os.sched_getaffinity(0))
    used = sum(p.client_cpu_s for p in phases)
    return f"client processes used {used / available:.0%} of the machine's CPU time"


def other_work_note(rounds, machine_before, machine_after) -> str:
    """The share of the CPUs that neither the bench's clients nor its server used.

    Other work on a shared box (a test run, say) slows both endpoints at random; a
    large share here means the req/s are noisy, though the CPU ms per request hold.
    """
    busy = machine_after[0] - machine_before[0]
    total = machine_after[1] - machine_before[1]
    phases = [p for ph in rounds.values() for p in ph]
    ours = sum(p.client_cpu_s + p.app_cpu_s + p.db_cpu_s for p in phases)
    share = max(0.0, busy - ours) / max(total, 1e-9)
    warning = " (figures are noisy)" if share > 0.15 else ""
    return (
        "other work (other processes, Redis, PostgreSQL's writers, the kernel) took "
        f"{share:.0%} of the CPUs during the timed rounds{warning}"
    )
