"""The channel transports against real local receivers: pytest-httpserver stands in for FCM,
APNs and Twilio, aiosmtpd for the mail server. Each test checks the request the provider
would receive, or how its answer is classed (permanent: disable the address; temporary:
try again later)."""

import base64
import contextlib
import logging
import socket
import threading
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from notifications import config
from notifications.transports import (
    TRANSPORTS,
    ApnsTransport,
    EmailTransport,
    FcmTransport,
    Message,
    PushTransport,
    TransportError,
    TwilioSmsTransport,
    _common,
    get_transport,
    push_fcm,
)

NINE_AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANAS_FCM_TOKEN = "fcm:ana-pixel-token-0001"
BENS_APNS_TOKEN = "a1b2c3d4" * 8
ANAS_PHONE = "+447700900123"
ANAS_EMAIL = "ana.silva@example.org"

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def reminder(address, platform="", **extra):
    return Message(
        address=address,
        title="Time for your check-in",
        body="Your diary has a check-in waiting.",
        url="https://diary.example.org/c/7f3a",
        collapse_id="checkin-42",
        platform=platform,
        extra=extra,
    )


def only_request(httpserver):
    """The one request the receiver got."""
    assert len(httpserver.log) == 1, httpserver.log
    return httpserver.log[0][0]


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's SMTP backend pointed at the local server."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "North Clinic <diary@north.example.org>"
    return settings


# --- Configuration -------------------------------------------------------------------


def test_unconfigured_channels_are_off_and_each_warns_once(clean_channel_env, settings, caplog):
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = ""

    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_missing_channels()

    assert [r.getMessage() for r in caplog.records] == [
        "Push (FCM) disabled: FCM_PROJECT_ID is not set",
        "Push (APNs) disabled: APNS_TOPIC is not set",
        "SMS disabled: TWILIO_ACCOUNT_SID is not set",
        "E-mail disabled: EMAIL_HOST is not set",
    ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    # The webhook and PagerDuty need no server setting: each clinic names its own URL or key.
    assert [n for n, t in TRANSPORTS.items() if t.is_configured()] == ["webhook", "pagerduty"]
    assert not FcmTransport().is_configured()
    assert not ApnsTransport().is_configured()


def test_configured_channels_warn_about_nothing(http_channels, apns, smtp_settings, caplog):
    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_missing_channels()

    # Ours only: the local mail server (aiosmtpd, its own thread) logs under "mail.log" at
    # whatever moment its thread gets to, and caplog captures every logger's records.
    assert [r for r in caplog.records if r.name.startswith("notifications")] == []
    assert all(t.is_configured() for t in TRANSPORTS.values())


def test_the_missing_setting_is_named(http_channels, apns, clean_channel_env, caplog):
    clean_channel_env.delenv("FCM_ACCESS_TOKEN")
    clean_channel_env.delenv("TWILIO_FROM")

    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_missing_channels()

    assert [r.getMessage() for r in caplog.records] == [
        "Push (FCM) disabled: FCM_SERVICE_ACCOUNT_FILE (or FCM_ACCESS_TOKEN) is not set",
        "SMS disabled: TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is not set",
    ]


def test_a_bad_timeout_disables_the_http_channels_instead_of_being_guessed(
    http_channels, apns, clean_channel_env, caplog
):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "ten")

    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_missing_channels()

    problem = "NOTIFY_HTTP_TIMEOUT must be a positive number, not 'ten'"
    assert [r.getMessage() for r in caplog.records] == [
        f"Push (FCM) disabled: {problem}",
        f"Push (APNs) disabled: {problem}",
        f"SMS disabled: {problem}",
    ]


def test_a_base_url_without_a_scheme_disables_the_channel(apns, clean_channel_env):
    clean_channel_env.setenv("APNS_BASE_URL", "api.push.apple.com")

    assert not ApnsTransport().is_configured()
    assert config.apns().problem == (
        "APNS_BASE_URL must start with https://, not 'api.push.apple.com'"
    )


def test_the_timeout_defaults_to_five_seconds(clean_channel_env):
    assert config.fcm().timeout == 5.0
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "2.5")
    assert config.twilio().timeout == 2.5


def test_a_token_file_is_read_again_at_each_send(
    httpserver, http_channels, clean_channel_env, tmp_path
):
    token_file = tmp_path / "fcm-token"
    token_file.write_text("ya29.first\n")
    clean_channel_env.delenv("FCM_ACCESS_TOKEN")
    clean_channel_env.setenv("FCM_ACCESS_TOKEN_FILE", str(token_file))
    httpserver.expect_request("/v1/projects/north-diary/messages:send").respond_with_json(
        {"name": "projects/north-diary/messages/1"}
    )

    FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))
    token_file.write_text("ya29.rotated\n")
    FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    sent = [request.headers["Authorization"] for request, _ in httpserver.log]
    assert sent == ["Bearer ya29.first", "Bearer ya29.rotated"]


def test_an_unreadable_token_file_disables_the_channel(http_channels, clean_channel_env, tmp_path):
    clean_channel_env.setenv("TWILIO_AUTH_TOKEN_FILE", str(tmp_path / "missing"))

    assert not TwilioSmsTransport().is_configured()
    assert config.twilio().problem == "TWILIO_AUTH_TOKEN_FILE cannot be read"


def test_sending_on_an_unconfigured_channel_is_a_temporary_failure(httpserver, clean_channel_env):
    with pytest.raises(TransportError) as failed:
        TwilioSmsTransport().send(reminder(ANAS_PHONE))

    assert failed.value.permanent is False
    assert failed.value.error_code == "not-configured"
    assert httpserver.log == []


# --- FCM -----------------------------------------------------------------------------


def test_fcm_posts_the_documented_v1_request(httpserver, http_channels):
    httpserver.expect_oneshot_request(
        "/v1/projects/north-diary/messages:send", method="POST"
    ).respond_with_json({"name": "projects/north-diary/messages/0:1500415314455276%31bd1c96"})

    with time_machine.travel(NINE_AM, tick=False):
        result = FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    request = only_request(httpserver)
    assert request.method == "POST"
    assert request.path == "/v1/projects/north-diary/messages:send"
    assert request.headers["Authorization"] == "Bearer ya29.fcm-test-token"
    assert request.headers["Content-Type"] == "application/json"
    assert request.get_json() == {
        "message": {
            "token": ANAS_FCM_TOKEN,
            "notification": {
                "title": "Time for your check-in",
                "body": "Your diary has a check-in waiting.",
            },
            "data": {
                "url": "https://diary.example.org/c/7f3a",
                "collapse_id": "checkin-42",
                "expires_at": "2026-03-02T10:00:00Z",  # an hour after NINE_AM
            },
            "android": {"collapse_key": "checkin-42", "priority": "high", "ttl": "3600s"},
            "apns": {
                "headers": {
                    "apns-collapse-id": "checkin-42",
                    "apns-expiration": str(int(NINE_AM.timestamp()) + 3600),
                }
            },
        }
    }
    assert result.status_code == 200
    assert result.provider_id == "projects/north-diary/messages/0:1500415314455276%31bd1c96"
    assert "projects/north-diary/messages/" in result.response


def test_fcm_reminder_lives_until_the_check_in_closes(httpserver, http_channels):
    httpserver.expect_request("/v1/projects/north-diary/messages:send").respond_with_json(
        {"name": "projects/north-diary/messages/2"}
    )
    closes_at = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)

    with time_machine.travel(NINE_AM, tick=False):
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm", expires_at=closes_at))

    body = only_request(httpserver).get_json()["message"]
    assert body["android"]["ttl"] == "9000s"
    assert body["apns"]["headers"]["apns-expiration"] == str(int(closes_at.timestamp()))


def fcm_error(status, code, error_code=None):
    error = {"code": status, "message": "Requested entity was not found.", "status": code}
    if error_code:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": error_code,
            }
        ]
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "body", "permanent", "error_code"),
    [
        (404, fcm_error(404, "NOT_FOUND", "UNREGISTERED"), True, "UNREGISTERED"),
        (400, fcm_error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT"), True, "INVALID_ARGUMENT"),
        (400, fcm_error(400, "INVALID_ARGUMENT"), True, "INVALID_ARGUMENT"),
        (
            401,
            fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
            False,
            "THIRD_PARTY_AUTH_ERROR",
        ),
        (
            403,
            fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
            False,
            "SENDER_ID_MISMATCH",
        ),
        (429, fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"), False, "QUOTA_EXCEEDED"),
        (500, fcm_error(500, "INTERNAL", "INTERNAL"), False, "INTERNAL"),
        (503, fcm_error(503, "UNAVAILABLE", "UNAVAILABLE"), False, "UNAVAILABLE"),
        (404, None, False, ""),  # a wrong base URL or project: ours, not the phone's
    ],
)
def test_fcm_errors_are_permanent_only_when_the_token_is_bad(
    httpserver, http_channels, status, body, permanent, error_code
):
    handler = httpserver.expect_request("/v1/projects/north-diary/messages:send")
    if body is None:
        handler.respond_with_data("<html>Not Found</html>", status=status)
    else:
        handler.respond_with_json(body, status=status)

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    assert failed.value.permanent is permanent
    assert failed.value.status_code == status
    assert failed.value.error_code == error_code


def test_fcm_stored_answer_is_cut_to_two_thousand_characters(httpserver, http_channels):
    httpserver.expect_request("/v1/projects/north-diary/messages:send").respond_with_data(
        "x" * 5000, status=502
    )

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    assert failed.value.permanent is False
    assert len(failed.value.response) == 2000


def test_fcm_timeout_is_temporary(stalled, http_channels, clean_channel_env):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "0.2")

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    assert failed.value.permanent is False
    assert failed.value.error_code == "timeout"
    assert failed.value.status_code is None


def test_fcm_refused_connection_is_temporary(http_channels, clean_channel_env, closed_port):
    clean_channel_env.setenv("FCM_BASE_URL", f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    assert failed.value.permanent is False
    assert failed.value.error_code == "ConnectionError"


@pytest.fixture
def hangs_up():
    """A local server that reads each request and closes the connection without answering."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve():
        with contextlib.suppress(OSError):
            while True:
                connection, _ = server.accept()
                with connection:
                    connection.recv(65536)

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_fcm_connection_dropped_before_the_answer_is_temporary(
    http_channels, clean_channel_env, hangs_up
):
    clean_channel_env.setenv("FCM_BASE_URL", hangs_up)

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    assert failed.value.permanent is False
    assert failed.value.error_code == "ConnectionError"


def test_fcm_posts_through_an_egress_proxy_where_one_is_configured(
    httpserver, http_channels, clean_channel_env, monkeypatch
):
    # The proxy (here the local receiver) gets the request for FCM's own host.
    clean_channel_env.setenv("HTTP_PROXY", httpserver.url_for("/"))
    clean_channel_env.delenv("NO_PROXY", raising=False)
    clean_channel_env.delenv("no_proxy", raising=False)
    clean_channel_env.setenv("FCM_BASE_URL", "http://fcm.googleapis.example")
    monkeypatch.setattr(push_fcm, "_client", _common.JsonClient())
    httpserver.expect_request("/v1/projects/north-diary/messages:send").respond_with_json(
        {"name": "projects/north-diary/messages/3"}
    )

    result = FcmTransport().send(reminder(ANAS_FCM_TOKEN, "fcm"))

    request = only_request(httpserver)
    assert request.headers["Host"] == "fcm.googleapis.example"
    assert request.get_json()["message"]["token"] == ANAS_FCM_TOKEN
    assert result.provider_id == "projects/north-diary/messages/3"


# --- Twilio SMS ----------------------------------------------------------------------

MESSAGES_PATH = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"


def twilio_created():
    return {"sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued", "to": ANAS_PHONE}


def test_twilio_posts_the_documented_form(httpserver, http_channels):
    httpserver.expect_oneshot_request(MESSAGES_PATH, method="POST").respond_with_json(
        twilio_created(), status=201
    )

    result = TwilioSmsTransport().send(reminder(ANAS_PHONE))

    request = only_request(httpserver)
    credentials = "AC0123456789abcdef0123456789abcdef:twilio-test-auth-token"
    assert request.method == "POST"
    assert request.path == MESSAGES_PATH
    assert request.headers["Authorization"] == (
        "Basic " + base64.b64encode(credentials.encode()).decode()
    )
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.form.to_dict(flat=False) == {
        "To": [ANAS_PHONE],
        "From": ["+442079460999"],
        "Body": ["Your diary has a check-in waiting. https://diary.example.org/c/7f3a"],
    }
    assert result.status_code == 201
    assert result.provider_id == "SM1f0e8ae6ade43cb3c0ce4525424e404f"


def test_twilio_messaging_service_replaces_the_from_number(
    httpserver, http_channels, clean_channel_env
):
    clean_channel_env.delenv("TWILIO_FROM")
    clean_channel_env.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG9752274e9e519418a7406176694466fa")
    httpserver.expect_request(MESSAGES_PATH).respond_with_json(twilio_created(), status=201)

    TwilioSmsTransport().send(reminder(ANAS_PHONE))

    form = only_request(httpserver).form
    assert form["MessagingServiceSid"] == "MG9752274e9e519418a7406176694466fa"
    assert "From" not in form


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, 21211, True),  # invalid To
        (400, 21214, True),  # To cannot be reached
        (400, 21408, True),  # region not enabled
        (400, 21610, True),  # Ana replied STOP
        (400, 21612, True),  # not reachable by SMS
        (400, 21614, True),  # not a mobile number
        (400, 21602, False),  # body missing: our bug, not Ana's number
        (401, 20003, False),  # our credentials
        (404, 20404, False),  # our account id
        (429, 20429, False),
        (500, 20500, False),
        (503, 20503, False),
    ],
)
def test_twilio_errors_are_permanent_only_when_the_number_is_bad(
    httpserver, http_channels, status, code, permanent
):
    httpserver.expect_request(MESSAGES_PATH).respond_with_json(
        {
            "code": code,
            "message": "The request could not be completed",
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status=status,
    )

    with pytest.raises(TransportError) as failed:
        TwilioSmsTransport().send(reminder(ANAS_PHONE))

    assert failed.value.permanent is permanent
    assert failed.value.status_code == status
    assert failed.value.error_code == str(code)


def test_twilio_timeout_is_temporary(stalled, http_channels, clean_channel_env):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "0.2")

    with pytest.raises(TransportError) as failed:
        TwilioSmsTransport().send(reminder(ANAS_PHONE))

    assert failed.value.permanent is False
    assert failed.value.error_code == "timeout"


def test_twilio_refused_connection_is_temporary(http_channels, clean_channel_env, closed_port):
    clean_channel_env.setenv("TWILIO_BASE_URL", f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransportError) as failed:
        TwilioSmsTransport().send(reminder(ANAS_PHONE))

    assert failed.value.permanent is False


def test_failure_logs_hold_codes_and_the_last_four_characters_only(
    httpserver, http_channels, caplog
):
    httpserver.expect_request(MESSAGES_PATH).respond_with_json(
        {"code": 21610, "message": f"Attempt to send to unsubscribed recipient {ANAS_PHONE}"},
        status=400,
    )

    with caplog.at_level(logging.DEBUG, logger="notifications"), pytest.raises(TransportError):
        TwilioSmsTransport().send(reminder(ANAS_PHONE))

    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert "status=400 error=21610" in logged
    assert "…0123" in logged
    for secret in (ANAS_PHONE, "check-in waiting", "diary.example.org", "twilio-test-auth-token"):
        assert secret not in logged


# --- E-mail --------------------------------------------------------------------------


def test_email_reaches_a_real_smtp_server(smtp_settings, smtp_server):
    result = EmailTransport().send(reminder(ANAS_EMAIL))

    [envelope] = smtp_server.envelopes
    [received] = smtp_server.messages
    assert envelope.mail_from == "diary@north.example.org"
    assert envelope.rcpt_tos == [ANAS_EMAIL]
    assert received["From"] == "North Clinic <diary@north.example.org>"
    assert received["To"] == ANAS_EMAIL
    assert received["Subject"] == "Time for your check-in"
    assert received.get_content().splitlines() == [
        "Your diary has a check-in waiting.",
        "",
        "https://diary.example.org/c/7f3a",
    ]
    assert (result.status_code, result.provider_id, result.response) == (None, "", "")


def test_email_to_a_refused_mailbox_is_permanent(smtp_settings, smtp_server):
    smtp_server.refuse.add(ANAS_EMAIL)

    with pytest.raises(TransportError) as failed:
        EmailTransport().send(reminder(ANAS_EMAIL))

    assert failed.value.permanent is True
    assert failed.value.error_code == "550"
    assert smtp_server.messages == []


def test_email_the_server_defers_is_temporary(smtp_settings, smtp_server):
    smtp_server.data_reply = "451 4.3.0 Try again later"

    with pytest.raises(TransportError) as failed:
        EmailTransport().send(reminder(ANAS_EMAIL))

    assert failed.value.permanent is False
    assert failed.value.error_code == "451"


def test_email_refused_connection_is_temporary(smtp_settings, closed_port):
    smtp_settings.EMAIL_PORT = closed_port

    with pytest.raises(TransportError) as failed:
        EmailTransport().send(reminder(ANAS_EMAIL))

    assert failed.value.permanent is False
    assert failed.value.error_code == "ConnectionRefusedError"


def test_email_with_a_non_smtp_backend_needs_no_host(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_HOST = ""

    EmailTransport().send(reminder(ANAS_EMAIL))

    assert EmailTransport().is_configured()
    assert [m.to for m in mail.outbox] == [[ANAS_EMAIL]]


# --- The registry and the push facade ------------------------------------------------


def test_push_goes_to_fcm_or_apns_by_the_devices_platform(httpserver, http_channels, apns):
    httpserver.expect_request("/v1/projects/north-diary/messages:send").respond_with_json(
        {"name": "projects/north-diary/messages/3"}
    )
    push = get_transport("push")

    anas = push.send(reminder(ANAS_FCM_TOKEN, "fcm"))
    bens = push.send(reminder(BENS_APNS_TOKEN, "apns"))

    assert (anas.provider_id, bens.provider_id) == ("projects/north-diary/messages/3", "APNS-0001")
    assert [r.path for r, _ in httpserver.log] == ["/v1/projects/north-diary/messages:send"]
    assert [p.path for p in apns.pushes] == [f"/3/device/{BENS_APNS_TOKEN}"]


def test_push_to_an_unknown_platform_is_permanent(http_channels):
    with pytest.raises(TransportError) as failed:
        get_transport("push").send(reminder("token", "windows"))

    assert failed.value.permanent is True


def test_push_is_configured_per_platform(http_channels, apns, clean_channel_env):
    clean_channel_env.delenv("APNS_TOPIC")
    push = get_transport("push")

    assert isinstance(push, PushTransport)
    assert push.is_configured()
    assert push.is_configured("fcm")
    assert not push.is_configured("apns")
    assert not push.is_configured("windows")


def test_registry_has_one_transport_per_channel():
    assert {name: t.channel for name, t in TRANSPORTS.items()} == {
        "push": "push",
        "sms": "sms",
        "email": "email",
        "webhook": "webhook",
        "pagerduty": "pagerduty",
    }
    with pytest.raises(LookupError):
        get_transport("pager")


def test_a_send_lease_shorter_than_a_slow_send_is_warned_about(settings, clean_channel_env, caplog):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "30")
    settings.EMAIL_TIMEOUT = 10
    settings.DELIVERY_SEND_LEASE_SECONDS = 45
    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_short_leases()
    assert "DELIVERY_SEND_LEASE_SECONDS (45)" in caplog.text

    caplog.clear()
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "10")
    with caplog.at_level(logging.WARNING, logger="notifications"):
        config.warn_about_short_leases()
    assert caplog.text == ""


def test_email_refused_after_its_data_with_a_5xx_is_permanent(smtp_settings, smtp_server):
    # One recipient per e-mail: "mailbox unavailable" at DATA is about that address.
    smtp_server.data_reply = "550 5.2.1 Mailbox disabled"

    with pytest.raises(TransportError) as failed:
        EmailTransport().send(reminder(ANAS_EMAIL))

    assert failed.value.permanent is True
    assert failed.value.error_code == "550"
