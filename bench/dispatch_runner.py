"""bench/dispatch: the check-in reminder dispatcher at a million planned check-ins.

One run: a fresh PostgreSQL database with 1,000,000 planned check-ins; ticks timed with
nothing due (against the same tick on an empty check-in table, alternating); one tick
timed claiming 10,000 due reminders; then, for each worker set-up asked for, one Celery
worker and one beat as production runs them, 10,000 reminders falling due at the same
moment, delivered by push into a local receiver: FCM (HTTP/1.1), APNs (HTTP/2 over TLS,
the provider JWT signed in the worker with a .p8 key made at start), or half of each.
Talks only to 127.0.0.1.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg
import redis

from bench import cpu, dispatch_nginx, dispatch_profile
from bench import dispatch_receiver as receiver
from bench.dispatch_report import GOAL_ON_TIME_S
from bench.runner import free_port, postgres_version, tail

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PG_ADMIN_URL = f"postgresql://postgres@{HOST}:5432/postgres"
REDIS_URL = f"redis://{HOST}:6379/14"
FCM_PROJECT = "bench"
# Channels other than push stay off: every reminder goes by push to the receiver (APNs is
# set for every run, and used by the runs whose patients have iPhones).
OTHER_CHANNEL_ENV = [
    "FCM_ACCESS_TOKEN_FILE",
    "APNS_KEY",
    "APNS_TOKEN_REFRESH_SECONDS",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "EMAIL_HOST",
]
# The plain client loops: http.client (the receiver's capacity), requests, and httpx over
# HTTP/2 with TLS (what the APNs transport posts with, into the receiver's APNs side).
RAW_LIBRARIES = ("http.client", "requests", "httpx-h2")
# Reminders sent by the send task's function inside the bench process (no Celery).
IN_PROCESS_SENDS = 2000
# py-spy's raw output (collapsed stacks), kept after the run; var/ is git-ignored.
PROFILE_DIR = ROOT / "var"
# The whole run must stay under 10 minutes.
MAX_RUN_S = 570


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/dispatch", description=__doc__)
    parser.add_argument("--checkins", type=int, default=1_000_000, help="check-ins planned")
    parser.add_argument("--patients", type=int, default=1000, help="patients, each with a phone")
    parser.add_argument("--due", type=int, default=10_000, help="reminders made due at once")
    parser.add_argument("--empty-ticks", type=int, default=150, help="timed ticks per round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating full/empty rounds")
    parser.add_argument(
        "--concurrency", default="2", help="worker prefork children, comma-separated runs"
    )
    parser.add_argument(
        "--tick-seconds", default="2,15", help="beat's CHECKIN_TICK_SECONDS, comma-separated runs"
    )
    parser.add_argument(
        "--max-wait", type=float, default=100.0, help="seconds after due_at to wait for the last"
    )
    parser.add_argument(
        "--fcm-auth",
        default="token,service-account",
        help="FCM credentials, comma-separated runs: token (a ready FCM_ACCESS_TOKEN, the "
        "baseline) or service-account (minted in the worker from FCM_SERVICE_ACCOUNT_FILE)",
    )
    parser.add_argument(
        "--push",
        default="fcm,apns,both",
        help="which phones, comma-separated runs: fcm (every patient an Android phone; with "
        "each --fcm-auth, token first: the baseline), apns (every patient an iPhone), both "
        "(half each, in one run; FCM with the last --fcm-auth)",
    )
    parser.add_argument(
        "--apns-server",
        choices=("nginx", "h2"),
        default="nginx" if dispatch_nginx.available() else "h2",
        help="what plays Apple: nginx (HTTP/2 + TLS in C, the default where installed: "
        "apt-get install nginx-light) or the receiver's own Python h2 server, which costs "
        "the shared cores about 1 ms per push (bench/dispatch_nginx.py)",
    )
    parser.add_argument("--database", default="diary_bench_dispatch")
    parser.add_argument("--keep-db", action="store_true", help="leave the databases afterwards")
    parser.add_argument(
        "--py-spy", metavar="PATH", help="py-spy binary: profile the first run's worker"
    )
    parser.add_argument(
        "--cprofile",
        metavar="PATH",
        help="run the send task body in this process under cProfile, stats written to PATH",
    )
    parser.add_argument(
        "--sends-only",
        action="store_true",
        help="stop after the send task body in this process (no worker runs): for profiling",
    )
    args = parser.parse_args(argv)
    args.fcm_auth = [mode.strip() for mode in args.fcm_auth.split(",") if mode.strip()]
    unknown = set(args.fcm_auth) - set(FCM_AUTH_MODES)
    if unknown:
        parser.error(f"--fcm-auth: unknown {', '.join(sorted(unknown))}")
    args.push = [mode.strip() for mode in args.push.split(",") if mode.strip()]
    unknown = set(args.push) - set(PUSH_MODES)
    if unknown or not args.push:
        parser.error(f"--push: unknown {', '.join(sorted(unknown)) or '(none)'}")
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.tick_seconds = [float(t) for t in args.tick_seconds.split(",")]
    if not (1000 <= args.checkins <= 2_000_000 and 100 <= args.due <= 50_000):
        parser.error("--checkins must be 1,000 to 2,000,000 and --due 100 to 50,000")
    if min(args.concurrency) < 1 or min(args.tick_seconds) <= 0:
        parser.error("--concurrency and --tick-seconds must be positive")
    per_setup = len(push_runs(args))
    runs = len(args.concurrency) * len(args.tick_seconds) * per_setup
    # Set-up takes about 2 min; a delivery run takes up to tick + 15 s + --max-wait.
    budget = (
        120
        + sum(t + 20 + args.max_wait for t in args.tick_seconds) * len(args.concurrency) * per_setup
    )
    if budget > MAX_RUN_S:
        parser.error(f"{runs} delivery runs could take {budget:.0f} s, over {MAX_RUN_S} s")
    return args


# --- Services and environment ---------------------------------------------------------------


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL, socket_timeout=5)


def admin_execute(*statements: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def drop_databases(*names: str) -> None:
    admin_execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in names))


def bench_env(database: str, receiver_port: int, var_dir: Path) -> dict:
    """Production settings, with the bench's database, Redis db and FCM receiver."""
    env = dict(os.environ)
    for name in OTHER_CHANNEL_ENV:
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"postgres://postgres@{HOST}:5432/{database}",
        REDIS_URL=REDIS_URL,
        DEBUG="false",
        SECRET_KEY="bench-only",
        VAR_DIR=str(var_dir),
        CELERY_QUEUE=f"bench-dispatch-{uuid.uuid4().hex[:8]}-idle",
        FCM_BASE_URL=f"http://{HOST}:{receiver_port}",
        FCM_PROJECT_ID=FCM_PROJECT,
        FCM_ACCESS_TOKEN="bench",
        LOG_LEVEL="WARNING",
    )
    return env


FCM_AUTH_MODES = ("token", "service-account")
PUSH_MODES = ("fcm", "apns", "both")


def push_runs(args) -> list[tuple[str, str]]:
    """(phones, FCM credentials) of each delivery run in a set-up, the baseline first."""
    runs = []
    for push in args.push:
        if push == "fcm":
            runs += [("fcm", auth) for auth in args.fcm_auth]
        elif push == "apns":
            runs.append(("apns", "-"))
        else:
            runs.append(("both", args.fcm_auth[-1]))
    return runs


def apns_env(bench) -> dict:
    """APNs pointed at the receiver: its CA (made when it starts) as APNS_CA_FILE, and a
    P-256 key made here as the team's .p8, which the worker signs its ES256 JWT with."""
    return {
        "APNS_BASE_URL": f"https://{HOST}:{bench.apns_port}",
        "APNS_TOPIC": "org.example.diary.bench",
        "APNS_KEY_FILE": str(bench.apns_key_file),
        "APNS_KEY_ID": receiver.APNS_KEY_ID,
        "APNS_TEAM_ID": receiver.APNS_TEAM_ID,
        "APNS_CA_FILE": str(bench.apns_ca_file),
    }


def write_apns_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)


def fcm_auth_env(mode: str, bench) -> dict:
    """The worker's FCM credentials for a run: the ready token, or a service-account key
    whose token_uri is the receiver (the worker mints its access token there)."""
    if mode == "token":
        return {}
    key_file = bench.workdir / "fcm-service-account.json"
    if not key_file.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        pem = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        key = {
            "type": "service_account",
            "project_id": FCM_PROJECT,
            "private_key_id": "bench",
            "private_key": pem,
            "client_email": "bench@bench.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"http://{HOST}:{bench.receiver_port}/token",
        }
        key_file.write_text(json.dumps(key))
    return {"FCM_ACCESS_TOKEN": "", "FCM_SERVICE_ACCOUNT_FILE": str(key_file)}


# --- Processes -------------------------------------------------------------------------------


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A child in a session of its own, so stopping it stops its children too."""
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen | None, grace_s: float = 10, signum=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for(condition, timeout_s: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise RuntimeError(
        f"timed out after {timeout_s:g} s waiting for {what}\n{tail(log) if log else ''}"
    )


def start_receiver(bench, log: Path) -> subprocess.Popen:
    port = bench.receiver_port
    command = [str(VENV_BIN / "python"), "-m", "bench.dispatch_receiver", "serve"]
    command += ["--port", str(port), "--apns-port", str(bench.apns_port)]
    command += ["--ca-file", str(bench.apns_ca_file), "--apns-key-file", str(bench.apns_key_file)]
    command += ["--apns-server", bench.args.apns_server]
    process = start(command, bench.env, log)

    def answers():
        if process.poll() is not None:
            raise RuntimeError(f"receiver exited:\n{tail(log)}")
        try:
            return receiver.count(port) is not None and bench.apns_ca_file.exists()
        except OSError:
            return False

    wait_for(answers, 15, "the receiver", log)
    return process


def raw_capacity(bench, processes: int, library: str, seconds: float = 3.0) -> dict:
    """Requests per second a plain client loop gets from the receiver."""
    port = bench.receiver_port
    command = [str(VENV_BIN / "python"), "-m", "bench.dispatch_receiver", "load"]
    command += ["--port", str(port), "--processes", str(processes), "--seconds", str(seconds)]
    command += ["--library", library, "--apns-port", str(bench.apns_port)]
    command += ["--ca-file", str(bench.apns_ca_file), "--apns-key-file", str(bench.apns_key_file)]
    out = subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=seconds + 60
    )
    receiver.dump(port)  # these are not reminders: forget them
    return json.loads(out.stdout)


# --- CPU accounting ------------------------------------------------------------------------------


def process_cpu(pids, *, reaped: bool = False) -> dict[int, float]:
    """CPU seconds of each process; with ``reaped``, of its exited children instead."""
    first = 13 if reaped else 11  # cutime, cstime or utime, stime
    seconds = {}
    for pid in pids:
        fields = cpu._stat(pid)
        if fields:
            seconds[pid] = (int(fields[first]) + int(fields[first + 1])) / cpu.TICKS
    return seconds


def children(pid: int) -> list[int]:
    return [p for p in cpu._all_pids() if cpu._stat(p)[1:2] == [str(pid)]]


def descendants(pid: int) -> list[int]:
    """The process, its children, theirs (nginx's master and worker under the receiver)."""
    found, queue = [pid], [pid]
    while queue:
        for child in children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def database_backends(database: str, exclude: int) -> list[int]:
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> %s", (database, exclude)
        ).fetchall()
    return [pid for (pid,) in rows]


def database_sessions(database: str) -> int:
    """Connections ever opened to the database (PostgreSQL 14+)."""
    with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return row[0] if row else 0


def postmaster_pid(backend: int) -> int:
    fields = cpu._stat(backend)
    return int(fields[1]) if fields else 0


@dataclass
class CpuWindow:
    """CPU seconds of each group of processes between two snapshots."""

    groups: dict = field(default_factory=dict)  # name -> callable returning pids
    before: dict = field(default_factory=dict)
    machine_before: tuple = (0.0, 0.0)
    used: dict = field(default_factory=dict)
    counted: dict = field(default_factory=dict)  # name -> how many processes
    machine_busy: float = 0.0
    machine_total: float = 0.0

    reaped: dict = field(default_factory=dict)  # name -> pid whose exited children count
    reaped_before: dict = field(default_factory=dict)

    def start(self) -> None:
        self.before = {name: process_cpu(pids()) for name, pids in self.groups.items()}
        self.reaped_before = {n: process_cpu([p], reaped=True) for n, p in self.reaped.items()}
        self.machine_before = cpu.machine_seconds()

    def finish(self) -> None:
        for name, pids in self.groups.items():
            after = process_cpu(set(pids()) | set(self.before[name]))
            self.used[name] = sum(s - self.before[name].get(pid, 0.0) for pid, s in after.items())
            self.counted[name] = len(after)
        for name, pid in self.reaped.items():
            after = process_cpu([pid], reaped=True).get(pid, 0.0)
            self.used[name] = after - self.reaped_before[name].get(pid, 0.0)
        busy, total = cpu.machine_seconds()
        self.machine_busy = busy - self.machine_before[0]
        self.machine_total = total - self.machine_before[1]

    @property
    def other_share(self) -> float:
        return max(0.0, self.machine_busy - sum(self.used.values())) / max(1e-9, self.machine_total)


# --- One delivery run -------------------------------------------------------------------------


@dataclass
class Bench:
    """What every step of a run shares."""

    args: argparse.Namespace
    env: dict  # the children's environment (strings only)
    workdir: Path
    receiver_port: int
    apns_port: int = 0
    apns_key_file: Path | None = None
    apns_ca_file: Path | None = None
    receiver_pid: int = 0
    own_backend: int = 0  # the bench process's own PostgreSQL backend, not counted
    postmaster_pid: int = 0
    redis_pid: int = 0
    profiled: bool = False


TASK_LINE = re.compile(
    r"Task notifications\.tasks\.(\w+)\[[^\]]+\] succeeded in ([0-9.]+)s: (\{.*\}|None)"
)


@dataclass
class DeliveryRun:
    concurrency: int
    tick_s: float
    fcm_auth: str = "token"
    push: str = "fcm"
    by_apns: int = 0  # arrivals through APNs (the rest came through FCM)
    refused: int = 0  # APNs pushes whose provider token the receiver refused
    tokens_minted: int = 0
    due: int = 0
    arrivals: int = 0
    unique: int = 0
    duplicates: int = 0
    missing: int = 0
    unexpected: int = 0
    per_s: float = 0.0
    late_s: list = field(default_factory=list)  # sorted, one per expected reminder
    on_time_share: float = 0.0
    db: dict = field(default_factory=dict)
    claim_ticks: list = field(default_factory=list)  # (seconds, reminded) of ticks that claimed
    ticks: int = 0
    send_tasks: int = 0
    send_task_s: float = 0.0
    cpu: CpuWindow | None = None
    errors_in_log: int = 0
    sessions: int = 0  # PostgreSQL connections opened during the delivery
    profile: str = ""

    def late_percentile(self, fraction: float) -> float:
        if not self.late_s:
            return float("nan")
        index = min(len(self.late_s) - 1, round(fraction * (len(self.late_s) - 1)))
        return self.late_s[index]


def worker_command(concurrency: int) -> list[str]:
    # As the Procfile and docker-compose.yml run it, on the bench's own queue.
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "backend",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"bench-{uuid.uuid4().hex[:6]}@%h",
    ]


def run_label(run: DeliveryRun) -> str:
    if run.push == "apns":
        return "APNs"
    if run.push == "both":
        return f"APNs + FCM {run.fcm_auth}"
    return f"FCM {run.fcm_auth}"


def delivery_run(run: DeliveryRun, bench: Bench, plan) -> None:
    """Start a worker and a beat, make ``args.due`` reminders due at T0, collect arrivals."""
    from django.utils import timezone

    args, workdir = bench.args, bench.workdir
    name = f"c{run.concurrency}-t{run.tick_s:g}-{run.push}-{run.fcm_auth}"
    redis_client().flushdb()  # the bench's own db 14 only
    plan.give_phones(run.push)
    env = {
        **bench.env,
        "CELERY_QUEUE": f"bench-dispatch-{uuid.uuid4().hex[:8]}-{name}",
        "CHECKIN_TICK_SECONDS": str(run.tick_s),
        **apns_env(bench),
        **(fcm_auth_env(run.fcm_auth, bench) if run.fcm_auth != "-" else {}),
    }
    worker_log, beat_log = workdir / f"worker-{name}.log", workdir / f"beat-{name}.log"
    worker = beat = spy = None
    try:
        worker = start(worker_command(run.concurrency), env, worker_log)
        wait_for(
            lambda: " ready." in worker_log.read_text(errors="replace"), 60, "worker", worker_log
        )
        beat_command = [str(VENV_BIN / "celery"), "-A", "backend", "beat", "--loglevel", "INFO"]
        beat_command += ["--schedule", str(workdir / f"beat-schedule-{name}")]
        beat = start(beat_command, env, beat_log)
        # Due after the next tick or two: claimed ahead by a tick, sent on time by countdown.
        t0 = timezone.now() + timedelta(seconds=run.tick_s + 8)
        due = plan.make_due(args.due, t0)
        expected = plan.expected_collapse_ids(due)
        run.due = len(due)
        window = CpuWindow(
            groups={
                "worker": lambda: [worker.pid, *children(worker.pid)],
                "database": lambda: database_backends(args.database, bench.own_backend),
                "receiver": lambda: descendants(bench.receiver_pid),
                "beat": lambda: [beat.pid],
                "redis": lambda: [bench.redis_pid],
                "bench": lambda: [os.getpid()],
            },
            # Backends that exited meanwhile (a Celery task closes its connection): their
            # CPU goes to the postmaster's children time, whichever database they served.
            reaped={"database_exited": bench.postmaster_pid},
        )
        time.sleep(max(0.0, t0.timestamp() - time.time() - 1.0))
        sessions_before = database_sessions(args.database)
        window.start()
        if args.py_spy and not bench.profiled:
            bench.profiled = True
            run.profile = str(PROFILE_DIR / f"bench-dispatch-profile-{name}.txt")
            spy = start_profile(args.py_spy, worker.pid, Path(run.profile))
        deadline = t0.timestamp() + args.max_wait
        port = bench.receiver_port
        while time.time() < deadline and receiver.count(port) < run.due:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited:\n{tail(worker_log)}")
            time.sleep(0.25)
        time.sleep(1.0)  # a duplicate close behind the last one still counts
        window.finish()
        run.cpu = window
        run.sessions = database_sessions(args.database) - sessions_before
        arrived = receiver.dump(port)
        run.tokens_minted = arrived.get("tokens_minted", 0)
        run.by_apns, run.refused = arrived.get("apns", 0), arrived.get("refused", 0)
        summarise_arrivals(run, arrived, expected, t0.timestamp())
        # The receiver answered before the worker recorded the send: let it catch up.
        settle_by = time.monotonic() + 15
        run.db = plan.delivery_stats(due)
        while _unsettled(run.db) and time.monotonic() < settle_by:
            time.sleep(0.5)
            run.db = plan.delivery_stats(due)
    finally:
        stop(spy, grace_s=20, signum=signal.SIGINT)  # py-spy writes its output on SIGINT
        stop(beat)
        stop(worker, grace_s=20)
    read_worker_log(run, worker_log)


def _unsettled(stats: dict) -> bool:
    return bool(stats["by_status"].get("pending") or stats["by_status"].get("sending"))


def start_profile(py_spy: str, pid: int, out: Path) -> subprocess.Popen:
    command = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw"]
    command += ["--rate", "200", "--output", str(out), "--duration", "60", "--nonblocking"]
    out.unlink(missing_ok=True)
    return start(command, dict(os.environ), out.with_suffix(".log"))


def summarise_arrivals(run: DeliveryRun, arrived: dict, expected: set[str], t0: float) -> None:
    first_at: dict[str, float] = {}
    for at, collapse_id in zip(arrived["times"], arrived["collapse_ids"], strict=True):
        if collapse_id in first_at:
            run.duplicates += 1
        else:
            first_at[collapse_id] = at
    run.arrivals = len(arrived["times"])
    run.unique = len(first_at)
    run.unexpected = len(set(first_at) - expected) + arrived["bad"]
    run.missing = len(expected - set(first_at))
    times = sorted(first_at[c] for c in expected if c in first_at)
    if len(times) > 1:
        run.per_s = (len(times) - 1) / (times[-1] - times[0])
    # Missing reminders count as never arriving: they are the end of the distribution.
    run.late_s = [t - t0 for t in times] + [float("inf")] * run.missing
    on_time = sum(1 for late in run.late_s if late <= GOAL_ON_TIME_S)
    run.on_time_share = on_time / max(1, len(expected))


def read_worker_log(run: DeliveryRun, log: Path) -> None:
    text = log.read_text(errors="replace") if log.exists() else ""
    for task, seconds, result in TASK_LINE.findall(text):
        if task == "tick":
            run.ticks += 1
            reminded = re.search(r"'reminded': (\d+)", result)
            if reminded and int(reminded.group(1)):
                run.claim_ticks.append((float(seconds), int(reminded.group(1))))
        elif task == "send_deliveries":
            run.send_tasks += 1
            run.send_task_s += float(seconds)
    run.errors_in_log = sum(
        1 for line in text.splitlines() if " ERROR/" in line or "Traceback" in line
    )


# --- Main ----------------------------------------------------------------------------------------


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop the children


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when piped to a file too
    started = time.monotonic()
    try:
        redis_client().ping()
    except redis.RedisError:
        print(f"Redis at {REDIS_URL} does not answer: the Celery broker is needed.")
        return 2
    empty_db = f"{args.database}_empty"
    receiver_process = None
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as folder:
        workdir = Path(folder)
        port = free_port()
        bench = Bench(args, bench_env(args.database, port, workdir), workdir, port)
        bench.apns_port = free_port()
        bench.apns_key_file = workdir / f"AuthKey_{receiver.APNS_KEY_ID}.p8"
        bench.apns_ca_file = workdir / "apns-ca.pem"
        write_apns_key(bench.apns_key_file)
        try:
            print(f"database {args.database}: create, migrate")
            drop_databases(args.database, empty_db)
            admin_execute(f'CREATE DATABASE "{args.database}"')
            redis_client().flushdb()
            receiver_process = start_receiver(bench, workdir / "receiver.log")
            bench.receiver_pid = receiver_process.pid
            results = run_all(bench, empty_db)
            results["elapsed_s"] = time.monotonic() - started
            from bench import dispatch_report as report

            report.print_report(results, args)
            return 0 if report.correct(results) else 1
        finally:
            stop(receiver_process)
            with contextlib.suppress(redis.RedisError):
                redis_client().flushdb()
            if not args.keep_db:
                with contextlib.suppress(Exception):
                    from django.db import connections

                    connections.close_all()
                drop_databases(args.database, empty_db)


def run_all(bench: Bench, empty_db: str) -> dict:
    args = bench.args
    results: dict = {"notes": machine_notes(args)}
    # Django in this process, with the same settings as the worker's.
    os.environ.update(bench.env)
    for name in OTHER_CHANNEL_ENV:
        os.environ.pop(name, None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench import dispatch_plan as plan

    call_command("migrate", verbosity=0, interactive=False)
    results["notes"].append(settings_note())
    results["raw_before"] = measure_raw(bench, args)

    print(f"plan: {args.patients} patients with a phone, then {args.checkins:,} check-ins")
    planning = {}
    began = time.perf_counter()
    patient_ids = plan.create_patients(args.patients)
    planning["patients_s"] = time.perf_counter() - began
    connections.close_all()
    # The same database less every check-in: the baseline for the empty tick.
    admin_execute(f'CREATE DATABASE "{empty_db}" TEMPLATE "{args.database}"')
    began = time.perf_counter()
    planning["services_checkins"] = plan.plan_through_services(patient_ids)
    planning["services_s"] = time.perf_counter() - began
    began = time.perf_counter()
    planning["checkins"] = plan.plan_with_sql(args.checkins, patient_ids)
    planning["sql_s"] = time.perf_counter() - began
    planning["statuses"] = plan.checkin_counts()
    planning["table_mb"] = plan.table_size_mb()
    results["planning"] = planning
    total_s = planning["patients_s"] + planning["services_s"] + planning["sql_s"]
    print(f"  planned {planning['checkins']:,} check-ins in {total_s:.1f} s")

    print(f"empty ticks: {args.rounds} rounds x {args.empty_ticks}, full vs empty check-in table")
    results["empty"] = time_empty_ticks(plan, args, empty_db)
    results["explain"] = plan.explain_tick()

    print(f"tick claiming {args.due:,} due reminders")
    from notifications.tasks import send_deliveries

    # Connect to Redis before timing; this queue has no worker and db 14 is flushed below.
    send_deliveries.apply_async(([],), countdown=3600)
    from django.conf import settings

    # Due inside the look-ahead, so that this one tick claims them all.
    lead_s = min(5.0, settings.DISPATCH_LOOKAHEAD_SECONDS / 2)
    results["due_ticks"] = [plan.time_due_tick(args.due, lead_s=lead_s) for _ in range(2)]
    redis_client().flushdb()
    for tick in results["due_ticks"]:
        print(f"  {tick.reminded:,} claimed in {tick.seconds:.2f} s")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (bench.own_backend,) = cursor.fetchone()
    bench.postmaster_pid = postmaster_pid(bench.own_backend)
    bench.redis_pid = int(redis_client().info("server")["process_id"])

    batch = settings.SEND_BATCH  # as the workers use it
    print(f"send task body in this process: {IN_PROCESS_SENDS:,} reminders, {batch} per call")

    def cpu_now():
        seconds = process_cpu([bench.own_backend, bench.receiver_pid])
        return {
            "database": seconds.get(bench.own_backend, 0.0),
            "receiver": seconds.get(bench.receiver_pid, 0.0),
        }

    profile_to = Path(args.cprofile) if args.cprofile else None
    results["in_process"] = plan.time_sends_in_process(IN_PROCESS_SENDS, batch, cpu_now, profile_to)
    if profile_to:
        results["cprofile"] = profile_to
    redis_client().flushdb()
    receiver.dump(bench.receiver_port)
    results["runs"] = []
    if args.sends_only:
        results["raw_after"] = results["raw_before"]
        return results
    # Each push set-up in turn within a worker set-up, so drift on a shared machine hits all.
    setups = [
        (concurrency, tick_s, push, auth)
        for concurrency in args.concurrency
        for tick_s in args.tick_seconds
        for push, auth in push_runs(args)
    ]
    for concurrency, tick_s, push, auth in setups:
        run = DeliveryRun(concurrency=concurrency, tick_s=tick_s, fcm_auth=auth, push=push)
        print(f"delivery: worker --concurrency {concurrency}, tick {tick_s:g} s, {run_label(run)}")
        delivery_run(run, bench, plan)
        print(
            f"  {run.unique:,}/{run.due:,} arrived ({run.by_apns:,} by APNs), "
            f"{run.per_s:.0f}/s, p99 {run.late_percentile(0.99):.1f} s late, "
            f"{run.tokens_minted} FCM token(s) minted, {run.refused} APNs JWT refused"
        )
        results["runs"].append(run)
        if run.profile:
            results["profile"] = (
                dispatch_profile.summarise(Path(run.profile)),
                f"prefork {concurrency}, tick {tick_s:g} s, raw samples in {run.profile}",
            )
    results["raw_after"] = measure_raw(bench, args)
    return results


def measure_raw(bench, args) -> dict:
    """For each worker size: the client loop in as many processes as it has children."""
    return {
        processes: {library: raw_capacity(bench, processes, library) for library in RAW_LIBRARIES}
        for processes in sorted(set(args.concurrency))
    }


def time_empty_ticks(plan, args, empty_db: str) -> dict:
    """Alternate rounds on the full and the empty database, so drift hits both alike."""
    timings = {}
    machine_before, own_before = cpu.machine_seconds(), time.process_time()
    for number in range(args.rounds):
        for database, label in ((args.database, "full"), (empty_db, "empty")):
            plan.use_database(database)
            for function, what in ((plan.empty_tick, "tick"), (plan.empty_dispatch, "dispatch")):
                measured = plan.time_calls(f"{what} {label}", function, args.empty_ticks)
                timings.setdefault((what, label), plan.Timings(f"{what} {label}")).add(measured)
        print(
            f"  round {number + 1}: tick p50 {timings[('tick', 'full')].median_ms:.2f} ms "
            f"at {args.checkins:,}, {timings[('tick', 'empty')].median_ms:.2f} ms empty"
        )
    busy, total = cpu.machine_seconds()
    timings["machine_busy"] = (busy - machine_before[0]) / max(1e-9, total - machine_before[1])
    timings["bench_share"] = (time.process_time() - own_before) / max(
        1e-9, total - machine_before[1]
    )
    plan.use_database(args.database)
    return timings


def settings_note() -> str:
    from django.conf import settings

    names = [
        "SEND_BATCH",
        "PUSH_RECORD_GROUP",
        "DISPATCH_BATCH",
        "DISPATCH_TIME_BUDGET_SECONDS",
        "SEND_TASK_BUDGET_SECONDS",
        "DELIVERY_ENQUEUE_LEASE_SECONDS",
        "DELIVERY_SEND_LEASE_SECONDS",
    ]
    values = ", ".join(f"{name} {getattr(settings, name, '-')}" for name in names)
    conn_max_age = settings.DATABASES["default"].get("CONN_MAX_AGE")
    return f"settings: {values}, CONN_MAX_AGE {conn_max_age}; code: {code_version()}"


def code_version() -> str:
    """The commit measured, and whether the product code differed from it."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "backend", "diary", "notifications"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown (no git)"
    if not commit:
        return "unknown (not a git work tree)"
    return f"commit {commit}" + (" with uncommitted changes to the product code" if changed else "")


def machine_notes(args) -> list[str]:
    cores = len(os.sched_getaffinity(0))
    return [
        f"machine: {cores} cores shared by PostgreSQL, Redis, the worker, beat, the receiver "
        f"and the bench; {platform.platform()}, Python {platform.python_version()}, "
        f"{postgres_version()}",
        f"worker: one celery worker, prefork --concurrency "
        f"{','.join(map(str, args.concurrency))}, --loglevel INFO, and one celery beat; "
        "DEBUG=false; Redis broker db 14",
        f"APNs played by: {apns_server_note(args.apns_server)}",
    ]


def apns_server_note(server: str) -> str:
    if server == "h2":
        return "the receiver's Python h2 server (tests/notifications/apns_h2.py)"
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True, check=False)
    answers = (
        "answers with :status and apns-id only, as Apple"
        if dispatch_nginx.HEADERS_MORE.exists()
        else "answers with nginx's Server, Date and Content-Type too (no headers-more module)"
    )
    return (
        f"{version.stderr.strip().removeprefix('nginx version: ')}, one worker process, {answers}"
    )
