"""What the Celery worker's log says about each task of bench/alert_latency's run.

At ``--loglevel INFO`` the worker's main process logs ``Task NAME[ID] received`` when it
takes a message from Redis, and the child that ran it ``Task NAME[ID] succeeded in Ns``.
Both lines carry the log's local time to the millisecond: enough to tell, for each alert,
how long its task waited in Redis and how long in the worker, and whether a beat tick was
running in the worker at that moment.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

LINE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/[\w-]+\] "
    r"Task notifications\.tasks\.(\w+)\[([0-9a-f-]+)\] (received|succeeded in ([0-9.e-]+)s)"
)


@dataclass
class Task:
    name: str  # send_deliveries, tick
    id: str
    received: float | None = None  # time.time() of the "received" line
    done: float | None = None  # time.time() of the "succeeded" line
    runtime_s: float | None = None  # as the child measured it


def read_worker_log(path: Path) -> list[Task]:
    """Every task the log mentions, in the order they were received."""
    tasks: dict[str, Task] = {}
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        stamp, name, task_id, what, runtime = match.groups()
        # The worker logs local time, as this process reads it (same machine, same TZ).
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        task = tasks.setdefault(task_id, Task(name, task_id))
        if what == "received":
            task.received = at
        else:
            task.done, task.runtime_s = at, float(runtime)
    return sorted(tasks.values(), key=lambda t: t.received or t.done or 0.0)


def match_sends(tasks: list[Task], alerts: dict[int, dict]) -> dict[int, Task]:
    """The send task of each alert: the last one received before its send started.

    The log names no delivery, but the red flags go one at a time and an alert's webhook
    is the only thing its task sends, so the order tells them apart. Log times are cut to
    the millisecond: a task "received" up to 1 ms after its send started is still it.
    """
    sends = [t for t in tasks if t.name == "send_deliveries" and t.received is not None]
    found = {}
    for alert_id, times in alerts.items():
        started = times.get("started")
        if started is None:
            continue
        before = [t for t in sends if times["created"] - 0.001 <= t.received <= started + 0.001]
        if before:
            found[alert_id] = before[-1]
    return found


def ticks_between(tasks: list[Task], start: float, end: float) -> list[Task]:
    return [
        t
        for t in tasks
        if t.name == "tick" and t.received is not None and start <= t.received <= end
    ]


def tick_running(tasks: list[Task], at: float) -> bool:
    """Whether a beat tick was between "received" and "succeeded" in the worker at ``at``."""
    return any(
        t.name == "tick" and t.received is not None and t.received <= at <= (t.done or at)
        for t in tasks
    )
