"""``make run``'s processes as a newcomer meets them: migrate and the demo seeding say no ERROR
and no channel warning, the Procfile starts web, worker, alerts worker and beat, the first
reminders land in the local outbox, and Ctrl-C stops everything within 10 s, none killed.

The steps the Makefile's ``run`` target takes, on the embedded default (SQLite, filesystem
broker) in a folder of the test's own. Minutes of a busy machine's time: CI only.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.processes import IN_CI, REPO, free_port, wait_for

pytestmark = pytest.mark.skipif(not IN_CI, reason="starts the whole demo: CI=true")


def demo_env(tmp_path, port) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS", "PROMETHEUS"))
    }
    return {
        **env,
        "DEBUG": "true",
        "VAR_DIR": str(tmp_path / "var"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "CHECKIN_TICK_SECONDS": "2",
        "PATH": f"{os.path.dirname(sys.executable)}:{env['PATH']}",
    }


def manage(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_the_demo_seeds_quietly_shows_its_first_reminders_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = demo_env(tmp_path, port)
    said = manage(env, "migrate", "--noinput") + manage(env, "seed_demo")
    said += manage(env, "seed_demo_alerts")
    assert "ERROR" not in said and "disabled:" not in said, said

    log = tmp_path / "honcho.log"
    start = ["start", "--procfile", "Procfile", "--port", str(port), "--env", "/dev/null"]
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            [sys.executable, "bin/run-procfile", *start],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: log.read_text().count(" ready.") >= 2 and "outbox kept sms" in log.read_text(),
            timeout=90,
            what="both workers ready and a reminder kept",
            log=log,
        )
        # Ctrl-C in a terminal: SIGINT to the foreground process group.
        started = time.monotonic()
        os.killpg(honcho.pid, signal.SIGINT)
        status = honcho.wait(timeout=15)
        took = time.monotonic() - started
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)

    text = log.read_text()
    assert took < 10, text[-3000:]
    assert status == 130  # honcho's answer to SIGINT; the Makefile counts it as success
    assert "SIGKILL" not in text and "ERROR" not in text, text[-3000:]
    for name in ("worker", "alerts", "beat"):
        assert f"{name}.1 stopped (rc=0)" in text, text[-3000:]
    # Channel notices once per kind of process that sends: web, worker, alerts.
    assert text.count("Local outbox on:") == 3, text
