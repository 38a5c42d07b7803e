"""The clinic webhook against a real local receiver (pytest-httpserver): North's paging
system gets the exact signed body, and its answers are classed permanent or temporary."""

import hashlib
import hmac
import json
import logging
import socket

import pytest

from notifications.transports import TRANSPORTS, Message, TransportError, WebhookTransport
from notifications.transports.webhook import sign

NORTHS_SECRET = "north-paging-secret-7Qx"
EVENT = {
    "event": "alert.triggered",
    "alert": {
        "id": 17,
        "severity": "urgent",
        "rule": "fever",
        "state": "open",
        "escalation_step": 0,
        "created_at": "2026-06-10T11:00:00+00:00",
        "url": "https://diary.example.org/alerts/17",
    },
    "clinic": "North",
}


def event_for(url, secret=NORTHS_SECRET, payload=EVENT):
    return Message(
        address=url,
        title="",
        body="",
        url="https://diary.example.org/alerts/17",
        collapse_id="alert-17-0-triggered",
        extra={"payload": payload, "secret": secret},
    )


def only_request(httpserver):
    assert len(httpserver.log) == 1, httpserver.log
    return httpserver.log[0][0]


@pytest.fixture
def pager_url(httpserver, clean_channel_env):
    """North's paging endpoint; answers within seconds or the test fails."""
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "5")
    return httpserver.url_for("/hooks/diary")


def test_the_receiver_gets_the_exact_compact_sorted_body(httpserver, pager_url):
    httpserver.expect_oneshot_request("/hooks/diary", method="POST").respond_with_data(
        "", status=204, headers={"X-Request-Id": "req-81f2"}
    )

    result = WebhookTransport().send(event_for(pager_url))

    request = only_request(httpserver)
    assert request.get_data() == (
        b'{"alert":{"created_at":"2026-06-10T11:00:00+00:00","escalation_step":0,"id":17,'
        b'"rule":"fever","severity":"urgent","state":"open",'
        b'"url":"https://diary.example.org/alerts/17"},"clinic":"North",'
        b'"event":"alert.triggered"}'
    )
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "pain-diary-webhook/1"
    assert result.status_code == 204
    assert result.provider_id == "req-81f2"


def test_the_signature_verifies_with_the_clinics_secret(httpserver, pager_url):
    httpserver.expect_request("/hooks/diary").respond_with_data("ok")

    WebhookTransport().send(event_for(pager_url))

    request = only_request(httpserver)
    expected = hmac.new(NORTHS_SECRET.encode(), request.get_data(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["X-Signature-256"], f"sha256={expected}")
    assert hmac.compare_digest(
        request.headers["X-Signature-256"], sign(request.get_data(), NORTHS_SECRET)
    )
    wrong = hmac.new(b"someone-else", request.get_data(), hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(request.headers["X-Signature-256"], f"sha256={wrong}")


def test_a_clinic_without_a_secret_gets_no_signature_header(httpserver, pager_url):
    httpserver.expect_request("/hooks/diary").respond_with_data("ok")

    WebhookTransport().send(event_for(pager_url, secret=""))

    request = only_request(httpserver)
    assert "X-Signature-256" not in request.headers
    assert json.loads(request.get_data()) == EVENT


def test_the_idempotency_key_is_the_collapse_id_so_a_retry_pages_nobody_twice(
    httpserver, pager_url
):
    httpserver.expect_request("/hooks/diary").respond_with_data("ok")

    WebhookTransport().send(event_for(pager_url))
    WebhookTransport().send(event_for(pager_url))

    keys = [request.headers["X-Idempotency-Key"] for request, _ in httpserver.log]
    assert keys == ["alert-17-0-triggered", "alert-17-0-triggered"]
    bodies = {request.get_data() for request, _ in httpserver.log}
    assert len(bodies) == 1


def test_an_answer_without_a_request_id_is_still_sent(httpserver, pager_url):
    httpserver.expect_request("/hooks/diary").respond_with_json({"received": True}, status=202)

    result = WebhookTransport().send(event_for(pager_url))

    assert result.status_code == 202
    assert result.provider_id == ""


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (500, False),
        (502, False),
        (503, False),
        (408, False),
        (425, False),
        (429, False),
        (400, True),
        (401, True),
        (404, True),
        (410, True),
        (301, True),  # moved: the configured URL is wrong, and the signature stays home
    ],
)
def test_the_receivers_answer_says_whether_to_try_again(httpserver, pager_url, status, permanent):
    httpserver.expect_request("/hooks/diary").respond_with_data(
        "nope", status=status, headers={"Location": "http://elsewhere.example.org/"}
    )

    with pytest.raises(TransportError) as failed:
        WebhookTransport().send(event_for(pager_url))

    assert failed.value.permanent is permanent
    assert failed.value.status_code == status
    assert failed.value.response == "nope"
    assert len(httpserver.log) == 1  # a redirect is not followed


def test_a_receiver_that_does_not_answer_in_time_is_temporary(
    stalled, pager_url, clean_channel_env
):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "0.2")
    with pytest.raises(TransportError) as failed:
        WebhookTransport().send(event_for(pager_url))

    assert failed.value.permanent is False
    assert failed.value.error_code == "timeout"
    assert failed.value.status_code is None


def test_a_refused_connection_is_temporary(closed_port, clean_channel_env):
    with pytest.raises(TransportError) as failed:
        WebhookTransport().send(event_for(f"http://127.0.0.1:{closed_port}/hooks/diary"))

    assert failed.value.permanent is False
    assert failed.value.error_code == "ConnectionError"


@pytest.mark.parametrize(
    "url", ["ftp://pager.north.example.org/hooks", "pager.north.example.org/hooks", "https://"]
)
def test_a_url_that_is_not_http_is_permanent_and_nothing_is_sent(httpserver, url):
    with pytest.raises(TransportError) as failed:
        WebhookTransport().send(event_for(url))

    assert failed.value.permanent is True
    assert failed.value.error_code == "bad-url"
    assert httpserver.log == []


def test_neither_the_secret_nor_the_body_is_logged(httpserver, pager_url, caplog):
    httpserver.expect_request("/hooks/diary").respond_with_data("busy", status=503)

    with caplog.at_level(logging.DEBUG), pytest.raises(TransportError) as failed:
        WebhookTransport().send(event_for(pager_url))

    body = only_request(httpserver).get_data()
    logged = caplog.text + str(failed.value)
    assert caplog.records
    assert NORTHS_SECRET not in logged
    assert sign(body, NORTHS_SECRET).removeprefix("sha256=") not in logged
    assert body.decode() not in logged
    assert "fever" not in logged


def test_a_malformed_timeout_setting_still_sends_and_says_so(
    httpserver, pager_url, clean_channel_env, caplog
):
    httpserver.expect_request("/hooks/diary").respond_with_data("ok")
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "ten")

    with caplog.at_level(logging.WARNING, logger="notifications"):
        WebhookTransport().send(event_for(pager_url))

    assert len(httpserver.log) == 1
    assert "NOTIFY_HTTP_TIMEOUT must be a positive number" in caplog.text


def test_the_webhook_is_a_registered_channel_that_needs_no_settings(clean_channel_env):
    assert TRANSPORTS["webhook"].channel == "webhook"
    assert isinstance(TRANSPORTS["webhook"], WebhookTransport)
    assert TRANSPORTS["webhook"].is_configured()


# --- Only public https hosts, at save and at send --------------------------------------


def resolving_to(monkeypatch, *addresses):
    """Every name resolves to ``addresses``, as a hostile or rebound DNS answer would."""

    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, 1, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


UNSAFE = [
    "127.0.0.1",
    "10.1.2.3",
    "192.168.0.9",
    "169.254.169.254",  # a cloud's metadata service
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "0.0.0.0",  # noqa: S104 (an address refused, not one bound)
    "::1",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
]


@pytest.mark.parametrize("address", UNSAFE)
def test_a_host_resolving_to_an_inside_address_is_refused_at_send(
    httpserver, settings, monkeypatch, clean_channel_env, address
):
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    resolving_to(monkeypatch, "93.184.215.14", address)  # one bad address is enough

    with pytest.raises(TransportError) as refused:
        WebhookTransport().send(event_for("https://pager.north.example/hooks/diary"))

    assert (refused.value.permanent, refused.value.error_code) == (True, "bad-url")
    assert httpserver.log == []


def test_the_post_goes_to_the_checked_address_not_a_second_lookup(
    httpserver, pager_url, monkeypatch
):
    # The name resolves once, when checked: a DNS answer that changes afterwards (a
    # rebinding attack) cannot send the post elsewhere.
    httpserver.expect_request("/hooks/diary").respond_with_data("ok")
    lookups = []
    real = socket.getaddrinfo

    def counted(host, *args, **kwargs):
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counted)
    WebhookTransport().send(event_for(pager_url))

    assert [host for host in lookups if host == "localhost"] == ["localhost"]
    assert only_request(httpserver).headers["Host"] == pager_url.split("/")[2]


def test_only_a_short_excerpt_of_the_answer_is_kept(httpserver, pager_url):
    httpserver.expect_request("/hooks/diary").respond_with_data("secret-" * 1000, status=400)

    with pytest.raises(TransportError) as refused:
        WebhookTransport().send(event_for(pager_url))

    assert len(refused.value.response) <= 200


def test_a_redirect_is_not_followed(httpserver, pager_url):
    httpserver.expect_request("/hooks/diary").respond_with_data(
        "", status=307, headers={"Location": httpserver.url_for("/elsewhere")}
    )

    with pytest.raises(TransportError) as refused:
        WebhookTransport().send(event_for(pager_url))

    assert refused.value.error_code == "redirect"
    assert [request.path for request, _ in httpserver.log] == ["/hooks/diary"]
