"""An alert, end to end: Ana's phone reports a red flag through the real API, the alert and its
pages are stored with the entry, and a real worker with an embedded beat sends the pages
through a real Redis: by e-mail to a local SMTP server, and to the clinic's paging system on a
local webhook receiver. Nobody acknowledges: the backup is paged. Someone does: it stops.

Each test runs its own ``redis-server``, and this process (the web server Ana's phone talks to)
publishes to it as the worker consumes from it. Nia is primary on call and Ravi backup; Dr Cole,
who did the block, is paged with Nia for an emergency. All three have only e-mail.
"""

import contextlib
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from werkzeug import Response

from backend.celery import app as celery_app
from diary.models import CheckIn, DiaryEntry
from notifications.models import Alert, AlertSettings, Channel, Delivery, OnCallShift
from tests.factories import make_procedure
from tests.integration.processes import (
    CHANNEL_ENV,
    FAST_CLOCK,
    holds_for,
    private_redis,
    smtp_receiver,
    start_worker,
    wait_for,
    wait_for_ticks,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

WEBHOOK_SECRET = "north-paging-secret-0123456789"
NEVER_DURING_A_TEST = 600  # an escalation delay no test waits for
PROMPTLY = 5  # seconds from the report to a page, through the broker
ENTRIES = "/api/v1/me/entries/"


# --- The clinic's paging system --------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One POST that reached the clinic's paging system, as it came."""

    at: float  # time.time() when it arrived
    body: bytes
    headers: dict

    @property
    def event(self) -> str:
        return json.loads(self.body)["event"]

    @property
    def key(self) -> str:
        return self.headers.get("X-Idempotency-Key", "")


@dataclass
class Pager:
    """The clinic's webhook on pytest-httpserver, keeping every POST.

    ``hold`` is called with each POST before it is answered, in the receiver's thread: a
    test can act there while that send is in flight (kill the worker waiting on it).
    """

    httpserver: object
    hold: object = None
    posts: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        def receive(request):
            post = Post(at=time.time(), body=request.get_data(), headers=dict(request.headers))
            with self.lock:
                self.posts.append(post)
            if self.hold is not None:
                self.hold(post)
            return Response("{}", status=200, content_type="application/json")

        self.httpserver.expect_request("/pager", method="POST").respond_with_handler(receive)

    @property
    def url(self) -> str:
        return self.httpserver.url_for("/pager")

    def received(self) -> list[Post]:
        with self.lock:
            return list(self.posts)

    def keys(self) -> Counter:
        return Counter(post.key for post in self.received())

    def got(self, key: str) -> bool:
        return key in self.keys()


def key(alert, step: int, event: str) -> str:
    return f"alert-{alert.pk}-{step}-{event}"


def pages(smtp) -> Counter:
    """How many e-mail pages each address has received."""
    return Counter(message["To"] for _, message in list(smtp.messages))


def first_page_to(smtp, user) -> tuple[float, object]:
    return next((at, m) for at, m in list(smtp.messages) if m["To"] == user.email)


def paged(smtp, *users) -> bool:
    return all(pages(smtp)[user.email] for user in users)


# --- The people, the rota and the processes ------------------------------------------------


@pytest.fixture
def rota(north, nurse_nia, ravi, dr_cole):
    """Nia primary and Ravi backup from an hour ago until tomorrow; Nia and Dr Cole get
    e-mail addresses (Ravi has his)."""
    for user, address in (
        (nurse_nia, "nia@north.example.org"),
        (dr_cole, "cole@north.example.org"),
    ):
        user.email = address
        user.save(update_fields=["email"])
    now = timezone.now()
    for user, role in ((nurse_nia, "primary"), (ravi, "backup")):
        OnCallShift.objects.create(
            clinic=north,
            user=user,
            role=role,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )


@pytest.fixture
def anas_block(ana, dr_cole):
    """Ana's block by Dr Cole, 2 h 40 min ago: the 2 h check-in has closed and the 3 h one is
    20 minutes away, so no reminder of hers goes out during a test."""
    block = make_procedure(
        ana, proceduralist=dr_cole, performed_at=timezone.now() - timedelta(hours=2, minutes=40)
    )
    soon = timezone.now() + timedelta(minutes=10)
    assert not CheckIn.objects.filter(
        procedure=block, status__in=("upcoming", "due"), remind_at__lte=soon
    ).exists(), "no reminder may fall due during the test"
    return block


def alerting(clinic, pager: Pager, *, delay: int) -> AlertSettings:
    """North pages on its own webhook, signed, escalating an emergency after ``delay`` s."""
    return AlertSettings.objects.create(
        clinic=clinic,
        emergency_delay_seconds=delay,
        urgent_delay_seconds=delay,
        webhook_url=pager.url,
        webhook_secret=WEBHOOK_SECRET,
    )


def _forget_broker_connections() -> None:
    """Celery pools its broker connections by the URL it first saw; drop the pool so the
    next publish connects to the URL now configured (as Celery itself does after a fork)."""
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextlib.contextmanager
def publishing_to(url: str):
    """This process's Celery app publishes to ``url`` until exit, then where it did before."""
    previous = celery_app.conf.broker_url
    _forget_broker_connections()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.broker_url = previous


@pytest.fixture
def broker(tmp_path):
    """A Redis server of this test's own, which it may stop and start. Ana's report enqueues
    its pages there, from this process, after its transaction commits."""
    with private_redis(tmp_path / "redis") as server, publishing_to(server.url):
        yield server


@pytest.fixture
def smtp():
    with smtp_receiver() as receiver:
        yield receiver


@pytest.fixture
def web_settings(settings, smtp, monkeypatch):
    """This process plays the web server: configured as the worker is. Pages for step 0 are
    planned here, on the channels configured here (e-mail only; nothing from the shell), with
    the worker's short enqueue lease."""
    for name in CHANNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DELIVERY_ENQUEUE_LEASE_SECONDS = FAST_CLOCK["DELIVERY_ENQUEUE_LEASE_SECONDS"]
    settings.DELIVERY_SEND_LEASE_SECONDS = FAST_CLOCK["DELIVERY_SEND_LEASE_SECONDS"]
    return settings


@pytest.fixture
def env(smtp, web_settings) -> dict:
    """The worker's environment: a tick a second, e-mail to the local SMTP server (and this
    process set up to match it)."""
    return {**FAST_CLOCK, **smtp.env()}


def start(broker, tmp_path, env, **options):
    """A worker with its beat, on the queue this process publishes to; ``Worker.kill`` it."""
    queue = celery_app.conf.task_default_queue
    return start_worker(broker.url, tmp_path, beat=True, queue=queue, **options, **env)


@contextlib.contextmanager
def running(broker, tmp_path, env, **options):
    """``start`` as a context manager: the worker and its beat are killed on exit."""
    started = start(broker, tmp_path, env, **options)
    try:
        yield started
    finally:
        started.kill()


def report_bowel_or_bladder_change(client, block) -> dict:
    """Ana's phone posts an entry saying she has lost control of her bowel or bladder."""
    body = {
        "client_id": str(uuid.uuid4()),
        "procedure": block.id,
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 4,
        "bowel_bladder_change": True,
    }
    response = client.post(ENTRIES, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def assert_told_to_go_to_the_emergency_department(answer: dict) -> Alert:
    alert = Alert.objects.get()
    assert answer["advice"]["level"] == "emergency"
    assert answer["alert"] == {"id": alert.pk, "severity": "emergency"}
    return alert


# --- The tests -----------------------------------------------------------------------------


def test_a_bowel_or_bladder_report_gets_emergency_advice_and_nias_page_arrives(
    requires_postgres,
    broker,
    tmp_path,
    httpserver,
    smtp,
    env,
    north,
    rota,
    nurse_nia,
    anas_block,
    as_ana,
):
    pager = Pager(httpserver)
    alerting(north, pager, delay=NEVER_DURING_A_TEST)

    with running(broker, tmp_path, env) as sender:
        sender.wait_ready()
        answer = report_bowel_or_bladder_change(as_ana, anas_block)
        alert = assert_told_to_go_to_the_emergency_department(answer)
        triggered = key(alert, 0, "triggered")
        wait_for(
            lambda: paged(smtp, nurse_nia) and pager.got(triggered),
            timeout=30,
            what="Nia's page and the webhook",
            log=sender.log,
        )

    # Through the broker at once, not found later by the sweeper.
    assert "sweeper re-enqueued" not in sender.log_text()
    at, email = first_page_to(smtp, nurse_nia)
    [post] = [p for p in pager.received() if p.key == triggered]
    for arrived in (at, post.at):
        assert arrived - alert.created_at.timestamp() <= PROMPTLY

    expected = hmac.new(WEBHOOK_SECRET.encode(), post.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(post.headers["X-Signature-256"], f"sha256={expected}")
    payload = json.loads(post.body)
    assert payload["event"] == "alert.triggered"
    assert payload["alert"]["id"] == alert.pk
    assert (payload["alert"]["severity"], payload["alert"]["escalation_step"]) == ("emergency", 0)

    text = f"{email['Subject']}\n{email.get_body(('plain',)).get_content()}"
    assert email["Subject"] == "Pain diary: emergency alert"
    assert f"/dashboard/alerts/{alert.pk}/" in text
    for said in (text, post.body.decode()):
        assert "Ana" not in said and "Silva" not in said, said
    # The page passes through mail servers: no symptom. (The webhook names the rule,
    # "bowel_bladder", by design: README "Safety triage and alerts".)
    assert "bladder" not in text.lower() and "bowel" not in text.lower(), text


def test_unacknowledged_the_backup_is_paged_after_the_delay_and_after_acknowledgement_nothing_more_arrives(  # noqa: E501
    requires_postgres,
    broker,
    tmp_path,
    httpserver,
    smtp,
    env,
    north,
    rota,
    nurse_nia,
    ravi,
    dr_cole,
    anas_block,
    as_ana,
    as_nia,
):
    delay = 4
    pager = Pager(httpserver)
    alerting(north, pager, delay=delay)

    with running(broker, tmp_path, env) as sender:
        sender.wait_ready()
        alert = assert_told_to_go_to_the_emergency_department(
            report_bowel_or_bladder_change(as_ana, anas_block)
        )
        wait_for(
            lambda: paged(smtp, nurse_nia, dr_cole) and pager.got(key(alert, 0, "triggered")),
            timeout=30,
            what="step 0",
            log=sender.log,
        )
        wait_for(
            lambda: paged(smtp, ravi) and pager.got(key(alert, 1, "escalated")),
            timeout=delay + 30,
            what="Ravi's page",
            log=sender.log,
        )
        ravis_page_at, _ = first_page_to(smtp, ravi)
        assert ravis_page_at >= alert.created_at.timestamp() + delay, "paged before the delay"

        answer = as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
        assert answer.status_code == 200, answer.content
        assert (answer.json()["state"], answer.json()["acknowledged_by"]) == ("acknowledged", "nia")
        acknowledged = key(alert, 1, "acknowledged")
        wait_for(
            lambda: pager.got(acknowledged), timeout=30, what="the acknowledgement", log=sender.log
        )

        emails, posts, ticks = pages(smtp), pager.keys(), sender.ticks()
        holds_for(
            lambda: pages(smtp) == emails and pager.keys() == posts,
            seconds=3 * delay,
            what="nothing more after the acknowledgement",
            log=sender.log,
        )
        assert sender.ticks() - ticks >= delay, "beat must have ticked through the window"

    assert pages(smtp) == {nurse_nia.email: 1, dr_cole.email: 1, ravi.email: 1}
    assert pager.keys() == {
        key(alert, 0, "triggered"): 1,
        key(alert, 1, "escalated"): 1,
        acknowledged: 1,
    }
    assert [post.event for post in pager.received()] == [
        "alert.triggered",
        "alert.escalated",
        "alert.acknowledged",
    ]


def test_with_redis_down_at_the_report_the_entry_is_stored_the_patient_is_advised_and_the_page_arrives_when_redis_is_back(  # noqa: E501
    requires_postgres,
    broker,
    tmp_path,
    httpserver,
    smtp,
    env,
    north,
    rota,
    nurse_nia,
    dr_cole,
    anas_block,
    as_ana,
    caplog,
):
    pager = Pager(httpserver)
    alerting(north, pager, delay=NEVER_DURING_A_TEST)

    with running(broker, tmp_path, env) as sender:
        sender.wait_ready()
        broker.stop()

        with caplog.at_level(logging.ERROR, logger="notifications.services"):
            started = time.monotonic()
            answer = report_bowel_or_bladder_change(as_ana, anas_block)
            took = time.monotonic() - started
        alert = assert_told_to_go_to_the_emergency_department(answer)
        assert took < 5, f"the report waited {took:.1f}s on the broker"
        assert "could not enqueue deliveries" in caplog.text
        assert DiaryEntry.objects.filter(procedure=anas_block, bowel_bladder_change=True).exists()
        assert Delivery.objects.filter(alert=alert, status="pending").count() == 3

        # Longer than the enqueue lease: were the worker reachable, the sweeper would send.
        holds_for(
            lambda: not smtp.messages and not pager.received(),
            seconds=FAST_CLOCK["DELIVERY_ENQUEUE_LEASE_SECONDS"] + 1,
            what="nothing sent while Redis is down",
            log=sender.log,
        )

        broker.start()  # same port, empty: the tasks were never there
        wait_for(
            lambda: paged(smtp, nurse_nia, dr_cole) and pager.got(key(alert, 0, "triggered")),
            timeout=60,
            what="the pages",
            log=sender.log,
        )
        # Past the send lease: the sweeper has looked again and left them alone.
        wait_for_ticks(sender, FAST_CLOCK["DELIVERY_SEND_LEASE_SECONDS"] + 1)

    assert pages(smtp) == {nurse_nia.email: 1, dr_cole.email: 1}
    assert pager.keys() == {key(alert, 0, "triggered"): 1}
    deliveries = Delivery.objects.filter(alert=alert)
    assert {(d.status, d.attempts, d.attempts_log.count()) for d in deliveries} == {("sent", 1, 1)}


def test_a_worker_killed_mid_send_still_yields_exactly_one_page_per_recipient_per_step(
    requires_postgres,
    broker,
    tmp_path,
    httpserver,
    smtp,
    env,
    north,
    rota,
    nurse_nia,
    ravi,
    dr_cole,
    anas_block,
    as_ana,
    as_nia,
):
    """The first worker is killed (``kill -9``, its beat with it) while the webhook POST of the
    triggered event is in flight: the paging system has the request, nobody has its answer.

    A second worker on the same queue finishes the job once the first one's send lease has
    run out, and escalates to Ravi. E-mail pages arrive exactly once per recipient and step.
    The webhook is at-least-once: the POST in flight when the worker died is sent again, with
    the same ``X-Idempotency-Key``, which is how the paging system drops the repeat. Every
    other event arrives once.
    """
    delay = 5
    in_flight = {}

    def kill_the_sender(post):
        """Runs in the receiver before it answers: the worker dies waiting for the answer."""
        if not in_flight:
            in_flight["post"] = post
            first.kill()

    pager = Pager(httpserver, hold=kill_the_sender)
    alerting(north, pager, delay=delay)

    first = start(broker, tmp_path, env, name="first")
    try:
        alert = assert_told_to_go_to_the_emergency_department(
            report_bowel_or_bladder_change(as_ana, anas_block)
        )
        wait_for(lambda: in_flight, timeout=45, what="the webhook POST", log=first.log)
    finally:
        first.kill()
    assert in_flight["post"].key == key(alert, 0, "triggered")
    assert len(pager.received()) == 1

    with running(broker, tmp_path, env, name="second") as second:
        wait_for(
            lambda: paged(smtp, nurse_nia, dr_cole, ravi) and pager.got(key(alert, 1, "escalated")),
            timeout=60,
            what="steps 0 and 1",
            log=second.log,
        )
        answer = as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
        assert answer.status_code == 200, answer.content
        wait_for(
            lambda: any(post.event == "alert.acknowledged" for post in pager.received()),
            timeout=30,
            what="the acknowledgement",
            log=second.log,
        )
        # Past the send lease: the sweeper has looked at every row again.
        wait_for_ticks(second, FAST_CLOCK["DELIVERY_SEND_LEASE_SECONDS"] + 1)

    sent = Delivery.objects.filter(alert=alert, status="sent")
    # What the outbox says went out, one row per address, step and event (a constraint)...
    emailed = Counter(d.address for d in sent.filter(channel=Channel.EMAIL))
    posted = {key(alert, d.step, d.event) for d in sent.filter(channel=Channel.WEBHOOK)}
    assert {
        (nurse_nia.email, 0, "triggered"),
        (dr_cole.email, 0, "triggered"),
        (ravi.email, 1, "escalated"),
    } <= {(d.address, d.step, d.event) for d in sent.filter(channel=Channel.EMAIL)}
    assert {key(alert, 0, "triggered"), key(alert, 1, "escalated")} <= posted
    assert any(k.endswith("-acknowledged") for k in posted)
    # ...is exactly what arrived: each e-mail page once, each webhook event once but the
    # one in flight at the kill, twice under one key.
    assert pages(smtp) == emailed
    repeated = in_flight["post"].key
    assert pager.keys() == {k: 1 for k in posted} | {repeated: 2}
    assert not Delivery.objects.filter(alert=alert).exclude(status__in=("sent", "cancelled"))
    for delivery in sent:
        assert delivery.attempts_log.count() == 1
    [in_flight_row] = sent.filter(channel=Channel.WEBHOOK, step=0, event="triggered")
    assert in_flight_row.attempts == 2


def test_north_s_pagerduty_incident_is_triggered_retried_once_acknowledged_and_resolved(
    requires_postgres,
    broker,
    tmp_path,
    httpserver,
    smtp,
    env,
    north,
    rota,
    nurse_nia,
    anas_block,
    as_ana,
    as_nia,
    settings,
):
    """PagerDuty is busy at the first try (429): the real worker tries again through the
    broker, and the incident it opens is acknowledged and resolved by Nia's taps, one
    incident throughout."""
    from tests.notifications.conftest import NORTHS_PAGERDUTY_KEY, PAGERDUTY_PATH
    from tests.notifications.pagerduty_receiver import RATE_LIMITED, PagerDutyReceiver

    pagerduty = PagerDutyReceiver(routing_key=NORTHS_PAGERDUTY_KEY)
    pagerduty.script(RATE_LIMITED)
    httpserver.expect_request(PAGERDUTY_PATH, method="POST").respond_with_handler(pagerduty.handle)
    AlertSettings.objects.create(
        clinic=north,
        emergency_delay_seconds=NEVER_DURING_A_TEST,
        urgent_delay_seconds=NEVER_DURING_A_TEST,
        pagerduty_routing_key=NORTHS_PAGERDUTY_KEY,
    )
    events_url = httpserver.url_for(PAGERDUTY_PATH)
    settings.PAGERDUTY_EVENTS_URL = events_url  # this process plans; the worker sends

    with running(broker, tmp_path, {**env, "PAGERDUTY_EVENTS_URL": events_url}) as sender:
        sender.wait_ready()
        alert = assert_told_to_go_to_the_emergency_department(
            report_bowel_or_bladder_change(as_ana, anas_block)
        )
        wait_for(
            lambda: pagerduty.answers == [429, 202],
            timeout=30,
            what="the trigger, retried after PagerDuty's 429",
            log=sender.log,
        )
        assert as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
        wait_for(lambda: pagerduty.actions[-1:] == ["acknowledge"], timeout=30, what="acknowledge")
        note = {"note": "Seen in the emergency department; MRI booked."}
        resolved = as_nia.post(f"/api/v1/alerts/{alert.pk}/resolve/", note, format="json")
        assert resolved.status_code == 200, resolved.content
        wait_for(lambda: pagerduty.actions[-1:] == ["resolve"], timeout=30, what="resolve")

    assert pagerduty.actions == ["trigger", "trigger", "acknowledge", "resolve"]
    assert {event["dedup_key"] for _, event in pagerduty.events} == {f"alert-{alert.pk}"}
    [incident] = pagerduty.incidents.values()
    assert (incident.status, incident.severity) == ("resolved", "critical")
    for raw, _ in pagerduty.events:
        assert "Ana" not in raw.decode() and "bowel" not in raw.decode(), raw
    rows = Delivery.objects.filter(alert=alert, channel=Channel.PAGERDUTY)
    assert sorted(rows.values_list("event", "status", "attempts")) == [
        ("acknowledged", "sent", 1),
        ("resolved", "sent", 1),
        ("triggered", "sent", 2),
    ]
