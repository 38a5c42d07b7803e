"""The WSGI wrapper that reads a chunked body (backend/chunked.py), called as a server
calls it: with a stream whose end the server promises (gunicorn), the body is read and its
length given to Django; without that promise (runserver, wsgiref) it is a 411 in JSON,
never an empty body."""

import io
import json

from backend.chunked import ChunkedBody


def environ(body: bytes, *, terminated: bool, **extra):
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/me/entries/",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": terminated,
        **extra,
    }


def call(wrapped_environ):
    seen = {}

    def app(env, start_response):
        seen["length"] = env.get("CONTENT_LENGTH")
        seen["body"] = env["wsgi.input"].read()
        start_response("201 Created", [])
        return [b""]

    answer = {}

    def start_response(status, headers):
        answer["status"], answer["headers"] = status, dict(headers)

    body = b"".join(ChunkedBody(app)(wrapped_environ, start_response))
    return answer, body, seen


def test_a_chunked_body_the_server_has_ended_is_read_with_its_length():
    answer, _, seen = call(environ(b'{"pain_score": 7}', terminated=True))

    assert answer["status"] == "201 Created"
    assert seen == {"length": "17", "body": b'{"pain_score": 7}'}


def test_a_chunked_body_from_a_server_that_cannot_end_it_is_a_411_in_json():
    answer, body, seen = call(environ(b'{"pain_score": 7}', terminated=False))

    assert answer["status"].startswith("411")
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "length_required"
    assert "Content-Length" in json.loads(body)["message"]
    assert seen == {}


def test_a_chunked_body_over_the_limit_is_a_400_in_json():
    answer, body, seen = call(environ(b"x" * (64 * 1024 + 1), terminated=True))

    assert answer["status"].startswith("400")
    assert "larger than 65536 bytes" in json.loads(body)["message"]
    assert seen == {}


def test_a_body_with_a_content_length_is_passed_on_untouched():
    answer, _, seen = call(
        environ(b"{}", terminated=False, HTTP_TRANSFER_ENCODING="", CONTENT_LENGTH="2")
    )

    assert answer["status"] == "201 Created"
    assert seen == {"length": "2", "body": b"{}"}
