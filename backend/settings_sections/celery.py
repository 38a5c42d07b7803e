"""Celery: the broker, how tasks run, and beat's schedule (backend/celery.py)."""

import ssl

from backend.settings_sections.base import REDIS_URL, VAR_DIR, env

# The broker only carries "do this now"; what is due lives in the database.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, mended so that a worker survives a Redis outage while it
    # holds countdown tasks (see backend/celery.py).
    CELERY_BROKER_TRANSPORT = "backend.celery:RedisTransport"
    if REDIS_URL.startswith("rediss://"):
        # Named, the transport no longer comes from the URL's scheme, so kombu would not
        # switch TLS on for rediss:// by itself; verify the server as the cache does.
        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # How long kombu's filesystem transport sleeps whenever it finds nothing it may
        # take, which includes just after every task: with prefetch 1 the next message waits
        # for the ack. Its default (1 s) held each worker to one task a second, so under 20
        # clients pages were 20-27 s late (issue 10). An idle poll lists one folder.
        "polling_interval": env.float("FILESYSTEM_POLLING_SECONDS", default=0.1),
    }
# A queue name of its own lets several deployments (or test runs) share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Alert pages go on a queue of their own, served only by the alerts worker (Procfile,
# compose): a worker started without --queues takes the default queue alone. Why not let the
# main worker take alerts too, as a backup: during a burst of reminders it would hold an
# alert it cannot start until the burst drains (bench/alert_latency: p99 6 s, not 30 ms).
CELERY_ALERT_QUEUE = env.str("CELERY_ALERT_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}-alerts")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_PUBLISH_RETRY = True
# Bounded: a request that enqueues must never hang on a broker outage.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Celery's Django fixup closes the database connection around every task unless told
# to reuse it: a new PostgreSQL connection per send task cost a fifth of a worker's CPU.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CHECKIN_TICK_SECONDS = env.float("CHECKIN_TICK_SECONDS", default=15.0)
# The health report calls a kind of process (beat, worker, alerts) stopped when its last
# heartbeat is older than two ticks and this (notifications/health.py).
HEARTBEAT_SLACK_SECONDS = env.float("HEARTBEAT_SLACK_SECONDS", default=30.0)
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=min(5.0, CHECKIN_TICK_SECONDS))
CELERY_BEAT_SCHEDULE = {
    "tick": {
        "task": "notifications.tasks.tick",
        "schedule": CHECKIN_TICK_SECONDS,
        # A tick that waited longer than its period is stale: the next one will do.
        "options": {"expires": CHECKIN_TICK_SECONDS},
    },
    # One to each worker queue: the health report tells a stopped worker from an idle one.
    # Expiring, so a worker that comes back does not work through a backlog of them.
    "heartbeat-worker": {
        "task": "notifications.tasks.heartbeat",
        "schedule": CHECKIN_TICK_SECONDS,
        "args": ["worker"],
        "options": {"expires": CHECKIN_TICK_SECONDS},
    },
    "heartbeat-alerts": {
        "task": "notifications.tasks.heartbeat",
        "schedule": CHECKIN_TICK_SECONDS,
        "args": ["alerts"],
        "options": {"expires": CHECKIN_TICK_SECONDS, "queue": CELERY_ALERT_QUEUE},
    },
    # The sweeper alone, more often than the tick: how soon a killed worker's deliveries
    # go out again is its enqueue lease plus this (docs/decisions.md). Two index lookups.
    "sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    # Hours-long delays: a minute late is on time (notifications/ack_reminders.py).
    "remind-acknowledged": {
        "task": "notifications.tasks.remind_acknowledged",
        "schedule": 60.0,
        "options": {"expires": 60.0, "queue": CELERY_ALERT_QUEUE},
    },
}
