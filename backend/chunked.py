"""A request body sent chunked (no Content-Length) is read, or refused: never empty.

Why: Django reads ``CONTENT_LENGTH`` bytes of a body and, with none given, reads nothing,
so a phone library that streams its POST chunked had its report taken for an empty one.
gunicorn decodes chunked bodies and says so with ``wsgi.input_terminated`` (reading to
the end of ``wsgi.input`` is safe); Django does not look at it. This wrapper reads such a
body (within ``DATA_UPLOAD_MAX_MEMORY_SIZE``) and gives Django its length. A server that
makes no such promise (runserver) gets a 411 in JSON: better refused than lost.
"""

import io
import json

from django.conf import settings


class ChunkedBody:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if _chunked(environ) and not environ.get("CONTENT_LENGTH"):
            if not environ.get("wsgi.input_terminated"):
                detail = "Send a Content-Length: this server cannot read a chunked body."
                return _refuse(start_response, "411 Length Required", "length_required", detail)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = (
                environ["wsgi.input"].read()
                if limit is None
                else environ["wsgi.input"].read(limit + 1)
            )
            if limit is not None and len(body) > limit:
                detail = f"Request body is larger than {limit} bytes."  # as diary.api.errors
                return _refuse(start_response, "400 Bad Request", "too_large", detail)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)


def _chunked(environ) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "").lower().split(",")
    return "chunked" in (coding.strip() for coding in codings)


def _refuse(start_response, status: str, code: str, message: str):
    # The API's one error body (diary.api.errors), built here: this runs before Django.
    body = json.dumps({"code": code, "message": message, "fields": {}}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        # The rest of the body is unread: the connection cannot carry another request.
        ("Connection", "close"),
    ]
    start_response(status, headers)
    return [body]
