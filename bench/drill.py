"""Fault drills on the production shape: reminders and pages through a worker kill, a Redis
outage and dropped database connections, against a baseline with no fault, in one run.

``python -m bench.drill [--reminders 300] [--spread 30] [--pages 10] [--drills
baseline,kill,db,redis]``. One fresh PostgreSQL database (``--database``, on the server at
127.0.0.1:5432, dropped afterwards) and a ``redis-server`` of the drill's own on a free port
(the one it stops; a shared Redis is never touched). The processes run as the Procfile runs
them: the main worker under ``bin/supervise``, the alerts worker, beat, and gunicorn for the
red-flag entries that raise the pages. An FCM stand-in (``bench.dispatch_receiver``) takes
the reminders, a webhook receiver in this process the pages.

Each drill makes ``--reminders`` reminders fall due over ``--spread`` seconds and posts
``--pages`` red flags meanwhile; halfway through, its fault:
- ``baseline``: none;
- ``kill``: ``kill -9`` of the main worker and its children; ``bin/supervise`` restarts it;
- ``db``: every session of the drill's database terminated (``pg_terminate_backend``), what
  a PostgreSQL restart or failover looks like to the workers (the shared server itself is
  never restarted);
- ``redis``: the drill's Redis killed, and started again empty ``--outage`` seconds later.
Then it waits for every reminder and page, and prints lost / duplicated / late counts and
lateness p50 / p99. Exit status 1 if anything was lost or a page sent twice. See
docs/reliability.md.
"""

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg

from bench import alert_runner as alerts
from bench import dispatch_receiver as fcm
from bench import dispatch_runner as processes
from bench import runner as ingest
from bench.alert_receiver import Receiver
from bench.drill_report import Outcome, print_table, reminder_outcome

ROOT = Path(__file__).resolve().parent.parent
DRILLS = ("baseline", "kill", "db", "redis")
# The first reminders fall due this long after a drill starts: claimed ahead by a tick.
LEAD_S = 20.0
# After the last is due, how long to wait for stragglers; then a little more, for repeats.
MAX_WAIT_S = 120.0
REPEAT_WINDOW_S = 8.0
GROUPS = 10  # the reminders fall due in this many groups, evenly over --spread


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.drill", description=__doc__)
    parser.add_argument("--reminders", type=int, default=300, help="reminders per drill")
    parser.add_argument("--spread", type=float, default=30, help="seconds they fall due over")
    parser.add_argument("--pages", type=int, default=10, help="red flags (pages) per drill")
    parser.add_argument("--drills", default=",".join(DRILLS), help="comma-separated, in order")
    parser.add_argument("--outage", type=float, default=10, help="seconds Redis stays down")
    parser.add_argument("--concurrency", type=int, default=2, help="main worker's children")
    parser.add_argument("--database", default="diary_bench_drill")
    args = parser.parse_args(argv)
    args.drills = [d.strip() for d in args.drills.split(",") if d.strip()]
    unknown = set(args.drills) - set(DRILLS)
    if unknown or not args.drills:
        parser.error(f"--drills: choose from {', '.join(DRILLS)}")
    return args


class Shape:
    """The running processes, and how to hurt them."""

    def __init__(self, args, env: dict, workdir: Path, redis_server):
        self.args, self.env, self.workdir, self.redis = args, env, workdir, redis_server
        self.port = ingest.free_port()
        self.web = self.worker = self.alerts = self.beat = None
        self.fcm_port, self.patient_ids = 0, []  # set by main

    def start(self) -> None:
        env, workdir = self.env, self.workdir
        self.web = ingest.start_gunicorn(env, self.port, 2, workdir / "web.log")
        ingest.wait_until_ready(self.web, self.port, workdir / "web.log")
        supervised = [str(ROOT / "bin" / "supervise")]
        command = [*processes.worker_command(self.args.concurrency), "-Q", env["CELERY_QUEUE"]]
        self.worker = processes.start([*supervised, *command], env, workdir / "worker.log")
        alerts.wait_until_ready(self.worker, workdir / "worker.log")
        command = [*processes.worker_command(1), "-Q", env["CELERY_ALERT_QUEUE"]]
        self.alerts = processes.start(command, env, workdir / "alerts.log")
        alerts.wait_until_ready(self.alerts, workdir / "alerts.log")
        self.beat = alerts.start_beat(env, workdir)

    def stop(self) -> None:
        for process in (self.beat, self.alerts, self.worker):
            processes.stop(process, grace_s=20)
        ingest.stop(self.web)

    def kill_worker(self) -> None:
        """``kill -9`` the main worker and its pool, not the supervisor that restarts it."""
        for main in processes.children(self.worker.pid):
            for pid in [*processes.children(main), main]:
                with _gone():
                    os.kill(pid, signal.SIGKILL)

    def drop_database_sessions(self) -> None:
        with psycopg.connect(processes.PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.args.database,),
            )

    def redis_outage(self) -> None:
        self.redis.stop()
        time.sleep(self.args.outage)
        self.redis.start()

    def restarts(self) -> int:
        """How often bin/supervise restarted the main worker so far."""
        text = (self.workdir / "worker.log").read_text(errors="replace")
        return text.count("supervise: ")


class _gone:
    """Ignore a process that has already exited."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        return kind is ProcessLookupError


def run_drill(name: str, shape: Shape, plan, pages: list, hook) -> Outcome:
    from django.db import connections
    from django.utils import timezone

    args = shape.args
    fcm.dump(shape.fcm_port)  # forget what arrived before
    restarts_before = shape.restarts()
    start = timezone.now() + timedelta(seconds=LEAD_S)
    step = args.spread / GROUPS
    due_at: dict[str, float] = {}
    for group in range(GROUPS):
        at = start + timedelta(seconds=group * step)
        count = args.reminders // GROUPS + (group < args.reminders % GROUPS)
        made_due = plan.make_due(count, at, shape.patient_ids)
        for collapse_id in plan.expected_collapse_ids(made_due):
            due_at[collapse_id] = at.timestamp()
    connections.close_all()  # the db drill terminates this process's session too
    flags = alerts.Pass(name=name, background=False)
    pause = args.spread / max(1, len(pages))
    poster = threading.Thread(
        target=_post_pages, args=(flags, shape.port, pages, start.timestamp(), pause)
    )
    poster.start()
    _sleep_until(start.timestamp() + args.spread / 2)
    fault = {
        "baseline": lambda: None,
        "kill": shape.kill_worker,
        "db": shape.drop_database_sessions,
        "redis": shape.redis_outage,
    }[name]
    print(f"  {time.strftime('%H:%M:%S')} {name}: fault")
    fault()
    poster.join()
    last_due = start.timestamp() + args.spread
    deadline = last_due + MAX_WAIT_S
    while time.time() < deadline and fcm.count(shape.fcm_port) < len(due_at):
        time.sleep(0.5)
    hook.wait_for(flags.alert_ids, max(0.0, deadline - time.time()))
    time.sleep(REPEAT_WINDOW_S)
    outcome = reminder_outcome(name, due_at, fcm.dump(shape.fcm_port))
    outcome.add_pages(flags.flags, hook.arrivals())
    outcome.restarts = shape.restarts() - restarts_before
    return outcome


def _post_pages(run, port: int, patients: list, start: float, pause_s: float) -> None:
    _sleep_until(start)
    alerts.post_red_flags(run, port, patients, pause_s)


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def drill_env(args, workdir: Path, fcm_port: int, redis_url: str) -> dict:
    env = processes.bench_env(args.database, fcm_port, workdir)
    queue = f"bench-drill-{uuid.uuid4().hex[:8]}"
    env.update(
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue,
        CELERY_ALERT_QUEUE=f"{queue}-alerts",
        ALLOWED_HOSTS=processes.HOST,
        THROTTLE_PATIENT="1000000/min",
        LOG_LEVEL="WARNING",
        WEBHOOK_ALLOW_PRIVATE_HOSTS="true",  # the pages' receiver is on loopback
    )
    return env


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, processes._stop_on_sigterm)
    sys.stdout.reconfigure(line_buffering=True)
    # The Redis of the drill's own, which it may stop (tests/integration/processes.py).
    sys.path.insert(0, str(ROOT))
    from tests.integration.processes import PrivateRedis

    with tempfile.TemporaryDirectory(prefix="bench-drill-") as folder:
        workdir = Path(folder)
        redis_server = PrivateRedis(workdir / "redis")
        fcm_port = ingest.free_port()
        env = drill_env(args, workdir, fcm_port, redis_server.url)
        shape = Shape(args, env, workdir, redis_server)
        shape.fcm_port = fcm_port
        receiver = None
        with Receiver(uuid.uuid4().hex) as hook:
            try:
                redis_server.start()
                processes.drop_databases(args.database)
                processes.admin_execute(f'CREATE DATABASE "{args.database}"')
                receiver = processes.start_receiver(fcm_port, env, workdir / "receiver.log")
                plan, pages, shape.patient_ids = set_up(args, env, workdir, hook)
                shape.start()
                outcomes = []
                for name in args.drills:
                    print(f"==> drill {name}: {args.reminders} reminders, {args.pages} pages")
                    outcomes.append(run_drill(name, shape, plan, pages.pop(0), hook))
            finally:
                shape.stop()
                processes.stop(receiver)
                alerts.close_django()
                redis_server.stop()
                processes.drop_databases(args.database)
    print_table(outcomes, args)
    return 0 if all(o.correct for o in outcomes) else 1


def set_up(args, env: dict, workdir: Path, hook):
    """Migrate; patients with a phone for the reminders (their check-ins planned from
    tomorrow, made due by each drill), and the clinic whose webhook takes the pages."""
    os.environ.update(env)
    for name in processes.OTHER_CHANNEL_ENV:
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command

    from bench import dispatch_plan as plan

    print(f"database {args.database}: migrate, {args.reminders} patients, the pages' clinic")
    call_command("migrate", verbosity=0, interactive=False)
    patient_ids = plan.create_patients(args.reminders)
    plan.plan_through_services(patient_ids)
    seeded = alerts.seed(env, args.pages * len(args.drills), hook, workdir)["patients"]
    pages = [seeded[n * args.pages : (n + 1) * args.pages] for n in range(len(args.drills))]
    return plan, pages, patient_ids


if __name__ == "__main__":
    sys.exit(main())
