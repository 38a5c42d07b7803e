"""``GET /api/v1/health/``: a monitor asks anonymously whether the service is up and keeping
up, and learns counts, never who. The database and broker checks run against the real
ones of the test settings (the filesystem transport, or Redis when ``REDIS_URL`` is set)."""

import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError, connection

from backend.celery import app as celery_app
from notifications import health
from notifications.heartbeat import _BeatRecorder, record
from notifications.models import Alert, Delivery, DeliveryStatus, Heartbeat, Purpose
from tests.factories import PatientFactory, make_procedure

URL = "/api/v1/health/"
NOON = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
# CHECKIN_TICK_SECONDS = 15: anything more than 2 * 15 + 30 s late is overdue.
GRACE = timedelta(seconds=60)


@pytest.fixture(autouse=True)
def fifteen_second_tick(settings):
    settings.CHECKIN_TICK_SECONDS = 15


@pytest.fixture(autouse=True)
def everything_running(db):
    """Beat and both worker kinds have just been seen (tests of them change this)."""
    for kind in ("beat", "worker", "alerts"):
        record(kind)


@pytest.fixture
def ana(north):
    return PatientFactory(
        clinic=north,
        display_name="Ana Silva",
        phone="+447700900123",
        email="ana.silva@example.org",
    )


@pytest.fixture
def anas_block(ana):
    return make_procedure(ana, performed_at=NOON - timedelta(hours=2))


@pytest.fixture
def noon():
    with time_machine.travel(NOON, tick=False):
        yield NOON


def alert_for(block, *, rule="fever", state="open", escalates_at):
    return Alert.objects.create(
        clinic=block.patient.clinic,
        patient=block.patient,
        procedure=block,
        rule=rule,
        severity="urgent",
        reason="Temperature 38.6 °C reported with back pain",
        state=state,
        next_escalation_at=escalates_at,
        resolution_note="seen" if state == "resolved" else "",
    )


def delivery_to(patient, *, status, next_attempt_at, lease_until=None, address="+447700900123"):
    return Delivery.objects.create(
        patient=patient,
        purpose=Purpose.REMINDER,
        channel="sms",
        address=address,
        status=status,
        next_attempt_at=next_attempt_at,
        lease_until=lease_until,
    )


@pytest.fixture
def unreachable_broker(closed_port):
    """The Celery app pointed at a Redis that is not running, for this test only."""
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port}/0"
    try:
        yield
    finally:
        celery_app.conf.broker_url = previous


@pytest.fixture
def silent_port():
    """A port whose listener accepts connections and never says a word: a hung Redis."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)  # the kernel completes the handshakes; nobody ever reads
        yield sock.getsockname()[1]


# --- Up --------------------------------------------------------------------------------


def test_a_fresh_service_is_ok_for_an_anonymous_monitor(anon, db):
    answer = anon.get(URL)

    assert answer.status_code == 200
    body = answer.json()
    assert {k: v for k, v in body.items() if k != "checked_at"} == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "overdue_alerts": 0,
        "overdue_deliveries": 0,
        "processes": {
            kind: {"seen_at": body["processes"][kind]["seen_at"], "status": "ok"}
            for kind in ("beat", "worker", "alerts")
        },
        "held_channels": [],
    }
    assert datetime.fromisoformat(body["checked_at"].replace("Z", "+00:00")).tzinfo is not None


def test_a_monitor_with_a_stale_token_is_not_turned_away(bearer, db):
    answer = bearer("no-longer-valid-token").get(URL)

    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_the_check_costs_the_same_few_queries_however_much_work_is_waiting(
    anon, anas_block, noon, django_assert_num_queries
):
    for minutes in range(5):
        delivery_to(
            anas_block.patient,
            status=DeliveryStatus.PENDING,
            next_attempt_at=NOON - timedelta(minutes=10 + minutes),
            address=f"+4477009001{minutes:02d}",
        )

    # SELECT 1, overdue alerts, overdue pending, overdue sending, heartbeats.
    with django_assert_num_queries(5):
        answer = anon.get(URL)

    assert answer.json()["overdue_deliveries"] == 5


# --- Degraded: a kind of process not seen -----------------------------------------------


@pytest.mark.parametrize("kind", ["beat", "worker", "alerts"])
def test_a_process_kind_not_seen_for_two_ticks_degrades_the_service(anon, noon, kind):
    Heartbeat.objects.filter(kind=kind).update(seen_at=NOON - GRACE - timedelta(seconds=1))

    body = anon.get(URL).json()

    assert body["status"] == "degraded"
    assert {k for k, p in body["processes"].items() if p["status"] == "error"} == {kind}


def test_a_process_seen_within_two_ticks_is_ok(anon, noon):
    Heartbeat.objects.update(seen_at=NOON - GRACE + timedelta(seconds=1))

    assert anon.get(URL).json()["status"] == "ok"


def test_an_alerts_worker_never_started_is_reported_as_never_seen(anon, noon):
    Heartbeat.objects.filter(kind="alerts").delete()

    body = anon.get(URL).json()

    assert body["status"] == "degraded"
    assert body["processes"]["alerts"] == {"seen_at": None, "status": "error"}


def test_beat_records_itself_at_most_once_a_period(db):
    recorder = _BeatRecorder(period=3600)
    Heartbeat.objects.all().delete()

    recorder()
    first = Heartbeat.objects.get(kind="beat").seen_at
    recorder()

    assert Heartbeat.objects.get(kind="beat").seen_at == first
    assert Heartbeat.objects.count() == 1


def test_beat_goes_on_publishing_when_its_heartbeat_cannot_be_written(db, monkeypatch, caplog):
    def no_database(kind):
        raise OperationalError("connection refused")

    monkeypatch.setattr("notifications.heartbeat.record", no_database)

    _BeatRecorder(period=0)()  # must not raise: beat would stop publishing ticks

    assert "beat heartbeat not recorded" in caplog.text


# --- Degraded: beat or the workers are not keeping up ---------------------------------


def test_an_open_alert_not_escalated_on_time_degrades_the_service(anon, anas_block, noon):
    alert_for(anas_block, escalates_at=NOON - GRACE - timedelta(seconds=1))

    answer = anon.get(URL)

    assert answer.status_code == 200
    assert answer.json()["status"] == "degraded"
    assert answer.json()["overdue_alerts"] == 1
    assert answer.json()["overdue_deliveries"] == 0


def test_an_alert_within_two_ticks_of_its_escalation_is_not_yet_overdue(anon, anas_block, noon):
    alert_for(anas_block, escalates_at=NOON - GRACE + timedelta(seconds=1))

    assert anon.get(URL).json()["status"] == "ok"


def test_acknowledged_and_resolved_alerts_are_never_overdue(anon, anas_block, noon):
    long_ago = NOON - timedelta(hours=3)
    alert_for(anas_block, rule="fever", state="acknowledged", escalates_at=long_ago)
    alert_for(anas_block, rule="numbness", state="resolved", escalates_at=long_ago)

    body = anon.get(URL).json()

    assert body["status"] == "ok"
    assert body["overdue_alerts"] == 0


def test_a_reminder_left_pending_degrades_the_service(anon, anas_block, noon):
    delivery_to(
        anas_block.patient,
        status=DeliveryStatus.PENDING,
        next_attempt_at=NOON - GRACE - timedelta(seconds=1),
    )

    answer = anon.get(URL)

    assert answer.status_code == 200
    assert answer.json()["status"] == "degraded"
    assert answer.json()["overdue_deliveries"] == 1


def test_a_send_stuck_past_its_workers_lease_degrades_the_service(anon, anas_block, noon):
    delivery_to(
        anas_block.patient,
        status=DeliveryStatus.SENDING,
        next_attempt_at=NOON - timedelta(minutes=5),
        lease_until=NOON - GRACE - timedelta(seconds=1),
    )

    body = anon.get(URL).json()

    assert body["status"] == "degraded"
    assert body["overdue_deliveries"] == 1


def test_work_on_time_or_finished_is_not_overdue(anon, anas_block, noon):
    long_ago = NOON - timedelta(hours=3)
    delivery_to(anas_block.patient, status=DeliveryStatus.PENDING, next_attempt_at=NOON)
    delivery_to(
        anas_block.patient,
        status=DeliveryStatus.SENDING,
        next_attempt_at=long_ago,
        lease_until=NOON + timedelta(seconds=30),
        address="+447700900124",
    )
    for i, status in enumerate([DeliveryStatus.SENT, DeliveryStatus.FAILED]):
        delivery_to(
            anas_block.patient,
            status=status,
            next_attempt_at=long_ago,
            lease_until=long_ago,
            address=f"+44770090013{i}",
        )

    body = anon.get(URL).json()

    assert body["status"] == "ok"
    assert body["overdue_deliveries"] == 0


def test_nothing_about_ana_is_in_the_answer(anon, anas_block, noon):
    alert_for(anas_block, escalates_at=NOON - timedelta(hours=1))
    delivery_to(
        anas_block.patient,
        status=DeliveryStatus.PENDING,
        next_attempt_at=NOON - timedelta(hours=1),
        address="ana.silva@example.org",
    )

    answer = anon.get(URL)

    assert set(answer.json()) == {
        "status",
        "database",
        "broker",
        "overdue_alerts",
        "overdue_deliveries",
        "processes",
        "held_channels",
        "checked_at",
    }
    text = answer.content.decode()
    for identifying in ["Ana", "Silva", "+447700900123", "ana.silva", "North", "38.6", "fever"]:
        assert identifying not in text


# --- Down ------------------------------------------------------------------------------


def test_a_broker_that_does_not_answer_means_down(anon, db, unreachable_broker):
    started = time.monotonic()
    answer = anon.get(URL)
    elapsed = time.monotonic() - started

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "down"
    assert body["broker"] == "error"
    assert body["database"] == "ok"
    assert body["overdue_alerts"] == 0  # the database still answers, so it still counts
    assert elapsed < 3


def test_a_hung_broker_is_given_up_on_after_the_timeout(silent_port):
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{silent_port}/0"
    try:
        started = time.monotonic()
        reachable = health.broker_ok(timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        celery_app.conf.broker_url = previous

    assert reachable is False
    assert elapsed < 1.5


def test_a_database_that_does_not_answer_means_down_with_no_counts(anon, db):
    def refuse(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly")

    # Every query fails the way a lost connection does, before reaching the database.
    with connection.execute_wrapper(refuse):
        answer = anon.get(URL)

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "down"
    assert body["database"] == "error"
    assert body["overdue_alerts"] is None
    assert body["overdue_deliveries"] is None
