"""bench/alert_latency: from a red-flag entry's answer to the page at the clinic's webhook.

One run: a fresh PostgreSQL database with patients, the clinic's webhook and an on-call
shift; gunicorn, one Celery worker and one beat as production runs them, on a Redis db and
queues of the bench's own; a webhook receiver in this process. Red-flag entries are posted
one at a time, first alone, then with routine entries in the background, then while a burst
of reminders drains (``bench.alert_burst``: with the dedicated alerts worker, and without
it), and each alert's ``alert.triggered`` is timed from the POST's answer to its arrival.
Talks only to 127.0.0.1.
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis

from bench import alert_report as report
from bench import dispatch_runner as processes
from bench import runner as ingest
from bench.alert_receiver import Receiver
from bench.alert_worker_log import read_worker_log
from bench.load import _post

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
REDIS_URL = f"redis://{HOST}:6379/13"
ENTRIES_PATH = "/api/v1/me/entries/"
# Channels stay off: without them the clinic's webhook is the only thing sent for an alert.
CHANNEL_ENV = [
    *processes.OTHER_CHANNEL_ENV,
    *("FCM_BASE_URL", "FCM_PROJECT_ID", "FCM_ACCESS_TOKEN", "EMAIL_BACKEND"),
    # The webhook must go straight to 127.0.0.1, never through a proxy.
    *("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
]
# The background load starts this long before the loaded pass, so that pass runs in it.
LOAD_LEAD_S = 3.0
# The whole run must stay under 7 minutes (the defaults take about 3); set-up and the end
# take about a minute of it.
MAX_RUN_S = 420
SETUP_S = 60
# The burst passes (alert_burst.SETUPS) each choice of --alerts-worker runs.
ALERTS_WORKER_CHOICES = {
    "both": ("exclusive", "without"),
    "with": ("with",),
    "without": ("without",),
    "exclusive": ("exclusive",),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/alert_latency", description=__doc__)
    parser.add_argument("--alerts", type=int, default=200, help="red-flag entries per pass")
    parser.add_argument("--pause-ms", type=float, default=150, help="pause after each answer")
    parser.add_argument("--rate", type=float, default=50, help="background entries per second")
    parser.add_argument("--load-processes", type=int, default=8, help="background clients")
    parser.add_argument("--load-patients", type=int, default=100, help="background patients")
    parser.add_argument("--warmup", type=int, default=6, help="untimed red flags first")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery prefork children")
    parser.add_argument(
        "--max-wait", type=float, default=30, help="seconds after a pass to wait for pages"
    )
    parser.add_argument(
        "--burst", type=int, default=10_000, help="reminders due at once in a burst pass; 0: none"
    )
    parser.add_argument("--burst-alerts", type=int, default=50, help="red flags per burst pass")
    parser.add_argument(
        "--burst-every-ms", type=float, default=100, help="red flags' spacing during a burst"
    )
    parser.add_argument(
        "--burst-patients", type=int, default=1000, help="patients with a device for the bursts"
    )
    parser.add_argument(
        "--alerts-worker",
        choices=sorted(ALERTS_WORKER_CHOICES),
        default="both",
        help="burst passes: as production (exclusive: the alert queue is the alerts worker's "
        "alone), with the main worker also on it (with), without the alerts worker (without), "
        "or exclusive and without in one run (both)",
    )
    parser.add_argument(
        "--no-alerts-worker",
        dest="alerts_worker",
        action="store_const",
        const="without",
        help="only the burst pass without the alerts worker (= --alerts-worker without)",
    )
    parser.add_argument("--database", default="diary_bench_alerts")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    args = parser.parse_args(argv)
    args.bursts = ALERTS_WORKER_CHOICES[args.alerts_worker] if args.burst else ()
    if not (10 <= args.alerts <= 1000 and 20 <= args.pause_ms <= 2000):
        parser.error("--alerts must be 10 to 1,000 and --pause-ms 20 to 2,000")
    if not (0 < args.rate <= 200 and 1 <= args.load_processes <= 32):
        parser.error("--rate must be above 0 and at most 200, --load-processes 1 to 32")
    if min(args.load_patients, args.workers, args.concurrency) < 1 or args.warmup < 0:
        parser.error("--load-patients, --workers and --concurrency must be positive")
    if args.burst and not (1000 <= args.burst <= 20_000 and 100 <= args.burst_patients <= 5000):
        parser.error("--burst must be 0 or 1,000 to 20,000, --burst-patients 100 to 5,000")
    if not (10 <= args.burst_alerts <= 200 and 20 <= args.burst_every_ms <= 1000):
        parser.error("--burst-alerts must be 10 to 200 and --burst-every-ms 20 to 1,000")
    budget = SETUP_S + (args.warmup + 2 * args.alerts) * (args.pause_ms / 1000 + 0.1)
    budget += 2 * args.max_wait + LOAD_LEAD_S
    from bench import alert_burst

    budget += alert_burst.budget_s(args)
    if budget > MAX_RUN_S:
        parser.error(f"these options could take {budget:.0f} s, over {MAX_RUN_S} s")
    return args


def rerun_command(args) -> str:
    return (
        f".venv/bin/python bench/alert_latency --alerts {args.alerts} --pause-ms "
        f"{args.pause_ms:g} --rate {args.rate:g} --load-processes {args.load_processes} "
        f"--load-patients {args.load_patients} --warmup {args.warmup} --workers {args.workers} "
        f"--concurrency {args.concurrency} --max-wait {args.max_wait:g} --burst {args.burst} "
        f"--burst-alerts {args.burst_alerts} --burst-every-ms {args.burst_every_ms:g} "
        f"--burst-patients {args.burst_patients} --alerts-worker {args.alerts_worker}"
    )


# --- Environment and set-up -------------------------------------------------------------


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL, socket_timeout=5)


def bench_env(database: str, workdir: Path) -> dict:
    """Production settings, with the bench's database, Redis db and queues; no channels."""
    env = dict(os.environ)
    for name in CHANNEL_ENV:
        env.pop(name, None)
    queue = f"bench-alerts-{uuid.uuid4().hex[:8]}"
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"postgres://postgres@{HOST}:5432/{database}",
        REDIS_URL=REDIS_URL,
        DEBUG="false",
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=HOST,
        VAR_DIR=str(workdir),
        CELERY_QUEUE=queue,
        CELERY_ALERT_QUEUE=f"{queue}-alerts",  # the settings' default, whatever the shell says
        LOG_LEVEL="WARNING",
        # The bench's webhook receiver listens on loopback, over plain http.
        WEBHOOK_ALLOW_PRIVATE_HOSTS="true",
    )
    return env


def quiet(env: dict) -> dict:
    """For the set-up steps: the disabled channels warn on start, and the seed's tick once
    per reminder with no channel (every one here)."""
    return {**env, "LOG_LEVEL": "ERROR"}


def seed(env: dict, patients: int, receiver: Receiver, workdir: Path) -> dict:
    out = workdir / "seed.json"
    command = ["-m", "bench.alert_seed", str(out), "--patients", str(patients)]
    command += ["--webhook-url", receiver.url, "--secret", receiver.secret.decode()]
    ingest.run_python(command, quiet(env))
    return json.loads(out.read_text(encoding="utf-8"))


def wait_until_ready(worker: subprocess.Popen, log: Path) -> None:
    def ready():
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited:\n{ingest.tail(log)}")
        return " ready." in log.read_text(errors="replace")

    processes.wait_for(ready, 60, "worker", log)


def start_beat(env: dict, workdir: Path, name: str = "") -> subprocess.Popen:
    command = [str(VENV_BIN / "celery"), "-A", "backend", "beat", "--loglevel", "INFO"]
    command += ["--schedule", str(workdir / f"beat-schedule{name}")]
    return processes.start(command, env, workdir / f"beat{name}.log")


def start_worker_and_beat(env: dict, concurrency: int, workdir: Path):
    """One worker serving both queues (no reminders here, so the alert queue needs no worker
    of its own), and beat."""
    worker_log = workdir / "worker.log"
    command = processes.worker_command(concurrency)
    command += ["--queues", f"{env['CELERY_QUEUE']},{env['CELERY_ALERT_QUEUE']}"]
    worker = processes.start(command, env, worker_log)
    wait_until_ready(worker, worker_log)
    return worker, start_beat(env, workdir), worker_log


def start_load(port: int, patients: list, args, workdir: Path, seconds: float):
    patients_file, out = workdir / "load-patients.json", workdir / "load.json"
    patients_file.write_text(json.dumps(patients), encoding="utf-8")
    command = [str(VENV_BIN / "python"), "-m", "bench.alert_load", str(out), "--port", str(port)]
    command += ["--patients", str(patients_file), "--rate", str(args.rate)]
    command += ["--processes", str(args.load_processes), "--max-seconds", str(seconds)]
    return processes.start(command, dict(os.environ), workdir / "load.log"), out


# --- One pass of red flags ----------------------------------------------------------------


@dataclass
class RedFlag:
    procedure: int
    sent_at: float = 0.0  # time.time() just before the POST
    answered_at: float = 0.0  # time.time() once the answer was read
    status: int | str = 0
    alert_id: int | None = None
    error: str = ""


@dataclass
class Pass:
    name: str
    background: bool
    warmup: bool = False  # not counted
    burst: object = None  # alert_burst.Burst: the reminders that drained meanwhile
    flags: list[RedFlag] = field(default_factory=list)
    started_at: float = 0.0
    ended_at: float = 0.0  # when the last page arrived, or the wait ran out
    machine_busy: float = 0.0  # share of all cores busy meanwhile
    other_share: float = 0.0  # share of all cores busy with none of the bench's processes
    load: dict = field(default_factory=dict)

    @property
    def alert_ids(self) -> set[int]:
        return {f.alert_id for f in self.flags if f.alert_id is not None}


def red_flag_payload(procedure: int) -> bytes:
    """A reading reporting new loss of bowel or bladder control: an emergency finding."""
    return json.dumps(
        {
            "client_id": str(uuid.uuid4()),
            "procedure": procedure,
            "recorded_at": datetime.now(UTC).isoformat(),
            "pain_score": 6,
            "bowel_bladder_change": True,
        }
    ).encode()


def post_red_flags(
    run: Pass, port: int, patients: list, pause_s: float = 0.0, every_s: float | None = None
) -> None:
    """Post one red flag per patient, one at a time: ``pause_s`` after each answer, or on a
    timetable (from now, one every ``every_s``; at once if the last answer came late)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    start = time.time()
    for number, patient in enumerate(patients):
        if every_s is not None:
            time.sleep(max(0.0, start + number * every_s - time.time()))
        flag = RedFlag(patient["procedure"])
        body = red_flag_payload(flag.procedure)
        flag.sent_at = time.time()
        flag.status, reply = _post(conn, ENTRIES_PATH, body, patient["token"])
        flag.answered_at = time.time()
        try:
            flag.alert_id = int(json.loads(reply)["alert"]["id"])
        except (ValueError, KeyError, TypeError):
            flag.error = f"{flag.status}: {reply[:200]!r}"
        if flag.status != 201 and not flag.error:
            flag.error = f"{flag.status}: {reply[:200]!r}"
        run.flags.append(flag)
        time.sleep(pause_s)
    conn.close()


def run_pass(run: Pass, port: int, patients: list, pause_s: float, bench: "Bench"):
    """Post one red flag per patient, one at a time; then wait for their pages."""
    window = bench.cpu_window()
    window.start()
    run.started_at = time.time()
    post_red_flags(run, port, patients, pause_s)
    bench.receiver.wait_for(run.alert_ids, bench.max_wait_s)
    run.ended_at = time.time()
    window.finish()
    run.machine_busy = window.machine_busy / max(1e-9, window.machine_total)
    run.other_share = window.other_share


@dataclass
class Bench:
    """The processes a pass runs among, for its CPU accounting."""

    receiver: Receiver
    max_wait_s: float
    database: str
    server: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    beat: subprocess.Popen | None = None
    load: subprocess.Popen | None = None
    alerts_worker: subprocess.Popen | None = None  # burst passes only
    fcm: subprocess.Popen | None = None  # the FCM stand-in of the burst passes

    def cpu_window(self) -> processes.CpuWindow:
        """CPU of everything the bench started, of PostgreSQL (the backends of the bench's
        database, and its shared writers) and of Redis; what is left of the machine's busy
        time is other work, and the kernel. Backends that exit during the pass (CONN_MAX_AGE)
        are not counted: a slight overestimate of the rest."""

        def tree(process):
            alive = process is not None and process.poll() is None
            return [process.pid, *processes.children(process.pid)] if alive else []

        redis_pid = int(redis_client().info("server")["process_id"])
        return processes.CpuWindow(
            groups={
                "gunicorn": lambda: tree(self.server),
                "worker": lambda: tree(self.worker),
                "alerts worker": lambda: tree(self.alerts_worker),
                "beat": lambda: tree(self.beat),
                "load": lambda: tree(self.load),
                "fcm receiver": lambda: tree(self.fcm),
                "database": lambda: processes.database_backends(self.database, 0),
                "postgres writers": postgres_background,
                "redis": lambda: [redis_pid],
                "bench": lambda: [os.getpid()],
            }
        )


def postgres_background() -> list[int]:
    """PostgreSQL's processes that serve no one database: WAL writer, checkpointer, …"""
    with psycopg.connect(ingest.PG_ADMIN_URL, connect_timeout=5) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname IS NULL").fetchall()
    return [pid for (pid,) in rows]


# --- What the database says about each alert -----------------------------------------------

TIMES_SQL = """
    SELECT a.id, extract(epoch FROM a.created_at), extract(epoch FROM t.started_at),
           extract(epoch FROM t.finished_at), d.attempts, d.status
    FROM notifications_alert a
    JOIN notifications_delivery d
      ON d.alert_id = a.id AND d.channel = 'webhook' AND d.event = 'triggered'
    LEFT JOIN LATERAL (
        SELECT started_at, finished_at FROM notifications_deliveryattempt
        WHERE delivery_id = d.id ORDER BY started_at LIMIT 1
    ) t ON true
    WHERE a.id = ANY(%s)
"""


def alert_times(database: str, alert_ids: list[int]) -> dict[int, dict]:
    """Per alert: when its row was written (in the entry's transaction) and when the worker
    started and finished the webhook's first attempt, as the app's clock saw them."""
    url = f"postgresql://postgres@{HOST}:5432/{database}"
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(TIMES_SQL, (alert_ids,)).fetchall()
    return {
        row[0]: {
            "created": float(row[1]),
            "started": float(row[2]) if row[2] is not None else None,
            "finished": float(row[3]) if row[3] is not None else None,
            "attempts": row[4],
            "status": row[5],
        }
        for row in rows
    }


# --- Main ---------------------------------------------------------------------------------


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop the children


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    sys.stdout.reconfigure(line_buffering=True)
    started = time.monotonic()
    try:
        redis_client().ping()
    except redis.RedisError:
        print(f"Redis at {REDIS_URL} does not answer: the Celery broker is needed.")
        return 2
    secret = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as folder, Receiver(secret) as hook:
        workdir = Path(folder)
        env = bench_env(args.database, workdir)
        bench = Bench(hook, args.max_wait, args.database)
        try:
            return run(args, bench, env, workdir, started)
        finally:
            processes.stop(bench.load)
            processes.stop(bench.beat)
            processes.stop(bench.alerts_worker, grace_s=20)
            processes.stop(bench.worker, grace_s=20)
            processes.stop(bench.fcm)
            ingest.stop(bench.server)
            close_django()
            with contextlib.suppress(redis.RedisError):
                redis_client().flushdb()
            if not args.keep_db:
                ingest.drop_database(args.database)


def close_django() -> None:
    """The burst passes' connection from this process, if Django was set up here."""
    if "django.db" in sys.modules:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()


def run(args, bench: Bench, env: dict, workdir: Path, started: float) -> int:
    from bench import alert_burst

    hook = bench.receiver
    burst_flags = len(args.bursts) * (alert_burst.WARMUP + args.burst_alerts)
    patients_needed = args.warmup + 2 * args.alerts + args.load_patients + burst_flags
    print(f"database {args.database}: create, migrate, seed {patients_needed} patients")
    ingest.recreate_database(args.database)
    redis_client().flushdb()  # the bench's own db 13 only
    ingest.run_python(["manage.py", "migrate", "--noinput"], quiet(env))
    seeded = seed(env, patients_needed, hook, workdir)
    patients = seeded["patients"]
    warmup = patients[: args.warmup]
    alone = patients[args.warmup : args.warmup + args.alerts]
    loaded = patients[args.warmup + args.alerts : args.warmup + 2 * args.alerts]
    first_burst = args.warmup + 2 * args.alerts + args.load_patients
    background = patients[args.warmup + 2 * args.alerts : first_burst]

    port = ingest.free_port()
    gunicorn_log = workdir / "gunicorn.log"
    bench.server = ingest.start_gunicorn(env, port, args.workers, gunicorn_log)
    ingest.wait_until_ready(bench.server, port, gunicorn_log)
    bench.worker, bench.beat, worker_log = start_worker_and_beat(env, args.concurrency, workdir)
    print(f"gunicorn on {HOST}:{port}, worker and beat up; webhook at {hook.url}")

    pause = args.pause_ms / 1000
    first = Pass("warm-up", background=False, warmup=True)
    run_pass(first, port, warmup, pause, bench)
    passes = [Pass("alone", background=False), Pass("with load", background=True)]
    print(f"pass 1: {args.alerts} red flags, nothing else")
    run_pass(passes[0], port, alone, pause, bench)
    report.progress(passes[0], hook)

    print(f"pass 2: {args.alerts} red flags with {args.rate:g} routine entries/s")
    seconds = LOAD_LEAD_S + args.alerts * (pause + 0.1) + args.max_wait + 30
    bench.load, load_out = start_load(port, background, args, workdir, seconds)
    time.sleep(LOAD_LEAD_S)
    run_pass(passes[1], port, loaded, pause, bench)
    processes.stop(bench.load, grace_s=20)
    if load_out.exists():
        passes[1].load = {**json.loads(load_out.read_text()), "patients": len(background)}
    report.progress(passes[1], hook)

    time.sleep(1.0)  # a duplicate close behind the last page still counts
    processes.stop(bench.beat)
    processes.stop(bench.worker, grace_s=20)  # its log is complete after this
    bursts = []
    if args.bursts:
        context = alert_burst.Context(args, bench, env, workdir, port, seeded)
        bursts = alert_burst.run_bursts(context, patients[first_burst:])
    everything = [first, *passes, *(p for b in bursts for p in (b.warmup, b.flags))]
    ids = sorted(set().union(*(p.alert_ids for p in everything)))
    times = alert_times(args.database, ids)
    results = report.Results(
        passes=everything,
        arrivals=hook.arrivals(),
        times=times,
        tasks=read_worker_log(worker_log),
        seeded=seeded,
        notes=machine_notes(args, seeded),
        rerun=rerun_command(args),
        gunicorn_log=gunicorn_log.read_text(errors="replace"),
        elapsed_s=time.monotonic() - started,
        bursts=bursts,
    )
    report.print_report(results)
    return 0 if report.correct(results) else 1


def machine_notes(args, seeded: dict) -> list[str]:
    cores = len(os.sched_getaffinity(0))
    values = ", ".join(f"{name} {value}" for name, value in seeded["settings"].items())
    tick = seeded["first_tick"]
    return [
        f"machine: {cores} cores shared by PostgreSQL, Redis, gunicorn, the worker, beat, the "
        f"load clients and the bench; {platform.platform()}, Python {platform.python_version()}, "
        f"{ingest.postgres_version()}, Redis {redis_client().info('server')['redis_version']}",
        f"processes: gunicorn backend.wsgi {args.workers} sync workers; celery worker prefork "
        f"--concurrency {args.concurrency} --loglevel INFO --without-gossip --without-mingle "
        "(both queues); celery beat (default tick); each burst pass: a fresh worker of the same "
        "command (exclusive: --queues <default queue>) and a fresh beat, with FCM pointing at "
        "the stand-in, and where said the alerts worker (prefork --concurrency 1 --queues "
        "<alert queue>); "
        f"Redis broker db 13 with queues of its own; DEBUG=false",
        f"set-up: {len(seeded['patients'])} patients, each with a block performed 1 h before "
        f"and no channel; the seed's tick claimed {tick['reminded']} 1-hour reminders "
        "(failed rows: no channel), so beat's ticks in the run find nothing due",
        f"settings: {values}",
        f"code: {processes.code_version()}",
    ]
