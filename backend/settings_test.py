"""Test settings: the real ones with a fast password hasher and no throttling noise."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# Tests run as production does, whatever DEBUG the developer's shell holds.
os.environ["DEBUG"] = "false"

from backend.settings import *  # noqa: F403
from backend.settings import REST_FRAMEWORK

# The webhook tests post to a local receiver (pytest-httpserver, http on 127.0.0.1);
# tests of the refusal turn this off.
WEBHOOK_ALLOW_PRIVATE_HOSTS = True
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
