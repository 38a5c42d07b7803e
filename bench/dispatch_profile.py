"""Where a Celery worker's time went, from py-spy's raw output (collapsed stacks).

py-spy samples what is not idle: time on the CPU, and also time spent runnable but
waiting for a core, or blocked in a C call it cannot tell from work (psycopg waiting for
PostgreSQL, a socket read). On a saturated 2-core box that makes this a profile of
busy wall time, which is what limits a child's sends per second.
"""

import pstats
from collections import Counter
from pathlib import Path

# (label, a frame marker): share of the children's samples with that frame on the stack.
BUCKETS = [
    ("send task (notifications.tasks.send_deliveries)", "send_deliveries (notifications/tasks.py"),
    ("  FCM transport: the message and its POST, urllib3 → http.client", "FcmTransport.send ("),
    ("    through requests (where a proxy is configured)", "Session.post (requests/"),
    ("  SQL: Django cursor → psycopg → PostgreSQL's answer", "_execute_with_wrappers (django/"),
    ("  claiming the batch (SQL and Python)", "_claim_for_sending ("),
    ("  recording the sends (SQL and Python)", "_record_successes ("),
    ("  ORM compiling queries", "SQLCompiler.as_sql ("),
    ("  connecting to PostgreSQL", "BaseDatabaseWrapper.connect (django/"),
    ("beat's tick task (notifications.tasks.tick)", "tick (notifications/tasks.py"),
    ("logging", "Logger._log ("),
]
CHILD_MARKER = "BaseProcess._bootstrap ("
TASK_MARKER = "(notifications/tasks.py"


def summarise(path: Path, top: int = 12) -> dict:
    """Shares of the worker's busy samples: per bucket, Celery outside the tasks, the
    master process, and the frames most often on top of the stack (self time)."""
    if not path.exists():
        return {}
    inclusive: Counter = Counter()
    on_top: Counter = Counter()
    children = master = outside_tasks = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples, frames = int(count), stack.split(";")
        if not any(CHILD_MARKER in frame for frame in frames):
            master += samples
            continue
        children += samples
        on_top[frames[-1]] += samples
        joined = ";".join(frames)
        if TASK_MARKER not in joined:
            outside_tasks += samples
        for label, marker in BUCKETS:
            if marker in joined:
                inclusive[label] += samples
    share = 1 / max(1, children)
    return {
        "children_samples": children,
        "master_share": master / max(1, master + children),
        "buckets": [(label, inclusive[label] * share) for label, _ in BUCKETS],
        "outside_tasks": outside_tasks * share,
        "self": [(frame, n * share) for frame, n in on_top.most_common(top)],
    }


def print_summary(summary: dict, source: str) -> None:
    if not summary:
        return
    print(
        f"\nworker profile ({source}; py-spy, busy samples of the prefork children: "
        f"{summary['children_samples']:,}; the master process took "
        f"{summary['master_share']:.0%} of all samples):"
    )
    for label, share in summary["buckets"]:
        print(f"  {share:6.1%}  {label}")
    print(f"  {summary['outside_tasks']:6.1%}  Celery around the tasks (receive, trace, ack)")
    print("  most often on top of the stack:")
    for frame, share in summary["self"]:
        print(f"  {share:6.1%}  {frame[:120]}")


def print_cprofile(path: Path, reminders: int, top: int = 25) -> None:
    """The in-process send task body under cProfile: the functions with the most time of
    their own, and the most time below them, in microseconds per reminder."""
    stats = pstats.Stats(str(path))
    per = 1e6 / max(1, reminders)
    rows = stats.stats  # (file, line, name) -> (calls, primitive, own s, cumulative s, callers)
    for title, column in (("own time", 2), ("time below", 3)):
        print(f"\nsend task body under cProfile ({reminders:,} reminders), top by {title}:")
        print("| µs/reminder own | µs/reminder below | calls/reminder | function |")
        print("|---:|---:|---:|---|")
        ranked = sorted(rows.items(), key=lambda item: item[1][column], reverse=True)
        for (file, line, name), (calls, _, own, below, _) in ranked[:top]:
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
            print(
                f"| {own * per:.1f} | {below * per:.1f} | {calls / max(1, reminders):.2f} "
                f"| {name} ({where}) |"
            )
    print(f"raw stats: {path}")
