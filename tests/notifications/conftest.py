"""Real local receivers for the channel transports: an SMTP server, helpers to point the
HTTP providers (FCM, Twilio) at pytest-httpserver, and APNs over HTTP/2 and TLS
(tests/notifications/apns_receiver.py)."""

import email
import email.policy
import re
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
    "FCM_SERVICE_ACCOUNT_FILE",
    "APNS_KEY",
    "APNS_KEY_FILE",
    "APNS_KEY_ID",
    "APNS_TEAM_ID",
    "APNS_CA_FILE",
    "APNS_TOKEN_REFRESH_SECONDS",
    "TWILIO_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_STATUS_CALLBACK_URL",
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
    twilio_sid: str = "AC0123456789abcdef0123456789abcdef"
    twilio_token: str = "twilio-test-auth-token"
    twilio_from: str = "+442079460999"


@pytest.fixture
def http_channels(httpserver, clean_channel_env) -> HttpChannels:
    """FCM and Twilio configured and pointed at the local ``httpserver`` (APNs, which
    speaks only HTTP/2, has a receiver of its own: the ``apns`` fixture)."""
    channels = HttpChannels(base_url=httpserver.url_for("/").rstrip("/"))
    env = {
        "FCM_BASE_URL": channels.base_url,
        "FCM_PROJECT_ID": channels.fcm_project,
        "FCM_ACCESS_TOKEN": channels.fcm_token,
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


APNS_TOPIC = "org.north.diary"
APNS_KEY_ID = "ABC123DEFG"
APNS_TEAM_ID = "DEF123GHIJ"


@pytest.fixture
def apns_key():
    """North's APNs signing key, as Apple hands it out: a P-256 key in a PKCS#8 ``.p8``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key, pem


@pytest.fixture
def apns(clean_channel_env, tmp_path, apns_key):
    """APNs configured and pointed at a local HTTP/2 receiver over TLS, whose self-signed
    CA is the ``APNS_CA_FILE``."""
    from tests.notifications.apns_receiver import ApnsReceiver

    key, pem = apns_key
    receiver = ApnsReceiver(public_key=key.public_key(), key_id=APNS_KEY_ID, team_id=APNS_TEAM_ID)
    receiver.start()
    key_file = tmp_path / "AuthKey_ABC123DEFG.p8"
    key_file.write_bytes(pem)
    ca_file = tmp_path / "apns-ca.pem"
    receiver.ca.cert_pem.write_to_path(str(ca_file))
    env = {
        "APNS_BASE_URL": receiver.base_url,
        "APNS_TOPIC": APNS_TOPIC,
        "APNS_KEY_FILE": str(key_file),
        "APNS_KEY_ID": APNS_KEY_ID,
        "APNS_TEAM_ID": APNS_TEAM_ID,
        "APNS_CA_FILE": str(ca_file),
        "NOTIFY_HTTP_TIMEOUT": "5",
    }
    for name, value in env.items():
        clean_channel_env.setenv(name, value)
    try:
        yield receiver
    finally:
        receiver.stop()


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


# --- The outbox driven by hand: beat, worker and providers for the reminder tests ---------
# Appended for test_dispatch, test_sending, test_fallback, test_sweeper and the staff API.
# Celery is not running here: the tick and the sender are called directly, and what would
# be handed to the broker is recorded at our own queue boundary (``apply_async``). The
# providers are real local receivers: FCM and Twilio on pytest-httpserver, SMTP on aiosmtpd.

import json  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

import time_machine  # noqa: E402
from werkzeug import Response  # noqa: E402

from diary import services as diary_services  # noqa: E402
from notifications import services as notify  # noqa: E402
from notifications.models import Delivery, DeliveryStatus, OnCallShift  # noqa: E402
from notifications.receipts import twilio_signature  # noqa: E402
from tests.factories import make_procedure  # noqa: E402

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Ana's block: 09:00 UTC on 10 June 2026, 10:00 in London. Her 2 h check-in is due at 11:00.
BLOCK = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
TWO_HOURS = BLOCK + timedelta(hours=2)
ANAS_PHONE_TOKEN = "fcm:ana-pixel-0001"
ANAS_TABLET_TOKEN = "fcm:ana-tablet-0002"
ANAS_NUMBER = "+447700900123"
ANAS_EMAIL = "ana@example.org"

OK = object()  # the provider accepts
FCM_UNREGISTERED = (
    404,
    {
        "error": {
            "code": 404,
            "message": "Requested entity was not found.",
            "status": "NOT_FOUND",
            "details": [
                {
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "UNREGISTERED",
                }
            ],
        }
    },
)
FCM_UNAVAILABLE = (503, {"error": {"code": 503, "status": "UNAVAILABLE"}})
TWILIO_INVALID_NUMBER = (
    400,
    {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
)
TWILIO_UNAVAILABLE = (503, {"code": 20500, "message": "Service unavailable", "status": 503})


@dataclass(frozen=True)
class Received:
    """One request a provider got: to whom, what, what it answered, and when."""

    address: str
    body: dict
    status: int
    at: datetime


@dataclass
class Receivers:
    """FCM and Twilio played by the local ``httpserver``, e-mail by the aiosmtpd server.

    Each answers 200/201 unless told otherwise with ``script(address, answer, …)``: the
    answers are used in order, one per request to that address, then it accepts again.
    """

    channels: HttpChannels
    smtp: SmtpServer
    pushes: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    scripted: dict = field(default_factory=dict)

    @property
    def emails(self) -> list:
        return self.smtp.messages

    def script(self, address: str, *answers) -> None:
        self.scripted.setdefault(address, []).extend(answers)

    def accepted(self, kind: str) -> list[Received]:
        return [r for r in getattr(self, kind) if r.status < 300]

    def everything(self) -> int:
        return len(self.pushes) + len(self.texts) + len(self.emails)

    def _answer(self, address: str, ok: tuple[int, dict]) -> tuple[int, dict, dict]:
        """(status, body, headers): a scripted answer may leave out its headers."""
        queue = self.scripted.get(address) or []
        answer = queue.pop(0) if queue else OK
        status, reply, *headers = ok if answer is OK else answer
        return status, reply, (headers[0] if headers else {})

    def fcm(self, request):
        from django.utils import timezone

        body = request.get_json()
        token = body["message"]["token"]
        status, reply, headers = self._answer(
            token, (200, {"name": f"projects/north-diary/messages/{len(self.pushes) + 1}"})
        )
        self.pushes.append(Received(token, body, status, timezone.now()))
        return Response(
            json.dumps(reply), status=status, headers=headers, content_type="application/json"
        )

    def twilio(self, request):
        from django.utils import timezone

        form = request.form.to_dict()
        status, reply, _ = self._answer(form["To"], (201, {"sid": f"SM{len(self.texts) + 1:032d}"}))
        self.texts.append(Received(form["To"], form, status, timezone.now()))
        return Response(json.dumps(reply), status=status, content_type="application/json")


@pytest.fixture
def smtp_settings(settings, smtp_server):
    """Django's SMTP backend pointed at the local aiosmtpd server."""
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


@pytest.fixture
def receivers(httpserver, http_channels, smtp_settings, smtp_server) -> Receivers:
    """Every channel configured, each pointed at a real local receiver."""
    found = Receivers(channels=http_channels, smtp=smtp_server)
    httpserver.expect_request(
        f"/v1/projects/{http_channels.fcm_project}/messages:send", method="POST"
    ).respond_with_handler(found.fcm)
    httpserver.expect_request(
        f"/2010-04-01/Accounts/{http_channels.twilio_sid}/Messages.json", method="POST"
    ).respond_with_handler(found.twilio)
    return found


@dataclass(frozen=True)
class Enqueued:
    ids: list
    countdown: float | None


@pytest.fixture
def enqueued(monkeypatch) -> list[Enqueued]:
    """What would be handed to the broker, in order: our own queue boundary, recorded."""
    from notifications.tasks import send_deliveries

    calls: list[Enqueued] = []

    def record(args, countdown=None, **options):
        calls.append(Enqueued(ids=list(args[0]), countdown=countdown))

    monkeypatch.setattr(send_deliveries._get_current_object(), "apply_async", record)
    return calls


@pytest.fixture
def beat(django_capture_on_commit_callbacks, enqueued):
    """Beat's tick, with what it enqueues after commit recorded in ``enqueued``."""

    def run(now=None) -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            return notify.tick(now)

    return run


def send_all_pending() -> dict[int, str]:
    """The worker, by hand: send every pending delivery (each says what became of it)."""
    ids = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("id")
    return {pk: notify.send_delivery(pk) for pk in ids.values_list("pk", flat=True)}


@pytest.fixture
def worker(django_capture_on_commit_callbacks, enqueued):
    """``send_all_pending`` with the retries and fallbacks it enqueues recorded."""

    def run() -> dict[int, str]:
        with django_capture_on_commit_callbacks(execute=True):
            return send_all_pending()

    return run


@pytest.fixture
def clock():
    """Frozen ten seconds before Ana's 2 h check-in falls due (10:59:50 UTC, 10 June 2026)."""
    with time_machine.travel(TWO_HOURS - timedelta(seconds=10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def block(clock, ana, dr_cole):
    """Ana's block at 10:00 London time, two hours ago: the first hour has closed."""
    return make_procedure(ana, proceduralist=dr_cole, performed_at=BLOCK)


@pytest.fixture
def anas_phone(ana):
    return diary_services.register_device(patient=ana, platform="fcm", token=ANAS_PHONE_TOKEN)[0]


@pytest.fixture
def anas_tablet(ana):
    return diary_services.register_device(patient=ana, platform="fcm", token=ANAS_TABLET_TOKEN)[0]


# --- Alerts raised from Ana's phone: the rota, the paging channels, her reports -----------
# Shared by the test_alert_* modules, test_pagerduty, test_twilio_receipts and test_staff_addresses.


@pytest.fixture
def rota(north, nurse_nia, ravi, mara, dr_cole):
    """Nia primary and Ravi backup, all day; everyone has an e-mail address."""
    for user, address in (
        (nurse_nia, "nia@north.example.org"),
        (dr_cole, "cole@north.example.org"),
    ):
        user.email = address
        user.save(update_fields=["email"])
    day = (BLOCK - timedelta(hours=12), BLOCK + timedelta(days=3))
    OnCallShift.objects.create(
        clinic=north, user=nurse_nia, role="primary", starts_at=day[0], ends_at=day[1]
    )
    OnCallShift.objects.create(
        clinic=north, user=ravi, role="backup", starts_at=day[0], ends_at=day[1]
    )


@pytest.fixture
def paging(smtp_settings, clean_channel_env, rota):
    """E-mail is the only staff channel configured, pointed at the local SMTP server."""
    return smtp_settings


@pytest.fixture
def report(as_ana, clock, django_capture_on_commit_callbacks, enqueued):
    """Ana's phone posts an entry ``hours`` after the block, with the answers given; the
    clock stays at that moment."""

    def post(block, hours, **answers):
        clock.move_to(BLOCK + timedelta(hours=hours))
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": block.id,
            "recorded_at": (BLOCK + timedelta(hours=hours)).isoformat(),
            "pain_score": 3,
            **answers,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = as_ana.post("/api/v1/me/entries/", body, format="json")
        assert response.status_code in (200, 201), response.content
        return response.json()

    return post


# --- PagerDuty's Events API v2 on the local httpserver (pagerduty_receiver.py) -----------

NORTHS_PAGERDUTY_KEY = "e93facc04764012d7bfb002500d5d1a6"
PAGERDUTY_PATH = "/v2/enqueue"


@pytest.fixture
def pagerduty(httpserver, settings, clean_channel_env):
    """PagerDuty's events endpoint played by the local ``httpserver``; North's service has
    the integration key ``NORTHS_PAGERDUTY_KEY`` (set it on North's alert settings)."""
    from tests.notifications.pagerduty_receiver import PagerDutyReceiver

    receiver = PagerDutyReceiver(routing_key=NORTHS_PAGERDUTY_KEY)
    settings.PAGERDUTY_EVENTS_URL = httpserver.url_for(PAGERDUTY_PATH)
    clean_channel_env.setenv("NOTIFY_HTTP_TIMEOUT", "5")
    httpserver.expect_request(PAGERDUTY_PATH, method="POST").respond_with_handler(receiver.handle)
    return receiver


def paged(smtp_server) -> list[str]:
    return sorted(to for message in smtp_server.messages for to in message["To"].split(", "))


CALLBACK = "https://diary.north.example.org/api/v1/channels/twilio/status/"
PATH = "/api/v1/channels/twilio/status/"


@pytest.fixture
def receipts_on(receivers, clean_channel_env):
    clean_channel_env.setenv("TWILIO_STATUS_CALLBACK_URL", CALLBACK)
    return receivers


def twilio_posts(client, auth_token, **form):
    """Twilio's callback: form-encoded, with X-Twilio-Signature over URL and params."""
    return post_form(client, form, twilio_signature(CALLBACK, form, auth_token))


def post_form(client, form, signature=None):
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(
        PATH, urlencode(form), content_type="application/x-www-form-urlencoded", **headers
    )


def callback(delivery, status, error_code=None) -> dict:
    form = {
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "MessageSid": delivery.provider_id,
        "SmsSid": delivery.provider_id,
        "MessageStatus": status,
        "To": ANAS_NUMBER,
        "From": "+442079460999",
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        form["ErrorCode"] = error_code
    return form


@pytest.fixture
def stalled(httpserver):
    """A receiver that answers nothing until the test has given up waiting. Afterwards it
    waits until each stalled request has been answered and logged: one logged after the
    test's end would land in the next test's ``httpserver.log`` (a flaky 'two requests')."""
    import threading
    import time

    release, started = threading.Event(), []

    def handler(request):
        started.append(request)
        release.wait(10)
        return Response("{}", status=200, content_type="application/json")

    httpserver.expect_request(re.compile(".*"), method="POST").respond_with_handler(handler)
    yield
    release.set()
    deadline = time.monotonic() + 5
    while len(httpserver.log) < len(started) and time.monotonic() < deadline:
        time.sleep(0.01)
