"""Test settings: the real ones with a fast password hasher and no throttling noise."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# Tests run as production does, whatever DEBUG the developer's shell holds.
os.environ["DEBUG"] = "false"
# Each test process counts its own metrics (parallel test processes would otherwise sum each
# other's); a test of the multi-process set-up gives its child processes a folder.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "")

from backend.settings import *  # noqa: F403
from backend.settings import CACHES, REDIS_URL, REST_FRAMEWORK


def per_worker(url: str) -> str:
    """The Redis database of this test process: parallel processes (pytest -n) each get
    one of their own, because every test starts by clearing the cache (a FLUSHDB), which
    would wipe another process's throttle counts or queues mid-test. gw0 keeps the
    configured database; gw1 the next, and so on."""
    from urllib.parse import urlsplit, urlunsplit

    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (url and worker.startswith("gw") and worker[2:].isdigit()):
        return url
    parts = urlsplit(url)
    db = (int(parts.path.strip("/") or 0) + int(worker[2:])) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


if REDIS_URL:
    CACHES["default"]["LOCATION"] = per_worker(REDIS_URL)

# The webhook tests post to a local receiver (pytest-httpserver, http on 127.0.0.1);
# tests of the refusal turn this off.
WEBHOOK_ALLOW_PRIVATE_HOSTS = True
# Never PagerDuty itself: a test that forgets its local receiver (the ``pagerduty`` fixture)
# gets a refused connection here (the discard port), not an incident at a real service. A
# worker process a test starts is given its receiver's URL in the environment.
PAGERDUTY_EVENTS_URL = os.environ.get("PAGERDUTY_EVENTS_URL", "http://127.0.0.1:9/v2/enqueue")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "enroll": "5/min",
        "login": "5/min",
        "patient": "10000/min",
        "weblink": "5/min",
    },
}
# Above the per-address login rate (5/min here), so that a throttle test meets the throttle,
# not the lockout; tests/test_login_lockout.py sets the limits it tests.
AXES_FAILURE_LIMIT = 10
LOGIN_LOCKOUT_ACCOUNT_FAILURES = 20
