"""Prometheus metrics: what happened (counted where it happens) and what is (read at scrape).

Counted where it happens, in every process (web, workers, beat): entries recorded, findings by
severity, sends by kind, channel and outcome, transport latency, reminder lateness, beat tick
duration. Multi-process safe: with ``PROMETHEUS_MULTIPROC_DIR`` set (settings set it under the
var folder when the environment does not), each gunicorn worker and prefork child writes its
own file there and ``/metrics`` sums them, so the web's one answer covers the workers and beat
on the same host (docker-compose.yml shares the folder between the services).

Read at scrape, from the database and the broker (so they are right whichever process
answers): alerts open and the oldest unacknowledged one's age, by severity; each worker
kind's heartbeat age; the depth of each queue. Only counts and ages: nothing about anyone.
"""

from prometheus_client import Counter, Histogram

PREFIX = "diary"

entries_recorded = Counter(f"{PREFIX}_entries_recorded", "Diary entries stored (not retries).")
findings = Counter(f"{PREFIX}_findings", "Triage findings stored, by severity.", ["severity"])
sends = Counter(
    f"{PREFIX}_sends",
    "Send attempts, by kind (reminder or page), channel and outcome "
    "(sent, temporary or permanent failure).",
    ["kind", "channel", "outcome"],
)
transport_seconds = Histogram(
    f"{PREFIX}_transport_seconds",
    "Time one send took through its channel's transport.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
reminder_lateness_seconds = Histogram(
    f"{PREFIX}_reminder_lateness_seconds",
    "How long after its planned time a reminder's first try was sent (sent - due).",
    ["channel"],
    buckets=(0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 900),
)
beat_tick_seconds = Histogram(
    f"{PREFIX}_beat_tick_seconds",
    "Time one beat tick (claim reminders, advance check-ins, sweep, escalate) took.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
