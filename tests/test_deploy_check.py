"""The documented production settings pass Django's deployment checks, and behind the TLS
proxy plain HTTP is sent to HTTPS with HSTS (the health check excepted)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "false",
        "SECRET_KEY": "a-production-like-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "diary.north.example.org",
        "BEHIND_TLS_PROXY": "true",
        "HSTS_PRELOAD": "true",
        "VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    # tests/browser.py sets it for Playwright when a browser test was collected in this
    # process; production never has it, and check --deploy rightly refuses it (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues" in checked.stdout


def test_plain_http_goes_to_https_but_the_health_check_answers(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True  # as BEHIND_TLS_PROXY=true sets it

    page = client.get("/dashboard/login/")
    health = client.get("/api/v1/health/")

    assert (page.status_code, page["Location"]) == (301, "https://testserver/dashboard/login/")
    assert health.status_code in (200, 503)
