"""Sentry, off unless a DSN is set (backend/errors.py)."""

from backend.env import read_secret
from backend.settings_sections.base import DEBUG, env

# Off unless a DSN is set; then errors of the web and the workers go to Sentry, scrubbed.
SENTRY_DSN = read_secret("SENTRY_DSN", default="")
if SENTRY_DSN:
    from backend import errors

    errors.init(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=""),
    )
