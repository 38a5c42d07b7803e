"""bench/ingest: diary-entry ingest throughput against a bare authenticated DRF endpoint.

One run: a fresh PostgreSQL database, patients seeded through the service layer,
one gunicorn serving both endpoints, then alternating timed rounds of the no-op
endpoint and ``POST /api/v1/me/entries/``. Talks only to 127.0.0.1.
"""

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import redis

from bench import cpu
from bench.load import PhaseResult, run_phase
from bench.report import other_work_note, print_report

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PG_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
REDIS_URL = f"redis://{HOST}:6379/15"
ENDPOINTS = {"bare": "/bench/noop/", "entries": "/api/v1/me/entries/"}
# The whole run must stay under 3 minutes; set-up takes about 15 s of it.
MAX_TIMED_S = 150
WARMUP_S = 2.0
SUBPROCESS_TIMEOUT_S = 90


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/ingest", description=__doc__)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per timed phase")
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare/entries rounds")
    parser.add_argument("--concurrency", type=int, default=8, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--database", default="diary_bench")
    parser.add_argument("--keep-db", action="store_true", help="leave the database afterwards")
    args = parser.parse_args(argv)
    timed = 2 * (WARMUP_S + args.rounds * args.duration)
    if timed > MAX_TIMED_S:
        parser.error(f"{args.rounds} rounds of 2 x {args.duration} s exceed {MAX_TIMED_S} s")
    return args


# --- Services the bench needs ---------------------------------------------------------


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def recreate_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_version() -> str:
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    return f"PostgreSQL {postgres}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def bench_env(database: str, use_redis: bool) -> dict:
    """The server's environment: production settings, with the bench's URLs."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"postgres://postgres@{HOST}:5432/{database}",
        DEBUG="false",
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=HOST,
        # High enough never to refuse, so the throttle's cost is measured, not its 429s.
        THROTTLE_PATIENT="1000000/min",
        CONN_MAX_AGE="600",
        # Errors only: notifications' "channel disabled" warnings on every start are noise.
        LOG_LEVEL="ERROR",
        BENCH_CACHE_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
    )
    env.pop("REDIS_URL", None)
    if use_redis:
        env["REDIS_URL"] = REDIS_URL
    return env


# --- Set-up steps -------------------------------------------------------------------


def run_python(args: list[str], env: dict) -> None:
    subprocess.run(
        [str(VENV_BIN / "python"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=SUBPROCESS_TIMEOUT_S,
        stdout=subprocess.DEVNULL,
    )


def seed(env: dict, patients: int, workdir: Path) -> dict:
    out = workdir / "seed.json"
    run_python(["-m", "bench.seed", str(out), "--patients", str(patients)], env)
    return json.loads(out.read_text(encoding="utf-8"))


# --- The server ----------------------------------------------------------------------


def start_gunicorn(
    env: dict, port: int, workers: int, log: Path, root: Path = ROOT
) -> subprocess.Popen:
    """``root``: the code to serve (bench/pages serves an older checkout beside this one)."""
    command = [
        str(VENV_BIN / "gunicorn"),
        "backend.wsgi:application",
        "--chdir",
        str(root),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
    ]
    # Gunicorn's own log and Django's (tracebacks of 500s) both go to stderr.
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_ready(server: subprocess.Popen, port: int, log: Path, timeout_s=20.0) -> None:
    """Until Django answers on the no-op endpoint (401: no token); the warm-up does the rest."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{tail(log)}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{port}{ENDPOINTS['bare']}", timeout=2)
        except urllib.error.HTTPError:
            return  # any HTTP answer means Django is up
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise RuntimeError(f"gunicorn did not answer within {timeout_s} s:\n{tail(log)}")


def stop(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


# --- Load and report -----------------------------------------------------------------


def run_load(port, patients, server_cpu, args) -> dict[str, list[PhaseResult]]:
    """Warm both endpoints up, then alternate them so drift hits both alike."""
    for endpoint, path in ENDPOINTS.items():
        warmup = run_phase(endpoint, port, path, patients, args.concurrency, WARMUP_S)
        report_errors(f"warm-up {endpoint}", warmup)
    server_cpu.find_processes()  # after the warm-up: every worker holds its connection
    rounds = {endpoint: [] for endpoint in ENDPOINTS}
    machine_before = cpu.machine_seconds()
    for number in range(1, args.rounds + 1):
        for endpoint, path in ENDPOINTS.items():
            app_before, db_before = server_cpu.seconds()
            phase = run_phase(endpoint, port, path, patients, args.concurrency, args.duration)
            app_after, db_after = server_cpu.seconds()
            phase.app_cpu_s, phase.db_cpu_s = app_after - app_before, db_after - db_before
            report_errors(f"round {number} {endpoint}", phase)
            print(f"  round {number} {endpoint:8} {phase.ok / phase.elapsed_s:7.1f} req/s")
            rounds[endpoint].append(phase)
    print(other_work_note(rounds, machine_before, cpu.machine_seconds()))
    return rounds


def report_errors(label: str, phase: PhaseResult) -> None:
    if not phase.error_count:
        return
    print(f"  {label}: {phase.error_count} errors {dict(phase.errors)}")
    for sample in phase.error_samples[:3]:
        print(f"    {sample}")


def machine_notes(args, use_redis: bool) -> list[str]:
    cores = len(os.sched_getaffinity(0))
    throttle_cache = "Redis 127.0.0.1:6379/15" if use_redis else "local memory (no Redis!)"
    return [
        f"machine: {cores} cores (shared by clients and server), {platform.platform()}, "
        f"Python {platform.python_version()}, {postgres_version()}",
        f"server: gunicorn {args.workers} sync workers, DEBUG=false, CONN_MAX_AGE=600, "
        f"throttle cache {throttle_cache}",
        f"load: {args.concurrency} client processes (http.client), {args.patients} patients, "
        f"{args.rounds} rounds x {args.duration:g} s per endpoint after {WARMUP_S:g} s warm-up",
    ]


# --- Main ---------------------------------------------------------------------------


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop gunicorn


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    use_redis = redis_answers()
    if not use_redis:
        print(f"WARNING: Redis at {REDIS_URL} does not answer; throttling uses local memory.")
    env = bench_env(args.database, use_redis)
    server = None
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as workdir:
        log = Path(workdir) / "gunicorn.log"
        try:
            print(f"database {args.database}: create, migrate, seed {args.patients} patients")
            recreate_database(args.database)
            run_python(["manage.py", "migrate", "--noinput"], env)
            seeded = seed(env, args.patients, Path(workdir))
            port = free_port()
            server = start_gunicorn(env, port, args.workers, log)
            wait_until_ready(server, port, log)
            print(f"gunicorn on {HOST}:{port}; load:")
            server_cpu = cpu.ServerCpu(server, args.database, PG_ADMIN_URL)
            rounds = run_load(port, seeded["patients"], server_cpu, args)
            print_report(rounds, machine_notes(args, use_redis), seeded["queries"])
            errors = sum(p.error_count for phases in rounds.values() for p in phases)
            if errors:
                print(f"\nlast lines of the server's log:\n{tail(log)}")
        finally:
            stop(server)
            if not args.keep_db:
                drop_database(args.database)
    return 1 if errors else 0
