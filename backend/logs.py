"""Log lines: JSON in production, readable in ``make run``, each with the request it belongs to.

Stdlib pieces only (a formatter, a filter, a middleware, two Celery signals): what they do is
small enough that structlog would add a dependency and a second way of logging for nothing.

- ``RequestIdMiddleware`` gives each web request an id (the caller's ``X-Request-ID`` when it
  is a plain token, else a fresh one), answers with it, and holds it while the request runs.
- ``before_task_publish`` copies it into the headers of every task the request enqueues;
  ``task_prerun`` puts it back in place in the worker, so a page sent by the alerts worker
  carries the id of the patient's request that raised it. Beat's tasks carry none: their
  lines carry the task id instead.
- ``ContextFilter`` writes both onto every record, with the kind of process.
- ``JsonFormatter`` writes one JSON object per line. Patient data never goes into a log
  call here (ids, counts and address tails only: tests/test_no_patient_data_in_logs.py); as a
  last guard, anything shaped like a phone number or an e-mail address in a line (a database
  error's DETAIL, a provider's echo) is masked before it is written.
"""

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from celery.signals import before_task_publish, task_postrun, task_prerun

from backend import process_kind
from backend.routes import route_of

request_id: ContextVar[str] = ContextVar("request_id", default="")
task_id: ContextVar[str] = ContextVar("task_id", default="")

HEADER = "request_id"
_CALLER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Numbers are stored in E.164 (diary.models.E164): a plus and 8 to 15 digits.
_PHONE = re.compile(r"\+\d{8,15}\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_KIND = process_kind.of()


def mask(text: str) -> str:
    """Phone numbers and e-mail addresses out of a line (their tails are logged on purpose)."""
    return _EMAIL.sub("[e-mail]", _PHONE.sub("[phone]", text))


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``task_id`` and ``process`` (web, worker, alerts, beat…)."""

    def filter(self, record):
        record.request_id = request_id.get() or "-"
        record.task_id = task_id.get() or "-"
        record.process_kind = _KIND
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what a log collector indexes without a parser of its own."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            "process": getattr(record, "process_kind", _KIND),
            "pid": record.process,
        }
        for key in ("request_id", "task_id"):
            value = getattr(record, key, "-")
            if value != "-":
                line[key] = value
        if record.exc_info:
            line["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """``make run``'s lines: time, level, logger, request id (when there is one), message."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record):
        request = getattr(record, "request_id", "-")
        record.context = f" [{request}]" if request != "-" else ""
        return super().format(record)

    def formatMessage(self, record):
        record.message = mask(record.message)
        return super().formatMessage(record)

    def formatException(self, exc_info):
        return mask(super().formatException(exc_info))


def logging_config(*, json_lines: bool, level: str) -> dict:
    """Django's ``LOGGING``: one console handler, every record with its context."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {
            "json": {"()": JsonFormatter},
            "plain": {"()": PlainFormatter},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json" if json_lines else "plain",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }


access_log = logging.getLogger("backend.requests")


class RequestIdMiddleware:
    """Holds the request's id while it runs, answers with it in ``X-Request-ID``, and writes
    one line per request: method, route, status and time. The route (``c/<str:token>``), never
    the path: a web check-in's path is the patient's link, which opens their diary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _CALLER_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            match = getattr(request, "resolver_match", None)
            access_log.info(
                "%s /%s %s %.0f ms",
                request.method,
                route_of(match) if match else "?",
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
        finally:
            request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs):
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault(HEADER, rid)


@task_prerun.connect
def _restore_request_id(task_id=None, task=None, **kwargs):
    request = getattr(task, "request", None)
    rid = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    request_id.set(rid or "")
    _set_task_id(task_id)


@task_postrun.connect
def _forget_request_id(**kwargs):
    request_id.set("")
    _set_task_id("")


def _set_task_id(value):
    task_id.set(value or "")
