"""gunicorn for integration tests, started as the Dockerfile starts it (threaded workers),
on this test's database: what a request meets in production, not Django's test client."""

import contextlib
import http.client
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.integration.processes import REPO, child_env, free_port, wait_for


@dataclass
class WebServer:
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/api/v1/health/")
        return connection.getresponse().status in (200, 503)
    except OSError:
        return False


@contextlib.contextmanager
def gunicorn(folder: Path, *, redis_url: str = "", workers: int = 1, threads: int = 4, **env):
    """A gunicorn (gthread) on a free port, killed on exit; its log is ``folder/gunicorn.log``."""
    port = free_port()
    log_path = folder / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "backend.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=child_env(redis_url, folder, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = WebServer(port=port, log=log_path)
    try:
        wait_for(lambda: _answers(port), timeout=60, what="gunicorn", log=log_path)
        yield server
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
        # The whole group: a worker left behind would hold a connection to the test
        # database, and the database could not be dropped at the end of the run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
