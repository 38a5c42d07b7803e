"""Log lines (backend/logs.py): JSON in production, a request id on each, carried into the
tasks the request enqueues; phone numbers and e-mail addresses masked as a last guard."""

import json
import logging

import pytest

from backend import logs

pytestmark = pytest.mark.django_db


def record(message, *args, exc_info=None) -> logging.LogRecord:
    made = logging.LogRecord(
        "notifications.x", logging.WARNING, __file__, 1, message, args, exc_info
    )
    logs.ContextFilter().filter(made)
    return made


def test_a_json_line_carries_level_logger_request_and_process_and_masks_contact_details():
    token = logs.request_id.set("req-1")
    try:
        line = logs.JsonFormatter().format(
            record("could not text %s or mail %s", "+447700900123", "ana@example.org")
        )
    finally:
        logs.request_id.reset(token)

    parsed = json.loads(line)
    assert parsed["message"] == "could not text [phone] or mail [e-mail]"
    assert (parsed["level"], parsed["logger"], parsed["request_id"]) == (
        "WARNING",
        "notifications.x",
        "req-1",
    )
    assert "task_id" not in parsed and parsed["process"]


def test_an_exception_s_text_is_masked_too():
    try:
        raise ValueError("Key (phone)=(+447700900123) already exists.")
    except ValueError:
        import sys

        line = json.loads(logs.JsonFormatter().format(record("failed", exc_info=sys.exc_info())))

    assert "+447700900123" not in line["exception"] and "[phone]" in line["exception"]


def test_a_plain_line_is_for_people_and_keeps_its_times_and_durations():
    line = logs.PlainFormatter().format(
        record("tick took %ss at %s", 0.015298620000066876, "+4420")
    )

    assert line.endswith("WARNING notifications.x tick took 0.015298620000066876s at +4420")


def test_every_answer_carries_its_request_id_and_a_caller_s_plain_one_is_kept(client):
    mine = client.get("/api/v1/health/", headers={"X-Request-ID": "lb-7f3a"})
    odd = client.get("/api/v1/health/", headers={"X-Request-ID": "no spaces <allowed>"})

    assert mine["X-Request-ID"] == "lb-7f3a"
    assert len(odd["X-Request-ID"]) == 32 and " " not in odd["X-Request-ID"]


def test_a_task_enqueued_during_a_request_carries_its_id_in_its_headers():
    headers = {}
    token = logs.request_id.set("req-9")
    try:
        logs._carry_request_id(headers=headers)
    finally:
        logs.request_id.reset(token)

    assert headers == {"request_id": "req-9"}


def test_a_request_line_names_the_route_not_the_patient_s_link(client, caplog):
    with caplog.at_level(logging.INFO, logger="backend.requests"):
        client.get("/c/secret-link-token-abc")

    [line] = [r.getMessage() for r in caplog.records if r.name == "backend.requests"]
    assert line.startswith("GET /c/<str:token> ")
    assert "secret-link-token-abc" not in line


def test_a_request_line_names_a_router_s_route_without_its_regex_anchors(client, caplog):
    with caplog.at_level(logging.INFO, logger="backend.requests"):
        client.get("/api/v1/me/entries/")

    [line] = [r.getMessage() for r in caplog.records if r.name == "backend.requests"]
    assert line.startswith("GET /api/v1/me/entries/ 401 ")
