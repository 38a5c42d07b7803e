"""Pages signed the Standard Webhooks way, checked with the ``standardwebhooks`` package a
receiver would use: the signature verifies with the clinic's secret, a replay past five
minutes and a changed body are refused, and the old header is still there for one release."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from standardwebhooks import Webhook, WebhookVerificationError

from notifications.transports import Message, WebhookTransport
from notifications.transports.webhook import sign

NORTHS_SECRET = "north-paging-secret-7Qx"
NINE_AM = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
EVENT = {"event": "alert.triggered", "alert": {"id": 17, "state": "open"}, "clinic": "North"}


def page(url, secret=NORTHS_SECRET):
    return Message(
        address=url,
        title="",
        body="",
        url="https://diary.example.org/alerts/17",
        collapse_id="alert-17-0-triggered",
        extra={"payload": EVENT, "secret": secret},
    )


@pytest.fixture
def pager(httpserver, clean_channel_env):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "5")
    httpserver.expect_request("/hooks/diary", method="POST").respond_with_data("", status=204)
    return httpserver


def sent(pager):
    [(request, _)] = pager.log
    return request.get_data().decode(), dict(request.headers)


def receiver_headers(headers: dict) -> dict:
    return {name.lower(): value for name, value in headers.items()}


def test_the_page_verifies_with_the_standardwebhooks_library(pager):
    with time_machine.travel(NINE_AM, tick=False):
        WebhookTransport().send(page(pager.url_for("/hooks/diary")))
        body, headers = sent(pager)
        headers = receiver_headers(headers)

        assert headers["webhook-id"] == "alert-17-0-triggered"
        assert headers["webhook-timestamp"] == str(int(NINE_AM.timestamp()))
        assert headers["webhook-signature"].startswith("v1,")
        assert Webhook(NORTHS_SECRET.encode()).verify(body, headers) == EVENT


def test_a_secret_in_the_whsec_form_is_used_as_the_spec_says(pager):
    secret = "whsec_" + base64.b64encode(b"north-32-random-bytes-for-paging").decode()
    with time_machine.travel(NINE_AM, tick=False):
        WebhookTransport().send(page(pager.url_for("/hooks/diary"), secret=secret))
        body, headers = sent(pager)

        assert Webhook(secret).verify(body, receiver_headers(headers)) == EVENT


def test_a_replay_after_five_minutes_is_refused_by_the_receiver(pager):
    with time_machine.travel(NINE_AM, tick=False) as clock:
        WebhookTransport().send(page(pager.url_for("/hooks/diary")))
        body, headers = sent(pager)
        clock.shift(timedelta(minutes=6))

        with pytest.raises(WebhookVerificationError):
            Webhook(NORTHS_SECRET.encode()).verify(body, receiver_headers(headers))


def test_a_changed_body_or_another_secret_does_not_verify(pager):
    with time_machine.travel(NINE_AM, tick=False):
        WebhookTransport().send(page(pager.url_for("/hooks/diary")))
        body, headers = sent(pager)
        headers = receiver_headers(headers)

        with pytest.raises(WebhookVerificationError):
            Webhook(NORTHS_SECRET.encode()).verify(body.replace("open", "resolved"), headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(b"someone-else").verify(body, headers)


def test_the_old_signature_header_is_still_sent_for_one_release(pager):
    WebhookTransport().send(page(pager.url_for("/hooks/diary")))
    body, headers = sent(pager)

    assert headers["X-Signature-256"] == sign(body.encode(), NORTHS_SECRET)
    assert headers["X-Idempotency-Key"] == headers["Webhook-Id"]


def test_a_clinic_without_a_secret_gets_ids_and_times_but_no_signature(pager):
    WebhookTransport().send(page(pager.url_for("/hooks/diary"), secret=""))
    _, headers = sent(pager)
    headers = receiver_headers(headers)

    assert "webhook-signature" not in headers and "x-signature-256" not in headers
    assert headers["webhook-id"] == "alert-17-0-triggered"
