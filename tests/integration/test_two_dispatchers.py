"""Two dispatchers at once (ARCHITECTURE rule 6: everything beat does is safe to run twice):
each due check-in is claimed by one of them, planned once and enqueued once, and the
patient gets one reminder however many beats and workers are running.
"""

import base64
import json
import random
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from diary import services as diary
from diary.models import CheckIn, CheckInStatus
from notifications.models import Delivery, DeliveryStatus
from tests.factories import PatientFactory, make_procedure
from tests.integration.processes import (
    FAST_CLOCK,
    REPO,
    Providers,
    child_env,
    private_redis,
    wait_for,
    wait_for_ticks,
    worker,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# One dispatcher, in a process of its own: it waits at the start line (a shared advisory
# lock the test holds exclusively), then claims and plans what is due, as beat's tick does.
DISPATCHER = """
import json, os
from django.db import connection
from django.utils import timezone
from notifications.services import dispatch_reminders

start_line = int(os.environ["START_LINE"])
with connection.cursor() as cursor:
    cursor.execute("SELECT pg_advisory_lock_shared(%s)", [start_line])
    cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [start_line])
print(json.dumps({"claimed": dispatch_reminders(timezone.now(), "checkin_reminder")}))
"""


@pytest.fixture
def broker(tmp_path):
    """A Redis of this test's own: what the dispatchers enqueue can be read back from it."""
    with private_redis(tmp_path / "redis") as server:
        yield server


def due_now(patients: list, per_patient: int) -> list[CheckIn]:
    """``per_patient`` check-ins of each patient's block, all open and due to be reminded now."""
    now = timezone.now()
    ids = []
    for patient in patients:
        block = make_procedure(patient, performed_at=now - timedelta(days=30))
        ids += list(block.checkins.values_list("pk", flat=True)[:per_patient])
    CheckIn.objects.filter(pk__in=ids).update(
        status=CheckInStatus.UPCOMING,
        due_at=now - timedelta(minutes=1),
        remind_at=now - timedelta(minutes=1),
        rereminder_at=None,
        closes_at=now + timedelta(hours=1),
    )
    return list(CheckIn.objects.filter(pk__in=ids))


def waiting_at(start_line: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid = %s",
            [start_line],
        )
        return cursor.fetchone()[0]


def enqueued_delivery_ids(broker, queue: str) -> list[int]:
    """Every delivery id in the send tasks waiting in ``queue`` (Celery's JSON messages)."""
    ids = []
    for raw in broker.client().lrange(queue, 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "notifications.tasks.send_deliveries"
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        ids += args[0]
    return ids


def test_two_dispatchers_at_once_plan_each_of_200_due_reminders_exactly_once(
    requires_postgres, broker, tmp_path, httpserver, north
):
    patients = [PatientFactory(clinic=north) for _ in range(8)]
    for n, patient in enumerate(patients):
        diary.register_device(patient=patient, platform="fcm", token=f"fcm-token-{n}")
    checkins = due_now(patients, per_patient=25)
    assert len(checkins) == 200

    queue = "test-dispatchers"
    start_line = random.randint(1, 2**31 - 1)
    # Small batches: each dispatcher claims ten at a time, so the two interleave.
    env = child_env(
        broker.url,
        tmp_path,
        CELERY_QUEUE=queue,
        DISPATCH_BATCH=10,
        START_LINE=start_line,
        **Providers(httpserver).env(),
    )
    command = [sys.executable, "manage.py", "shell", "-c", DISPATCHER]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [start_line])
    dispatchers = []
    try:
        dispatchers = [
            subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]

        def both_waiting():
            # One that died early is reported with its stderr below.
            return waiting_at(start_line) == 2 or any(d.poll() is not None for d in dispatchers)

        wait_for(both_waiting, timeout=60, what="both dispatchers at the start line")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock_all()")
        outputs = [d.communicate(timeout=60) for d in dispatchers]

    claimed = []
    for dispatcher, (out, err) in zip(dispatchers, outputs, strict=True):
        assert dispatcher.returncode == 0, err.decode(errors="replace")[-3000:]
        claimed.append(json.loads(out.decode().strip().splitlines()[-1])["claimed"])
    assert sum(claimed) == 200
    assert all(claimed), f"skip-locked claims should split the work, got {claimed}"

    per_checkin = Delivery.objects.values("checkin").annotate(n=Count("id"))
    assert {row["checkin"] for row in per_checkin} == {c.pk for c in checkins}
    assert {row["n"] for row in per_checkin} == {1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    claimed_checkins = CheckIn.objects.filter(pk__in=[c.pk for c in checkins])
    assert set(claimed_checkins.values_list("status", flat=True)) == {CheckInStatus.DUE}
    # ...and the broker was told about each delivery once.
    enqueued = enqueued_delivery_ids(broker, queue)
    assert sorted(enqueued) == sorted(Delivery.objects.values_list("pk", flat=True))


def test_two_workers_with_a_beat_each_send_every_reminder_once(
    requires_postgres, redis_url, tmp_path, httpserver, north
):
    providers = Providers(httpserver)
    patients = [PatientFactory(clinic=north) for _ in range(10)]
    for n, patient in enumerate(patients):
        diary.register_device(patient=patient, platform="fcm", token=f"fcm-token-{n}")
    env = {**FAST_CLOCK, **providers.env()}

    with (
        worker(redis_url, tmp_path, beat=True, name="left", **env) as left,
        worker(redis_url, tmp_path, beat=True, queue=left.queue, name="right", **env) as right,
    ):
        left.wait_ready()
        right.wait_ready()
        checkins = []
        for n, patient in enumerate(patients):
            # Spread over three seconds, so they fall due across several ticks of both beats.
            performed_at = timezone.now() - timedelta(minutes=15, seconds=-3 - 0.3 * n)
            checkins.append(
                make_procedure(patient, performed_at=performed_at).checkins.get(key="m15")
            )

        def all_sent():
            sent = Delivery.objects.filter(checkin__in=checkins, status=DeliveryStatus.SENT)
            return sent.count() == len(checkins)

        wait_for(all_sent, timeout=60, what="every reminder", log=left.log)
        wait_for_ticks(left, 5)
        wait_for_ticks(right, 1)

    expected = {f"checkin-{c.pk}-{c.plan_version}-checkin_reminder": 1 for c in checkins}
    assert providers.count_by_collapse_id() == expected
    deliveries = Delivery.objects.filter(checkin__in=checkins)
    assert deliveries.count() == len(checkins)
    assert {(d.status, d.attempts, d.attempts_log.count()) for d in deliveries} == {("sent", 1, 1)}
