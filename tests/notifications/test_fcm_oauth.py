"""FCM with an access token minted in the worker from a service-account key (google-auth),
against a local OAuth2 token endpoint and a local FCM; and FCM's Retry-After honoured."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from notifications import config
from notifications.models import Delivery, DeliveryStatus, Purpose
from notifications.transports import FcmTransport, Message, TransportError, _common
from tests.notifications.conftest import ANAS_PHONE_TOKEN, FCM_UNAVAILABLE, TWO_HOURS
from tests.notifications.fcm_oauth import TokenServer

NINE_AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SEND_PATH = "/v1/projects/north-diary/messages:send"


def reminder(address="fcm:ana-pixel-token-0001"):
    return Message(
        address=address,
        title="Time for your check-in",
        body="Your diary has a check-in waiting.",
        url="https://diary.example.org/c/7f3a",
        collapse_id="checkin-42",
        platform="fcm",
    )


@pytest.fixture
def google(httpserver, http_channels, clean_channel_env, tmp_path):
    """North's service-account key, whose token_uri is the local token endpoint."""
    server = TokenServer(token_uri=httpserver.url_for("/token"))
    httpserver.expect_request("/token", method="POST").respond_with_handler(server.handle)
    key_file = tmp_path / "north-diary-firebase-adminsdk.json"
    key_file.write_text(server.key_file_json())
    clean_channel_env.delenv("FCM_ACCESS_TOKEN")
    clean_channel_env.setenv("FCM_SERVICE_ACCOUNT_FILE", str(key_file))
    server.key_file = key_file
    return server


@pytest.fixture
def fcm(httpserver):
    """FCM: records the bearer token of each push; answers 200 unless scripted."""
    seen: list[str] = []
    answers: list = []

    def handle(request):
        from werkzeug import Response

        seen.append(request.headers["Authorization"])
        status, headers = answers.pop(0) if answers else (200, {})
        body = '{"name": "projects/north-diary/messages/1"}' if status == 200 else "{}"
        return Response(body, status=status, headers=headers, content_type="application/json")

    httpserver.expect_request(SEND_PATH, method="POST").respond_with_handler(handle)
    return seen, answers


def test_the_first_push_mints_a_token_and_the_next_ones_reuse_it(google, fcm):
    seen, _ = fcm
    transport = FcmTransport()

    for _ in range(3):
        transport.send(reminder())

    assert google.issued == 1
    assert seen == ["Bearer ya29.minted-1"] * 3


def test_a_token_about_to_expire_is_minted_anew(google, fcm):
    seen, _ = fcm
    transport = FcmTransport()
    with time_machine.travel(NINE_AM, tick=False) as clock:
        transport.send(reminder())
        clock.shift(timedelta(minutes=50))
        transport.send(reminder())
        # google-auth counts a token as expired a few minutes before it is.
        clock.shift(timedelta(minutes=7))
        transport.send(reminder())

    assert seen == ["Bearer ya29.minted-1", "Bearer ya29.minted-1", "Bearer ya29.minted-2"]


def test_a_token_fcm_refuses_is_minted_anew_on_the_next_push(google, fcm):
    seen, answers = fcm
    answers.append((401, {}))
    transport = FcmTransport()

    with pytest.raises(TransportError) as refused:
        transport.send(reminder())
    transport.send(reminder())

    # Our credentials, not Ana's phone: temporary, so nothing is disabled.
    assert (refused.value.status_code, refused.value.permanent) == (401, False)
    assert seen == ["Bearer ya29.minted-1", "Bearer ya29.minted-2"]


def test_a_refused_grant_is_temporary_and_sends_nothing(google, fcm, httpserver):
    google.script((400, {"error": "invalid_grant", "error_description": "Invalid JWT"}))

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder())

    assert (failed.value.error_code, failed.value.permanent) == ("invalid_grant", False)
    assert fcm[0] == []


def test_a_token_endpoint_that_is_down_gets_one_try_within_the_send(google, fcm):
    google.script((503, {"error": "backendError"}))

    started = time.monotonic()
    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder())

    # google-auth alone would sleep and try twice more; the send's lease cannot wait.
    assert time.monotonic() - started < 1
    assert google.issued == 1
    assert failed.value.error_code == "backendError"
    assert failed.value.permanent is False


def test_a_slow_token_endpoint_is_cut_off_at_the_timeout(google, fcm, clean_channel_env):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "0.3")
    google.script((None, 1.0))

    started = time.monotonic()
    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder())

    assert time.monotonic() - started < 0.9
    assert (failed.value.error_code, failed.value.permanent) == ("token-timeout", False)


def test_a_key_file_that_is_not_a_service_account_key_is_ours_to_fix(google, tmp_path):
    google.key_file.write_text('{"type": "authorized_user"}')

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder())

    assert (failed.value.error_code, failed.value.permanent) == ("not-configured", False)


def test_a_missing_key_file_disables_fcm(google, clean_channel_env, tmp_path):
    clean_channel_env.setenv("FCM_SERVICE_ACCOUNT_FILE", str(tmp_path / "gone.json"))

    assert config.fcm().problem == "FCM_SERVICE_ACCOUNT_FILE cannot be read"
    assert not FcmTransport().is_configured()


def test_a_rotated_key_file_is_read_again(google, fcm, tmp_path):
    transport = FcmTransport()
    transport.send(reminder())
    rotated = TokenServer(token_uri=google.token_uri, key=google.key)
    google.key_file.write_text(rotated.key_file_json().replace("0123456789abcdef", "fedcba98"))
    stat = google.key_file.stat()
    import os

    os.utime(google.key_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    transport.send(reminder())

    assert google.issued == 2


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_is_read_on_429_and_503(http_channels, fcm, status):
    fcm[1].append((status, {"Retry-After": "30"}))

    with pytest.raises(TransportError) as failed:
        FcmTransport().send(reminder())

    assert failed.value.retry_after == 30.0
    assert failed.value.permanent is False


def test_retry_after_as_an_http_date():
    with time_machine.travel(NINE_AM, tick=False):
        when = "Mon, 02 Mar 2026 09:01:30 GMT"
        assert _common.retry_after_seconds({"Retry-After": when}) == 90.0
        assert _common.retry_after_seconds({"Retry-After": "soon"}) is None
        assert _common.retry_after_seconds({}) is None


def test_a_reminder_waits_as_long_as_fcm_asks_capped_at_five_minutes(
    clock, block, beat, anas_phone, receivers, worker
):
    beat()
    clock.move_to(TWO_HOURS)
    reminder_row = Delivery.objects.get(checkin__key="h2", purpose=Purpose.REMINDER)
    status, body = FCM_UNAVAILABLE
    receivers.script(
        ANAS_PHONE_TOKEN, (status, body, {"Retry-After": "40"}), (429, {}, {"Retry-After": "3600"})
    )

    assert worker() == {reminder_row.id: "retry"}
    reminder_row.refresh_from_db()
    assert reminder_row.next_attempt_at == TWO_HOURS + timedelta(seconds=40)  # not 5 s

    clock.move_to(reminder_row.next_attempt_at)
    assert worker() == {reminder_row.id: "retry"}
    reminder_row.refresh_from_db()
    assert reminder_row.status == DeliveryStatus.PENDING
    assert reminder_row.next_attempt_at == TWO_HOURS + timedelta(seconds=40 + 300)
