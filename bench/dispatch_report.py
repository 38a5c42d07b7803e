"""The printed result of bench/dispatch: tables in Markdown, then the goals' verdicts."""

import math

from bench import dispatch_profile

GOAL_EMPTY_TICK_MS = 10.0
GOAL_PER_S = 1000.0
GOAL_ON_TIME_S = 20.0
GOAL_ON_TIME_SHARE = 0.99


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def correct(results: dict) -> bool:
    """Nothing sent twice, nothing lost: the one thing a slow run must still get right."""
    return all(not (run.duplicates or run.missing or run.unexpected) for run in results["runs"])


def print_report(results: dict, args) -> None:
    print()
    print_planning(results["planning"], args)
    print_empty_ticks(results["empty"], args)
    print_explain(results["explain"], args)
    print_due_ticks(results["due_ticks"])
    print_raw(results["raw_before"], results["raw_after"])
    print_in_process(results["in_process"])
    print_runs(results["runs"], results["raw_before"])
    print_goals(results, args)
    if results.get("profile"):
        dispatch_profile.print_summary(*results["profile"])
    if results.get("cprofile"):
        dispatch_profile.print_cprofile(results["cprofile"], results["in_process"].reminders)
    print()
    for note in results["notes"]:
        print(note)
    print(f"whole run: {results['elapsed_s']:.0f} s")


def print_planning(planning: dict, args) -> None:
    statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(planning["statuses"].items()))
    print(
        f"planned {planning['checkins']:,} check-ins ({statuses}; diary_checkin with its "
        f"indexes {planning['table_mb']:.0f} MB) in "
        f"{planning['patients_s'] + planning['services_s'] + planning['sql_s']:.1f} s: "
        f"{args.patients:,} patients with a phone {planning['patients_s']:.1f} s, "
        f"one block each through create_procedure ({planning['services_checkins']:,} check-ins) "
        f"{planning['services_s']:.1f} s, the rest by INSERT … SELECT and ANALYZE "
        f"{planning['sql_s']:.1f} s"
    )
    print()


def print_empty_ticks(timings: dict, args) -> None:
    print("| nothing due | check-ins planned | calls | p50 ms | p99 ms | SQL/call | SQL wait ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for what, name in (("tick", "tick()"), ("dispatch", 'dispatch_reminders(now, "reminder")')):
        for label, planned in (("full", f"{args.checkins:,}"), ("empty", "0")):
            t = timings[(what, label)]
            print(
                f"| {name} | {planned} | {len(t.seconds)} | {t.median_ms:.2f} "
                f"| {t.percentile_ms(0.99):.2f} | {t.queries_per_call:.0f} "
                f"| {t.sql_ms_per_call:.2f} |"
            )
    full, empty = timings[("tick", "full")], timings[("tick", "empty")]
    p99 = full.percentile_ms(0.99)
    print()
    print(
        f"tick at {args.checkins:,} planned, goal < {GOAL_EMPTY_TICK_MS:g} ms: "
        f"p50 {full.median_ms:.2f} ms {verdict(full.median_ms < GOAL_EMPTY_TICK_MS)}, "
        f"p99 {p99:.2f} ms {verdict(p99 < GOAL_EMPTY_TICK_MS)}; against the empty table "
        f"p50 {full.median_ms - empty.median_ms:+.2f} ms, "
        f"p99 {p99 - empty.percentile_ms(0.99):+.2f} ms. The "
        f"machine was {timings['machine_busy']:.0%} busy meanwhile, the bench process "
        f"{timings['bench_share']:.0%} of it (one core is 50 %)"
    )
    print()


def print_explain(explained, args) -> None:
    print(
        "EXPLAIN ANALYZE of each statement of one tick with nothing due, at "
        f"{args.checkins:,} planned:"
    )
    seq = 0
    for item in explained:
        scans = "; ".join(item.scans) or "no table"
        seq += sum(1 for scan in item.scans if scan.startswith("Seq Scan"))
        print(f"  {item.execution_ms:6.3f} ms  {item.buffers:3} buffers  {scans}")
    print(f"  sequential scans: {seq}")
    print()


def print_due_ticks(ticks) -> None:
    print(
        "| tick with reminders due | claimed | delivery rows | s | claimed/s | SQL "
        "| SQL wait s | enqueue s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tick in ticks:
        print(
            f"| {tick.due:,} due within the look-ahead | {tick.reminded:,} "
            f"| {tick.deliveries:,} | {tick.seconds:.2f} "
            f"| {tick.reminded / tick.seconds:,.0f} | {tick.queries} | {tick.sql_seconds:.2f} "
            f"| {tick.enqueue_seconds:.2f} |"
        )
    print()


def print_raw(before: dict, after: dict) -> None:
    print("| plain client loop to the receiver | processes | req/s before the runs | after |")
    print("|---|---:|---:|---:|")
    for processes, libraries in before.items():
        for library, measured in libraries.items():
            print(
                f"| {library}, kept-alive | {processes} | {measured['per_s']:,.0f} "
                f"| {after[processes][library]['per_s']:,.0f} |"
            )
    print()


def print_in_process(sends) -> None:
    n = max(1, sends.reminders)
    print(
        f"send task's function called in the bench process (no Celery, no contention from a "
        f"second child): {sends.reminders:,} reminders in {sends.seconds:.1f} s = "
        f"{sends.reminders / sends.seconds:,.0f}/s from one process; outcomes {sends.outcomes}; "
        f"per reminder: {sends.queries / n:.1f} SQL statements, CPU ms app "
        f"{sends.cpu['app'] / n * 1000:.2f}, its PostgreSQL backend "
        f"{sends.cpu['database'] / n * 1000:.2f}, receiver {sends.cpu['receiver'] / n * 1000:.2f}"
    )
    print()


def print_runs(runs, raw: dict) -> None:
    print(
        "| worker | tick s | due | arrived | dup | missing | delivered/s | ÷ requests loop "
        "| ÷ baseline | by APNs | late p50 s | p99 s | max s | ≤ 20 s | attempts | claim ticks s "
        "| worker CPU ms* | db CPU ms* | receiver CPU ms* | other CPU |"
    )
    print(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:"
        "|---:|---:|"
    )
    for run in runs:
        base = baseline_of(run, runs)
        sent = max(1, run.unique)
        used = run.cpu.used if run.cpu else {}
        claims = ", ".join(f"{s:.1f} ({n:,})" for s, n in run.claim_ticks) or "-"
        print(
            f"| prefork {run.concurrency}, {label_of(run)} | {run.tick_s:g} | {run.due:,} "
            f"| {run.unique:,} "
            f"| {run.duplicates} | {run.missing} | {run.per_s:,.0f} "
            f"| {run.per_s / raw[run.concurrency]['requests']['per_s']:.0%} "
            f"| {run.per_s / base.per_s if base and base.per_s else math.nan:.0%} "
            f"| {run.by_apns:,} "
            f"| {_s(run.late_percentile(0.5))} | {_s(run.late_percentile(0.99))} "
            f"| {_s(run.late_s[-1] if run.late_s else math.nan)} | {run.on_time_share:.1%} "
            f"| {run.db.get('attempt_rows', 0):,} | {claims} "
            f"| {used.get('worker', 0) / sent * 1000:.2f} "
            f"| {(used.get('database', 0) + used.get('database_exited', 0)) / sent * 1000:.2f} "
            f"| {used.get('receiver', 0) / sent * 1000:.2f} "
            f"| {run.cpu.other_share if run.cpu else math.nan:.0%} |"
        )
    print()
    print(
        "* CPU time per delivered reminder from 1 s before due_at to the last arrival: the "
        "worker (master and children) and PostgreSQL backends (those of the bench's "
        "database still open at the end, and every backend that exited meanwhile, whatever "
        "its database). '÷ requests loop': delivered/s over the plain requests loop with as "
        "many processes as the worker has children. 'attempts' counts "
        "DeliveryAttempt rows; 'claim ticks' are the beat ticks that claimed reminders "
        "(duration, reminders). 'other CPU': the share of the machine used by neither. "
        "'÷ baseline': delivered/s over the same worker set-up's FCM-token run (the baseline, "
        "run first). 'by APNs': reminders that arrived over HTTP/2 as APNs pushes."
    )
    for run in runs:
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(run.db.get("by_status", {}).items()))
        print(
            f"  prefork {run.concurrency}, tick {run.tick_s:g} s, {label_of(run)}: "
            f"deliveries {statuses}; {run.refused} APNs provider tokens refused; "
            f"{run.db.get('checkins_with_several_deliveries', 0)} check-ins with more than one; "
            f"{run.send_tasks} send tasks, {run.send_task_s / max(1, run.unique) * 1000:.1f} ms "
            f"of task time per reminder; {run.ticks} ticks; {run.errors_in_log} errors logged; "
            f"{run.sessions:,} PostgreSQL connections opened; CPU s: "
            + ", ".join(f"{k} {v:.1f}" for k, v in (run.cpu.used if run.cpu else {}).items())
        )
    print()


def label_of(run) -> str:
    if run.push == "apns":
        return "APNs"
    if run.push == "both":
        return f"APNs + FCM {run.fcm_auth}"
    return f"FCM {run.fcm_auth}"


def baseline_of(run, runs):
    """The same worker set-up's run with every phone on FCM and a ready token."""
    return next(
        (
            other
            for other in runs
            if (other.concurrency, other.tick_s, other.push, other.fcm_auth)
            == (run.concurrency, run.tick_s, "fcm", "token")
        ),
        None,
    )


def _s(value: float) -> str:
    return "never" if value == math.inf else f"{value:.1f}"


def print_goals(results: dict, args) -> None:
    full = results["empty"][("tick", "full")]
    p50, p99 = full.median_ms, full.percentile_ms(0.99)
    runs = results["runs"]
    on_time = {
        f"prefork {r.concurrency}, tick {r.tick_s:g} s, {label_of(r)}": r.on_time_share
        for r in runs
    }
    rates = {f"prefork {r.concurrency}, tick {r.tick_s:g} s, {label_of(r)}": r.per_s for r in runs}
    print("goals:")
    print(
        f"  tick with nothing due at {args.checkins:,} planned < {GOAL_EMPTY_TICK_MS:g} ms: "
        f"p50 {p50:.2f} ms {verdict(p50 < GOAL_EMPTY_TICK_MS)}, "
        f"p99 {p99:.2f} ms {verdict(p99 < GOAL_EMPTY_TICK_MS)}"
    )
    for label, rate in rates.items():
        print(
            f"  >= {GOAL_PER_S:,.0f} reminders/s delivered ({label}): {rate:,.0f}/s, "
            f"{verdict(rate >= GOAL_PER_S)}"
        )
    for label, share in on_time.items():
        print(
            f"  99 % within {GOAL_ON_TIME_S:g} s of due_at ({label}): {share:.1%}, "
            f"{verdict(share >= GOAL_ON_TIME_SHARE)}"
        )
    print(f"  no duplicates, none missing: {verdict(correct(results))}")
