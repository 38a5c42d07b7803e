"""Real local receivers for the channel transports: an SMTP server and helpers to point the
HTTP providers (FCM, APNs, Twilio) at pytest-httpserver."""

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

CHANNEL_ENV = [
    "FCM_BASE_URL",
    "FCM_PROJECT_ID",
    "FCM_ACCESS_TOKEN",
    "FCM_ACCESS_TOKEN_FILE",
    "APNS_BASE_URL",
    "APNS_TOPIC",
    "APNS_AUTH_TOKEN",
    "APNS_AUTH_TOKEN_FILE",
    "TWILIO_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "NOTIFY_HTTP_TIMEOUT",
]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A local port that refuses connections."""
    return free_port()


@pytest.fixture
def clean_channel_env(monkeypatch):
    """No channel settings from the developer's shell: every test states its own."""
    for name in CHANNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@dataclass(frozen=True)
class HttpChannels:
    """The credentials the HTTP providers were given, pointing at the local receiver."""

    base_url: str
    fcm_project: str = "north-diary"
    fcm_token: str = "ya29.fcm-test-token"
    apns_topic: str = "org.north.diary"
    apns_jwt: str = "eyJhbGciOiJFUzI1NiJ9.apns-test.jwt"
    twilio_sid: str = "AC0123456789abcdef0123456789abcdef"
    twilio_token: str = "twilio-test-auth-token"
    twilio_from: str = "+442079460999"


@pytest.fixture
def http_channels(httpserver, clean_channel_env) -> HttpChannels:
    """FCM, APNs and Twilio configured and pointed at the local ``httpserver``."""
    channels = HttpChannels(base_url=httpserver.url_for("/").rstrip("/"))
    env = {
        "FCM_BASE_URL": channels.base_url,
        "FCM_PROJECT_ID": channels.fcm_project,
        "FCM_ACCESS_TOKEN": channels.fcm_token,
        "APNS_BASE_URL": channels.base_url,
        "APNS_TOPIC": channels.apns_topic,
        "APNS_AUTH_TOKEN": channels.apns_jwt,
        "TWILIO_BASE_URL": channels.base_url,
        "TWILIO_ACCOUNT_SID": channels.twilio_sid,
        "TWILIO_AUTH_TOKEN": channels.twilio_token,
        "TWILIO_FROM": channels.twilio_from,
        # Every test answers at once; a stuck one fails in seconds, not minutes.
        "NOTIFY_HTTP_TIMEOUT": "5",
    }
    for name, value in env.items():
        clean_channel_env.setenv(name, value)
    return channels


@dataclass
class SmtpServer:
    """A real SMTP server on 127.0.0.1 that keeps what it receives.

    Add an address to ``refuse`` to have RCPT TO answered ``550``; set ``data_reply`` to
    answer DATA with something other than ``250``.
    """

    host: str
    port: int
    messages: list = field(default_factory=list)  # email.message.EmailMessage
    envelopes: list = field(default_factory=list)  # aiosmtpd Envelope (mail_from, rcpt_tos)
    refuse: set = field(default_factory=set)
    data_reply: str = "250 Message accepted for delivery"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.data_reply.startswith("250"):
            return self.data_reply
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return self.data_reply


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on a free local port, stopped after the test."""
    server = SmtpServer(host="127.0.0.1", port=free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
