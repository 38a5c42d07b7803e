"""Log lines: JSON or plain, one per record, with its request or task (backend/logs.py)."""

from django.core.exceptions import ImproperlyConfigured

from backend.logs import logging_config
from backend.settings_sections.base import DEBUG, REDIS_URL, env

# One line per record, with the request (or task) it belongs to (backend/logs.py): JSON for a
# log collector, or the plain lines a person reads in `make run` (the default in DEBUG).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}")
LOGGING = logging_config(
    json_lines=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO")
)
# Celery's workers and beat write through the same handler as the web, not a format of
# their own: one shape of line for the collector, request ids included.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
if not REDIS_URL:
    # kombu's filesystem transport has no host, and says so at WARNING on every connection.
    LOGGING["loggers"] = {"kombu.connection": {"level": "ERROR"}}
