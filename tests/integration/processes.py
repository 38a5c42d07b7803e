"""Real Celery processes for integration tests: started as the Procfile starts them."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of the test database this test process is using, for child processes."""
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@contextmanager
def celery_worker(redis_url: str, tmp_path: Path, *, beat: bool = False, **extra_env):
    """A worker process (with an embedded beat if asked) on a queue of its own.

    Yields the queue name. The process is killed on exit whatever happened.
    """
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings_test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "VAR_DIR": str(tmp_path),
        **{k: str(v) for k, v in extra_env.items()},
    }
    command = [sys.executable, "-m", "celery", "-A", "backend", "worker", "--pool", "solo"]
    command += ["--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    if beat:
        command += ["--beat", "--schedule", str(tmp_path / "beat-schedule")]
    log = (tmp_path / "worker.log").open("wb")
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
    try:
        yield queue
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()


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
