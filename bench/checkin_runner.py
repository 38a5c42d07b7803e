"""bench/checkin: the patient's web check-in against its budget (issue 11).

One run: a fresh PostgreSQL database, bench/ingest's patients with their 2 h check-in open
and a link each, one gunicorn as bench/ingest starts it (plus an access log with each
request's time in the worker), the pages' weight as a phone downloads them, then
alternating timed rounds of web check-ins and of the app's ``POST /api/v1/me/entries/``.
Talks only to 127.0.0.1. The set-up, the server and the notes are bench/ingest's.
"""

import argparse
import json
import shlex
import signal
import sys
import tempfile
import threading
from pathlib import Path

import psycopg
import redis

from bench import cpu
from bench import runner as ingest
from bench.checkin_load import run_web_phase
from bench.checkin_report import ServerLog, print_report
from bench.checkin_weight import measure, print_weights
from bench.load import run_phase
from bench.report import other_work_note

HOST = ingest.HOST
REDIS_URL = f"redis://{HOST}:6379/14"
ENTRIES_PATH = ingest.ENDPOINTS["entries"]
# The whole run stays under 4 minutes; set-up takes about 20 s of it.
MAX_TIMED_S = 200
# A check-in answered in a round is opened again this often, so that a client coming
# back to the same patient finds the form again and not the patient's own page.
REOPEN_EVERY_S = 0.2
# %(D)s: microseconds from the request read to the response sent, in the worker;
# unlike the client's figure it leaves out the wait in the listen queue.
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/checkin", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per timed phase")
    parser.add_argument("--rounds", type=int, default=4, help="alternating web/API rounds")
    parser.add_argument("--concurrency", type=int, default=20, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds a patient takes to answer the form before sending it (0: closed loop)",
    )
    parser.add_argument("--database", default="diary_bench_checkin")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    args = parser.parse_args(argv)
    timed = 2 * (ingest.WARMUP_S + args.rounds * args.duration)
    if timed > MAX_TIMED_S:
        parser.error(f"{args.rounds} rounds of 2 x {args.duration} s exceed {MAX_TIMED_S} s")
    if args.patients < args.concurrency:
        parser.error("--patients must be at least --concurrency: clients never share one")
    return args


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def checkin_env(args, use_redis: bool, workdir: Path, access_log: Path) -> dict:
    env = ingest.bench_env(args.database, use_redis)
    if use_redis:
        env["REDIS_URL"] = REDIS_URL
    # collectstatic's files (and their .gz) go here, not into the checkout's var/.
    env["VAR_DIR"] = str(workdir / "var")
    # Gunicorn reads these on top of ingest's command line.
    env["GUNICORN_CMD_ARGS"] = shlex.join(
        ["--access-logfile", str(access_log), "--access-logformat", ACCESS_FORMAT]
    )
    return env


class Reopener:
    """Puts answered check-ins back to "upcoming", as they were seeded, between and during
    web rounds: the seeded patients then last any number of rounds."""

    def __init__(self, database: str, table: str, checkins: list[int]):
        url = f"postgresql://postgres@{HOST}:5432/{database}"
        self.conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
        self.sql = (
            f'UPDATE "{table}" SET status = %s, answered_at = NULL '
            "WHERE id = ANY(%s) AND status = %s"
        )
        self.checkins = checkins
        self.stopping = threading.Event()
        self.thread = None

    def reopen(self) -> int:
        return self.conn.execute(self.sql, ("upcoming", self.checkins, "answered")).rowcount

    def __enter__(self):
        self.stopping.clear()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()

    def _loop(self):
        while not self.stopping.wait(REOPEN_EVERY_S):
            self.reopen()


def run_load(port, seeded, server_cpu, reopener, server_log, args):
    """Warm both up, then alternate them so drift hits both alike."""
    patients = seeded["patients"]
    reopener.reopen()
    with reopener:
        report_errors(
            "warm-up web", run_web_phase(port, patients, args.concurrency, ingest.WARMUP_S)
        )
    reopener.reopen()
    warm = run_phase("api", port, ENTRIES_PATH, patients, args.concurrency, ingest.WARMUP_S)
    report_errors("warm-up api", warm)
    server_cpu.find_processes()  # after the warm-up: every worker holds its connection
    rounds = {"web": [], "api": []}
    machine_before = cpu.machine_seconds()
    for number in range(1, args.rounds + 1):
        for kind in rounds:
            reopener.reopen()  # both kinds start with every check-in open
            app_before, db_before = server_cpu.seconds()
            mark = server_log.mark()
            if kind == "web":
                with reopener:
                    phase = run_web_phase(
                        port, patients, args.concurrency, args.duration, args.think
                    )
            else:
                phase = run_phase(
                    kind, port, ENTRIES_PATH, patients, args.concurrency, args.duration
                )
            app_after, db_after = server_cpu.seconds()
            phase.app_cpu_s, phase.db_cpu_s = app_after - app_before, db_after - db_before
            phase.server_ms = server_log.since(mark)
            report_errors(f"round {number} {kind}", phase)
            print(f"  round {number} {kind:4} {phase_rate(phase):7.1f} req/s")
            rounds[kind].append(phase)
    print(other_work_note(rounds, machine_before, cpu.machine_seconds()))
    return rounds


def phase_rate(phase) -> float:
    kinds = getattr(phase, "kinds", {"api": phase})
    return sum(p.ok for p in kinds.values()) / phase.elapsed_s


def report_errors(label, phase) -> None:
    for kind, result in getattr(phase, "kinds", {"": phase}).items():
        ingest.report_errors(f"{label} {kind}".rstrip(), result)


def machine_notes(args, use_redis: bool) -> list[str]:
    notes = ingest.machine_notes(args, use_redis)
    # Same figures as bench/ingest's notes, but this bench's Redis database.
    return [
        note.replace(ingest.REDIS_URL.split("//", 1)[1], REDIS_URL.split("//", 1)[1])
        for note in notes
    ]


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop gunicorn


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    use_redis = redis_answers()
    if not use_redis:
        print(f"WARNING: Redis at {REDIS_URL} does not answer; throttling uses local memory.")
    server, reopener, errors = None, None, 1
    with tempfile.TemporaryDirectory(prefix="bench-checkin-") as workdir:
        workdir = Path(workdir)
        log, access_log = workdir / "gunicorn.log", workdir / "access.log"
        env = checkin_env(args, use_redis, workdir, access_log)
        try:
            print(f"database {args.database}: create, migrate, seed {args.patients} patients")
            ingest.recreate_database(args.database)
            ingest.run_python(["manage.py", "migrate", "--noinput"], env)
            ingest.run_python(["manage.py", "collectstatic", "--noinput"], env)
            out = workdir / "seed.json"
            ingest.run_python(
                ["-m", "bench.checkin_seed", str(out), "--patients", str(args.patients)], env
            )
            seeded = json.loads(out.read_text(encoding="utf-8"))
            port = ingest.free_port()
            server = ingest.start_gunicorn(env, port, args.workers, log)
            ingest.wait_until_ready(server, port, log)
            print(f"gunicorn on {HOST}:{port}; page weight, then load:")
            weights = measure(port, seeded["patients"][-1])
            reopener = Reopener(
                args.database, seeded["checkin_table"], [p["checkin"] for p in seeded["patients"]]
            )
            server_cpu = cpu.ServerCpu(server, args.database, ingest.PG_ADMIN_URL)
            rounds = run_load(port, seeded, server_cpu, reopener, ServerLog(access_log), args)
            print_weights(weights)
            print_report(rounds, machine_notes(args, use_redis), seeded["queries"])
            errors = sum(p.error_count for phases in rounds.values() for p in phases)
            if errors:
                print(f"\nlast lines of the server's log:\n{ingest.tail(log)}")
        finally:
            ingest.stop(server)
            if reopener is not None:
                reopener.conn.close()
            if not args.keep_db:
                ingest.drop_database(args.database)
    return 1 if errors else 0
