"""A body sent chunked (Transfer-Encoding: chunked, no Content-Length) is read, as gunicorn
hands it over, and never taken for an empty one: Ana's report sent that way by a phone's
HTTP library is stored as she sent it. Where the server cannot promise the stream's end
(wsgi.input_terminated), it is refused with a 411, never read as empty."""

import json
import uuid

import pytest
from django.utils import timezone

from diary.models import DiaryEntry
from tests.factories import patient_token
from tests.integration.web_server import gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def chunks(body: bytes, size: int = 7):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def post_chunked(server, path, body: bytes, token: str):
    connection = server.connection()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", path, body=chunks(body), headers=headers, encode_chunked=True)
    response = connection.getresponse()
    return response.status, response.read()


def test_ana_s_report_sent_chunked_through_gunicorn_is_stored(
    requires_postgres, tmp_path, ana, anas_block
):
    token = patient_token(ana)
    report = {
        "client_id": str(uuid.uuid4()),
        "procedure": anas_block.id,
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 7,
        "bowel_bladder_change": True,
    }
    with gunicorn(tmp_path) as server:
        status, body = post_chunked(
            server, "/api/v1/me/entries/", json.dumps(report).encode(), token
        )

    assert status == 201, body
    entry = DiaryEntry.objects.get(client_id=report["client_id"])
    assert (entry.pain_score, entry.bowel_bladder_change) == (7, True)


def test_a_chunked_body_over_the_limit_is_refused_in_json(
    requires_postgres, tmp_path, ana, anas_block
):
    token = patient_token(ana)
    huge = json.dumps({"note": "x" * (70 * 1024)}).encode()  # the limit is 64 KiB
    with gunicorn(tmp_path) as server:
        status, body = post_chunked(server, "/api/v1/me/entries/", huge, token)

    assert status == 400
    assert "larger than" in json.loads(body)["message"]
    assert not DiaryEntry.objects.exists()
