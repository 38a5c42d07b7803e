"""PagerDuty's Events API v2, played on pytest-httpserver: it checks each event as the real
endpoint does and keeps the incidents the events open, acknowledge and resolve.

https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ (and the acknowledge and
resolve pages beside it): a JSON body with a 32-character ``routing_key``, an
``event_action`` of trigger, acknowledge or resolve, a ``dedup_key`` (required for
acknowledge and resolve), and for a trigger a ``payload`` with ``summary`` (at most 1024
characters), ``source`` and a ``severity`` of critical, error, warning or info. Accepted:
``202 {"status": "success", "message": "Event processed", "dedup_key": …}``; refused:
``400 {"status": "invalid event", "message": "Event object is invalid", "errors": […]}``.
"""

import json
import uuid
from dataclasses import dataclass, field

from werkzeug import Request, Response

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
RATE_LIMITED = (
    429,
    {
        "status": "throttle event",
        "message": "Requests for this service are arriving too quickly. Please retry later.",
    },
)
INVALID = (
    400,
    {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["'payload.summary' is missing or blank"],
    },
)
UNAVAILABLE = (503, {"status": "unavailable", "message": "Service unavailable"})


def problems(event) -> list[str]:
    """Why the real endpoint would refuse this event (empty: it takes it)."""
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    found = []
    key = event.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        found.append("'routing_key' must be a 32 character string")
    action = event.get("event_action")
    if action not in ACTIONS:
        found.append("'event_action' is invalid (must be one of trigger, acknowledge, resolve)")
    dedup_key = event.get("dedup_key")
    if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
        found.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        found.append("'dedup_key' is required for acknowledge and resolve")
    if action == "trigger":
        payload = event.get("payload")
        if not isinstance(payload, dict):
            return [*found, "'payload' is missing"]
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary.strip() or len(summary) > 1024:
            found.append("'payload.summary' is missing, blank or longer than 1024")
        if not isinstance(payload.get("source"), str) or not payload["source"].strip():
            found.append("'payload.source' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            found.append("'payload.severity' is invalid")
    return found


@dataclass
class Incident:
    dedup_key: str
    status: str  # triggered, acknowledged, resolved
    severity: str
    log: list = field(default_factory=list)  # every action taken on it, in order


@dataclass
class PagerDutyReceiver:
    """Answers 202 to a valid event, 400 to an invalid one; ``script(answer, …)`` makes the
    next requests answer as told instead: ``(status, body)`` or ``(status, body, headers)``."""

    routing_key: str
    events: list = field(default_factory=list)  # (raw body, parsed event) of every request
    answers: list = field(default_factory=list)  # the status of each answer, in order
    incidents: dict = field(default_factory=dict)  # by dedup_key
    scripted: list = field(default_factory=list)

    def script(self, *answers) -> None:
        self.scripted.extend(answers)

    @property
    def actions(self) -> list[str]:
        return [event.get("event_action") for _, event in self.events]

    def handle(self, request: Request) -> Response:
        raw = request.get_data()
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        self.events.append((raw, event))
        if self.scripted:
            status, body, *headers = self.scripted.pop(0)
            return self._answer(status, body, headers[0] if headers else {})
        if request.mimetype != "application/json":
            return self._answer(400, {"status": "invalid event", "message": "not JSON"})
        found = problems(event)
        if found:
            errors = {"status": "invalid event", "message": "Event object is invalid"}
            return self._answer(400, {**errors, "errors": found})
        if event["routing_key"] != self.routing_key:
            # PagerDuty takes an event for a key it has no integration for, and drops it.
            return self._answer(202, self._accepted(event))
        return self._answer(202, self._apply(event))

    def _apply(self, event: dict) -> dict:
        action, dedup_key = event["event_action"], event.get("dedup_key") or uuid.uuid4().hex
        incident = self.incidents.get(dedup_key)
        if action == "trigger":
            if incident is None or incident.status == "resolved":
                incident = Incident(dedup_key, "triggered", event["payload"]["severity"])
                self.incidents[dedup_key] = incident
            incident.log.append(action)  # an open incident's repeat is appended to its log
        elif incident is not None and incident.status != "resolved":
            # Acknowledge or resolve with no open incident: accepted, and nothing happens.
            incident.status = "acknowledged" if action == "acknowledge" else "resolved"
            incident.log.append(action)
        return self._accepted({**event, "dedup_key": dedup_key})

    def _accepted(self, event: dict) -> dict:
        dedup_key = event.get("dedup_key") or uuid.uuid4().hex
        return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}

    def _answer(self, status: int, body: dict, headers: dict | None = None) -> Response:
        self.answers.append(status)
        return Response(
            json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
        )
