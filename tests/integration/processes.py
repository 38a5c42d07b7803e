"""Real Celery processes for integration tests: started as the Procfile starts them.

Also what those tests need around them: a Redis server of their own that they may stop and
start, local receivers standing in for the channel providers (pytest-httpserver for FCM and
Twilio, aiosmtpd for e-mail) and the environment that points a worker at them.
"""

import contextlib
import email
import email.policy
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"

# Everything a worker might read to reach a provider: each test states its own, so nothing
# leaks in from the developer's shell.
CHANNEL_ENV = [
    "FCM_BASE_URL",
    "FCM_PROJECT_ID",
    "FCM_ACCESS_TOKEN",
    "FCM_ACCESS_TOKEN_FILE",
    "FCM_SERVICE_ACCOUNT_FILE",
    "APNS_BASE_URL",
    "APNS_TOPIC",
    "APNS_KEY",
    "APNS_KEY_FILE",
    "APNS_KEY_ID",
    "APNS_TEAM_ID",
    "TWILIO_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_STATUS_CALLBACK_URL",
    "EMAIL_HOST",  # e-mail is off without it
]

# Seconds, not minutes: a tick each second, leases that run out within a test.
FAST_CLOCK = {
    "CHECKIN_TICK_SECONDS": 1,
    "DISPATCH_LOOKAHEAD_SECONDS": 1,
    "DELIVERY_ENQUEUE_LEASE_SECONDS": 3,
    "DELIVERY_SEND_LEASE_SECONDS": 3,
    # A send (connect + read, each up to the timeout) must end inside the send lease, or
    # it would be handed to someone else while it may yet arrive: 2 x 1 s < 3 s.
    "NOTIFY_HTTP_TIMEOUT": 1,
    "EMAIL_TIMEOUT": 1,
}

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"


def database_url() -> str:
    """The URL of the test database this test process is using, for child processes."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def free_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(redis_url: str, var_dir: Path, **extra_env) -> dict[str, str]:
    """The environment of a child process: this test's database, a Redis, its own folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var_dir),
        **{name: "" for name in CHANNEL_ENV},
        **{k: str(v) for k, v in extra_env.items()},
    }


# --- Celery workers -------------------------------------------------------------------


@dataclass
class Worker:
    """A running worker process (and its embedded beat, in the same process group)."""

    process: subprocess.Popen
    queue: str
    log: Path

    def kill(self) -> None:
        """``kill -9`` the whole process group: the worker and its beat die mid-step,
        with no chance to ack, requeue or record anything."""
        # The group, even if the worker itself is gone: its beat may not be. Already
        # killed (by another thread) leaves an empty group: nothing to do.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ticks(self) -> int:
        """How many beat ticks this worker has finished."""
        return sum(
            1
            for line in self.log_text().splitlines()
            if "notifications.tasks.tick[" in line and " succeeded in " in line
        )

    def wait_ready(self, timeout: float = 45) -> None:
        """Until the worker says it is ready to consume its queue."""
        wait_for(lambda: " ready." in self.log_text(), timeout=timeout, what="worker", log=self.log)


def start_worker(
    redis_url: str,
    folder: Path,
    *,
    beat: bool = False,
    queue: str | None = None,
    name: str = "worker",
    pool: str = "solo",
    queues: str = "both",
    **extra_env,
) -> Worker:
    """Start a worker (with an embedded beat if asked) on ``queue`` (a fresh one if None).

    Its log is ``folder/<name>.log``. Give each of two workers sharing a queue its own
    ``name``; stop it with ``Worker.kill``. ``pool="prefork"`` (one child) enforces the
    task time limits, which the default ``solo`` pool ignores.
    """
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    env = {**child_env(redis_url, folder, **extra_env), "CELERY_QUEUE": queue}
    command = [sys.executable, "-m", "celery", "-A", "backend", "worker", "--pool", pool]
    if pool == "prefork":  # one child, as time limits are only enforced there
        command += ["--concurrency", "1"]
    # Both queues: in a test one worker plays the main worker and the alerts worker, unless
    # ``queues`` is "main" or "alerts" (the alerts worker, named as the Procfile names it).
    consumed = {"both": f"{queue},{queue}-alerts", "main": queue, "alerts": f"{queue}-alerts"}
    command += ["--queues", consumed[queues], "--without-gossip", "--without-mingle"]
    command += ["--loglevel", "INFO"]
    prefix = "alerts" if queues == "alerts" else name
    command += ["--hostname", f"{prefix}-{uuid.uuid4().hex[:6]}@%h"]
    if beat:
        command += ["--beat", "--schedule", str(folder / f"{name}-beat-schedule")]
    log_path = folder / f"{name}.log"
    with log_path.open("ab") as log:
        # A session of its own: an embedded beat is a child process, and killing only the
        # worker would leave it running (and ticking) after the test.
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(process=process, queue=queue, log=log_path)


def start_beat(redis_url: str, folder: Path, *, queue: str, **extra_env) -> Worker:
    """Beat alone, as the Procfile starts it, publishing to ``queue``; log ``folder/beat.log``."""
    env = {**child_env(redis_url, folder, **extra_env), "CELERY_QUEUE": queue}
    command = [sys.executable, "-m", "celery", "-A", "backend", "beat", "--loglevel", "INFO"]
    command += ["--schedule", str(folder / "beat-schedule")]
    log_path = folder / "beat.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(process=process, queue=queue, log=log_path)


@contextlib.contextmanager
def worker(redis_url: str, folder: Path, **options):
    """``start_worker`` as a context manager: the process group is killed on exit."""
    started = start_worker(redis_url, folder, **options)
    try:
        yield started
    finally:
        started.kill()


@contextlib.contextmanager
def celery_worker(redis_url: str, tmp_path: Path, *, beat: bool = False, **extra_env):
    """A worker process (with an embedded beat if asked) on a queue of its own.

    Yields the queue name. The process is killed on exit whatever happened.
    """
    with worker(redis_url, tmp_path, beat=beat, **extra_env) as started:
        yield started.queue


def wait_for(condition, *, timeout: float, what: str, log: Path | None = None):
    """Poll ``condition`` until it is true; fail with the worker's log if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def holds_for(condition, *, seconds: float, what: str, log: Path | None = None) -> None:
    """Poll ``condition`` for ``seconds``; fail the moment it is false.

    For "nothing may happen during this window" (an outage, ticks after a send): the window
    is the point of the test, and it is watched, not slept through.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise AssertionError(f"{what} stopped holding\n{tail}")
        time.sleep(0.2)


def wait_for_ticks(worker: Worker, count: int, *, timeout: float = 45) -> None:
    """Until ``worker``'s beat has run ``count`` more ticks: time passing as the worker sees it."""
    target = worker.ticks() + count
    wait_for(
        lambda: worker.ticks() >= target,
        timeout=timeout,
        what=f"{count} more ticks",
        log=worker.log,
    )


# --- A Redis server of the test's own ------------------------------------------------------


def redis_server_binary() -> str:
    """``redis-server``: skipped locally without it, a failure in CI."""
    path = shutil.which("redis-server")
    if path:
        return path
    reason = "needs redis-server on PATH to start a private Redis"
    if IN_CI:
        pytest.fail(f"CI must run this test against a real server: {reason}")
    pytest.skip(reason)


class PrivateRedis:
    """A ``redis-server`` on a free port that only this test uses, and may stop.

    Nothing is saved to disk (``--save "" --appendonly no``): a restart comes back empty,
    as a crashed broker without persistence does, so whatever the broker held is lost and
    only the database can say what is still to be sent.
    """

    def __init__(self, folder: Path):
        self.binary = redis_server_binary()
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def client(self):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # No retries: redis-py's default backoff would turn each "is it down?" into seconds.
        return redis.Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
        )

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(self.ping, timeout=15, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        """Kill it (no shutdown, no save) and wait until the port refuses connections."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not self.ping(), timeout=10, what="redis-server to stop")


@contextlib.contextmanager
def private_redis(folder: Path):
    """A started ``PrivateRedis``, stopped on exit whatever happened."""
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- Stand-ins for the providers ---------------------------------------------------------


@dataclass
class Arrival:
    """One request that reached a provider stand-in."""

    at: float  # time.time() when it arrived
    path: str
    headers: dict
    json: dict | None
    form: dict

    @property
    def collapse_id(self) -> str:
        return ((self.json or {}).get("message") or {}).get("data", {}).get("collapse_id", "")


@dataclass
class Providers:
    """FCM and Twilio as pytest-httpserver handlers that keep every request.

    ``hold`` is called with each arrival before it is answered, in the receiver's thread: a
    test can act there while that send is in flight (e.g. kill the worker waiting on it).
    """

    httpserver: object
    fcm_project: str = "test"
    fcm_token: str = "test-token"
    arrivals: list[Arrival] = field(default_factory=list)
    hold: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        from werkzeug import Response

        def keep(request) -> Arrival:
            arrival = Arrival(
                at=time.time(),
                path=request.path,
                headers=dict(request.headers),
                json=request.get_json(silent=True),
                form=request.form.to_dict(),
            )
            with self.lock:
                self.arrivals.append(arrival)
            if self.hold is not None:
                self.hold(arrival)
            return arrival

        def fcm(request):
            number = len(self.arrivals) + 1
            keep(request)
            body = {"name": f"projects/{self.fcm_project}/messages/{number}"}
            return Response(json.dumps(body), status=200, content_type="application/json")

        def twilio(request):
            number = len(self.arrivals) + 1
            keep(request)
            body = {"sid": f"SM{number:032d}", "status": "queued"}
            return Response(json.dumps(body), status=201, content_type="application/json")

        self.httpserver.expect_request(
            f"/v1/projects/{self.fcm_project}/messages:send", method="POST"
        ).respond_with_handler(fcm)
        self.httpserver.expect_request(
            f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json", method="POST"
        ).respond_with_handler(twilio)

    @property
    def base_url(self) -> str:
        return self.httpserver.url_for("/").rstrip("/")

    def env(self) -> dict[str, str]:
        """What a worker needs to send push (FCM) and SMS (Twilio) here."""
        return {
            "FCM_BASE_URL": self.base_url,
            "FCM_PROJECT_ID": self.fcm_project,
            "FCM_ACCESS_TOKEN": self.fcm_token,
            "TWILIO_BASE_URL": self.base_url,
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "TWILIO_AUTH_TOKEN": "twilio-test-auth-token",
            "TWILIO_FROM": "+442079460999",
        }

    def received(self) -> list[Arrival]:
        with self.lock:
            return list(self.arrivals)

    def pushes(self) -> list[Arrival]:
        return [a for a in self.received() if a.path.endswith("/messages:send")]

    def texts(self) -> list[Arrival]:
        return [a for a in self.received() if a.path.endswith("/Messages.json")]

    def count_by_collapse_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for arrival in self.pushes():
            counts[arrival.collapse_id] = counts.get(arrival.collapse_id, 0) + 1
        return counts


@dataclass
class SmtpReceiver:
    """An aiosmtpd handler that keeps each message with the time it arrived."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list = field(default_factory=list)  # (time.time(), email.message.EmailMessage)

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((time.time(), parsed))
        return "250 Message accepted for delivery"

    def env(self) -> dict[str, str]:
        return {
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": str(self.port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_USE_SSL": "false",
        }


@contextlib.contextmanager
def smtp_receiver():
    """A real SMTP server on a free local port, stopped on exit."""
    from aiosmtpd.controller import Controller

    receiver = SmtpReceiver(port=free_port())
    controller = Controller(receiver, hostname=receiver.host, port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
