"""Sentry (backend/errors.py): off without a DSN; with one, an error in Ana's report reaches
it without her answers, her link, her token or anything shaped like her number."""

import uuid

import pytest
import sentry_sdk
from django.conf import settings
from django.utils import timezone
from sentry_sdk.transport import Transport

from backend import errors
from diary.api import patient_views

pytestmark = pytest.mark.django_db

NOTE = "my left knee sings at night"


@pytest.fixture
def sentry_events():
    """Sentry on, its envelopes kept here instead of sent (the network edge we do not own)."""
    events = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            events.extend(item.payload.json for item in envelope.items if item.type == "event")

    errors.init("https://public@sentry.invalid/1", environment="test", transport=Keep)
    yield events
    sentry_sdk.init()  # no DSN: off again for the rest of the run


def test_without_a_dsn_nothing_is_sent():
    assert settings.SENTRY_DSN == ""
    assert not sentry_sdk.get_client().is_active()


def test_an_error_in_ana_s_report_reaches_sentry_without_her_answers_or_token(
    sentry_events, as_ana, anas_block, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("could not store the entry of +447700900123")

    monkeypatch.setattr(patient_views.services, "record_entry", broken)
    as_ana.raise_request_exception = False
    body = {
        "client_id": str(uuid.uuid4()),
        "procedure": anas_block.pk,
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 7,
        "note": NOTE,
    }

    answer = as_ana.post("/api/v1/me/entries/", body, format="json")
    sentry_sdk.flush()

    assert answer.status_code == 500
    [event] = sentry_events
    # Everything but the source lines around each frame (this test's own code, which
    # spells out the number and the note).
    exception = event["exception"]["values"][-1]
    sent = str({k: v for k, v in event.items() if k != "exception"}) + exception["value"]
    assert exception["type"] == "RuntimeError" and "[phone]" in sent
    assert NOTE not in sent and "+447700900123" not in sent
    assert "data" not in event["request"]
    assert event["request"].get("headers", {}).get("Authorization") in (None, "[removed]")
    frames = exception["stacktrace"]["frames"]
    assert all("vars" not in frame for frame in frames)


def test_a_staff_endpoint_s_body_may_go_but_never_a_cookie_or_a_link():
    event = {
        "request": {
            "url": "https://diary.example/c/secret-token/checkins/3/",
            "data": {"note": NOTE},
            "cookies": {"sessionid": "x"},
            "headers": {"Cookie": "sessionid=x", "User-Agent": "phone"},
        }
    }

    scrubbed = errors.scrub(event)["request"]

    assert scrubbed["url"] == "https://diary.example/c/[link]/checkins/3/"
    assert "data" not in scrubbed and "cookies" not in scrubbed
    assert scrubbed["headers"] == {"Cookie": "[removed]", "User-Agent": "phone"}
    staff = errors.scrub({"request": {"url": "https://d/api/v1/patients/", "data": {"a": 1}}})
    assert staff["request"]["data"] == {"a": 1}
