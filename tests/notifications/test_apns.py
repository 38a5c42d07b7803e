"""APNs over HTTP/2 and TLS against a local receiver that speaks Apple's protocol: the
request Apple documents, the provider token signed here (ES256) and re-signed on time,
and how Apple's answers and a dropped connection are classed."""

import contextlib
import hashlib
import os
import socket
import socketserver
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from notifications import config
from notifications.transports import ApnsTransport, Message, TransportError, push_apns
from tests.notifications.apns_receiver import DROP, STALL
from tests.notifications.conftest import APNS_KEY_ID, APNS_TEAM_ID, APNS_TOPIC

NINE_AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BENS_IPHONE = "a1b2c3d4" * 8
CHLOES_IPHONE = "e5f6a7b8" * 8


def reminder(address=BENS_IPHONE, **extra):
    return Message(
        address=address,
        title="Time for your check-in",
        body="Your diary has a check-in waiting.",
        url="https://diary.example.org/c/7f3a",
        collapse_id="checkin-42",
        platform="apns",
        extra=extra,
    )


def test_apns_posts_the_documented_request_over_http2_and_tls(apns):
    closes_at = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)

    result = ApnsTransport().send(reminder(expires_at=closes_at))

    [pushed] = apns.pushes
    assert apns.alpn == ["h2"]
    assert pushed.headers[":method"] == "POST"
    assert pushed.headers[":scheme"] == "https"
    assert pushed.path == f"/3/device/{BENS_IPHONE}"
    assert pushed.headers["apns-topic"] == APNS_TOPIC
    assert pushed.headers["apns-push-type"] == "alert"
    assert pushed.headers["apns-priority"] == "10"
    assert pushed.headers["apns-collapse-id"] == "checkin-42"
    assert pushed.headers["apns-expiration"] == str(int(closes_at.timestamp()))
    assert pushed.headers["content-type"] == "application/json"
    assert pushed.body == {
        "aps": {
            "alert": {
                "title": "Time for your check-in",
                "body": "Your diary has a check-in waiting.",
            },
            "sound": "default",
        },
        "url": "https://diary.example.org/c/7f3a",
        "collapse_id": "checkin-42",
        "expires_at": "2026-03-02T11:30:00Z",
    }
    assert (result.status_code, result.provider_id) == (200, "APNS-0001")


def test_the_provider_token_is_an_es256_jwt_of_north_s_team_and_key(apns):
    with time_machine.travel(NINE_AM, tick=False):
        ApnsTransport().send(reminder())

    [pushed] = apns.pushes
    # The receiver verified the signature with the key's public half, as Apple does.
    assert pushed.headers["authorization"].startswith("bearer ")
    assert pushed.token_claims == {"iss": APNS_TEAM_ID, "iat": int(NINE_AM.timestamp())}
    import jwt

    assert jwt.get_unverified_header(pushed.jwt) == {
        "alg": "ES256",
        "kid": APNS_KEY_ID,
        "typ": "JWT",
    }


def test_a_batch_shares_one_connection_and_one_token(apns):
    transport = ApnsTransport()

    for _ in range(5):
        transport.send(reminder())

    assert {p.connection for p in apns.pushes} == {1}
    assert len({p.jwt for p in apns.pushes}) == 1


def test_the_token_is_signed_anew_after_45_minutes_not_before(apns):
    transport = ApnsTransport()
    with time_machine.travel(NINE_AM, tick=False) as clock:
        transport.send(reminder())
        clock.shift(timedelta(minutes=44, seconds=59))
        transport.send(reminder())
        clock.shift(timedelta(seconds=1))
        transport.send(reminder())

    issued = [p.token_claims["iat"] - int(NINE_AM.timestamp()) for p in apns.pushes]
    assert issued == [0, 0, 45 * 60]


def test_the_refresh_interval_is_a_setting_within_apples_bounds(apns, clean_channel_env):
    clean_channel_env.setenv("APNS_TOKEN_REFRESH_SECONDS", "1200")
    transport = ApnsTransport()
    with time_machine.travel(NINE_AM, tick=False) as clock:
        transport.send(reminder())
        clock.shift(timedelta(minutes=20))
        transport.send(reminder())

    assert len({p.jwt for p in apns.pushes}) == 2
    for bad in ("600", "3600", "soon"):
        clean_channel_env.setenv("APNS_TOKEN_REFRESH_SECONDS", bad)
        assert config.apns().problem == (
            f"APNS_TOKEN_REFRESH_SECONDS must be from 1200 to 3599, not {bad!r}"
        )


def test_an_expired_provider_token_is_signed_anew_on_the_next_send(apns):
    apns.script((403, {"reason": "ExpiredProviderToken"}))
    transport = ApnsTransport()
    with time_machine.travel(NINE_AM, tick=False) as clock:
        with pytest.raises(TransportError) as failed:
            transport.send(reminder())
        clock.shift(timedelta(seconds=5))
        transport.send(reminder())

    # Our token, not Ben's phone: temporary, nothing disabled; the retry carries a new one.
    assert failed.value.permanent is False
    assert failed.value.error_code == "ExpiredProviderToken"
    assert [p.token_claims["iat"] - int(NINE_AM.timestamp()) for p in apns.pushes] == [0, 5]


def test_a_token_signed_with_another_key_is_refused(apns, clean_channel_env, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / "other.p8").write_bytes(other)
    clean_channel_env.setenv("APNS_KEY_FILE", str(tmp_path / "other.p8"))

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert (failed.value.status_code, failed.value.error_code) == (403, "InvalidProviderToken")
    assert failed.value.permanent is False


def test_a_key_file_rotated_in_place_signs_the_next_send(apns, clean_channel_env, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ApnsTransport().send(reminder())
    key_file = tmp_path / "AuthKey_ABC123DEFG.p8"
    rotated = tmp_path / "rotated.p8"
    rotated.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.replace(rotated, key_file)  # how a secret mount swaps a file: a new inode

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder(CHLOES_IPHONE))

    # Signed with the new key at once (which this receiver does not know), not the cached one.
    assert failed.value.error_code == "InvalidProviderToken"


def test_a_key_that_is_not_a_p8_is_ours_to_fix(apns, clean_channel_env, tmp_path):
    (tmp_path / "notakey.p8").write_text("-----BEGIN PRIVATE KEY-----\nnope\n")
    clean_channel_env.setenv("APNS_KEY_FILE", str(tmp_path / "notakey.p8"))

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert failed.value.error_code == "not-configured"
    assert failed.value.permanent is False
    assert apns.pushes == []


def test_unregistered_410_is_permanent_and_429_is_not(apns):
    apns.script(
        (410, {"reason": "Unregistered", "timestamp": 1772442000000}),
        (429, {"reason": "TooManyRequests"}),
    )
    transport = ApnsTransport()

    with pytest.raises(TransportError) as gone:
        transport.send(reminder(BENS_IPHONE))
    with pytest.raises(TransportError) as throttled:
        transport.send(reminder(CHLOES_IPHONE))

    assert (gone.value.status_code, gone.value.error_code, gone.value.permanent) == (
        410,
        "Unregistered",
        True,
    )
    assert "Unregistered" in gone.value.response
    assert (throttled.value.status_code, throttled.value.permanent) == (429, False)


@pytest.mark.parametrize(
    ("status", "reason", "permanent"),
    [
        (400, "BadDeviceToken", True),
        (400, "DeviceTokenNotForTopic", True),
        (400, "BadCollapseId", False),
        (403, "InvalidProviderToken", False),
        (500, "InternalServerError", False),
        (503, "ServiceUnavailable", False),
    ],
)
def test_apns_errors_are_permanent_only_when_the_token_is_bad(apns, status, reason, permanent):
    apns.script((status, {"reason": reason}))

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert (failed.value.status_code, failed.value.error_code) == (status, reason)
    assert failed.value.permanent is permanent


def test_a_connection_lost_mid_batch_fails_one_push_and_the_next_reconnects(apns):
    apns.script(None, None, DROP)
    transport = ApnsTransport()
    phones = [f"{n:02d}" * 32 for n in range(5)]

    outcomes = []
    for phone in phones:
        try:
            transport.send(reminder(phone))
            outcomes.append("sent")
        except TransportError as error:
            outcomes.append(("retry" if not error.permanent else "dead", error.error_code))

    assert outcomes == ["sent", "sent", ("retry", "ConnectionError"), "sent", "sent"]
    assert [p.connection for p in apns.pushes] == [1, 1, 1, 2, 2]


def test_apns_timeout_is_temporary(apns, clean_channel_env):
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "0.3")
    apns.script(STALL)

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert failed.value.permanent is False
    assert failed.value.error_code == "timeout"


def test_a_server_not_signed_by_the_ca_file_is_refused(apns, clean_channel_env, tmp_path):
    import trustme

    trustme.CA().cert_pem.write_to_path(str(tmp_path / "someone-else.pem"))
    clean_channel_env.setenv("APNS_CA_FILE", str(tmp_path / "someone-else.pem"))

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert failed.value.permanent is False
    assert failed.value.error_code == "SSLError"
    assert apns.pushes == []


def test_apns_refused_connection_is_temporary(apns, clean_channel_env, closed_port):
    clean_channel_env.setenv("APNS_BASE_URL", f"https://127.0.0.1:{closed_port}")

    with pytest.raises(TransportError) as failed:
        ApnsTransport().send(reminder())

    assert (failed.value.permanent, failed.value.error_code) == (False, "ConnectionError")


def test_apns_collapse_id_over_64_bytes_is_hashed_not_cut(apns):
    long_id = "checkin-" + "é" * 40  # 88 bytes in UTF-8

    ApnsTransport().send(Message(BENS_IPHONE, "t", "b", "u", collapse_id=long_id, platform="apns"))

    sent = apns.pushes[0].headers["apns-collapse-id"]
    assert sent == hashlib.sha256(long_id.encode()).hexdigest()
    assert len(sent.encode()) == 64


def test_each_setting_apns_needs_is_named(apns, clean_channel_env):
    for name, problem in [
        ("APNS_TEAM_ID", "APNS_TEAM_ID is not set"),
        ("APNS_KEY_ID", "APNS_KEY_ID is not set"),
        ("APNS_KEY_FILE", "APNS_KEY_FILE (the .p8 key, or APNS_KEY) is not set"),
    ]:
        clean_channel_env.delenv(name)
        assert config.apns().problem == problem


def test_a_forked_worker_opens_its_own_connection(apns):
    transport = ApnsTransport()
    transport.send(reminder())
    parent = push_apns._client._pool

    push_apns._client._forget()  # what os.register_at_fork runs in the child
    transport.send(reminder())

    assert push_apns._client._pool is not parent
    assert [p.connection for p in apns.pushes] == [1, 2]


class _ConnectTunnel(socketserver.BaseRequestHandler):
    """An egress proxy's half of HTTPS: ``CONNECT host:port``, then bytes both ways."""

    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        self.server.asked.append(head.split(b"\r\n", 1)[0].decode())
        target = head.split(b" ")[1].decode()
        host, port = target.rsplit(":", 1)
        with socket.create_connection((host, int(port))) as upstream:
            self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            pipes = [
                threading.Thread(target=_pipe, args=(self.request, upstream), daemon=True),
                threading.Thread(target=_pipe, args=(upstream, self.request), daemon=True),
            ]
            for pipe in pipes:
                pipe.start()
            for pipe in pipes:
                pipe.join(10)


def _pipe(source, sink):
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def egress_proxy():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ConnectTunnel)
    server.daemon_threads = True
    server.asked = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_apns_goes_through_an_egress_proxy_where_one_is_configured(
    apns, clean_channel_env, egress_proxy
):
    host, port = egress_proxy.server_address
    clean_channel_env.setenv("HTTPS_PROXY", f"http://{host}:{port}")
    clean_channel_env.delenv("NO_PROXY", raising=False)
    clean_channel_env.delenv("no_proxy", raising=False)

    ApnsTransport().send(reminder())
    ApnsTransport().send(reminder(CHLOES_IPHONE))

    apple = apns.base_url.removeprefix("https://")
    assert egress_proxy.asked == [f"CONNECT {apple} HTTP/1.1"]  # one tunnel, kept
    assert [p.path for p in apns.pushes] == [
        f"/3/device/{BENS_IPHONE}",
        f"/3/device/{CHLOES_IPHONE}",
    ]
    assert apns.alpn == ["h2"]


def test_no_proxy_naming_apples_host_goes_direct(apns, clean_channel_env, egress_proxy):
    host, port = egress_proxy.server_address
    clean_channel_env.setenv("HTTPS_PROXY", f"http://{host}:{port}")
    clean_channel_env.setenv("NO_PROXY", urlsplit(apns.base_url).hostname)

    ApnsTransport().send(reminder())

    assert egress_proxy.asked == []
    assert len(apns.pushes) == 1
