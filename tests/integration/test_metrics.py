"""Metrics from real processes: a gunicorn (two workers) and a prefork Celery worker with an
embedded beat, all writing their counters to one folder; one scrape of /metrics sums them.

Ana's 2 h reminder leaves by SMS and her red flag pages Nia by e-mail (both kept by the local
outbox: no provider here). The scrape before and after shows the entry, the finding, the
page and the reminder counted, the reminder's lateness observed, beat ticking, and the alert
open with its age; the queues' depth is there.
"""

import re
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from notifications.models import Delivery, DeliveryStatus, OnCallShift, Purpose
from tests.factories import make_procedure, patient_token
from tests.integration.processes import start_worker, wait_for
from tests.integration.web_server import gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TOKEN = "scrape-token-0123456789"


def value(text: str, sample: str) -> float:
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_an_entry_a_page_and_a_reminder_move_the_metrics_of_every_process(
    requires_postgres, redis_url, tmp_path, north, nurse_nia, ana
):
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save(update_fields=["email"])
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=north,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=4),
        ends_at=now + timedelta(hours=8),
    )
    block = make_procedure(ana, performed_at=now - timedelta(hours=2, minutes=3))
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {
        "OUTBOX_CHANNEL": "true",
        "CHECKIN_TICK_SECONDS": "1",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    with gunicorn(tmp_path, redis_url=redis_url, workers=2, CELERY_QUEUE=queue, **env) as web:

        def scrape() -> str:
            answer = requests.get(
                f"{web.base_url}/metrics",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
            return answer.text

        before = scrape()  # before the worker and its beat start: nothing sent yet
        worker = start_worker(redis_url, tmp_path, queue=queue, beat=True, pool="prefork", **env)
        try:
            worker.wait_ready()
            reminders = Delivery.objects.filter(purpose=Purpose.REMINDER)
            wait_for(
                lambda: reminders.filter(status=DeliveryStatus.SENT).exists(),
                timeout=45,
                what="Ana's reminder",
                log=worker.log,
            )
            entry = requests.post(
                f"{web.base_url}/api/v1/me/entries/",
                json={
                    "client_id": str(uuid.uuid4()),
                    "procedure": block.pk,
                    "recorded_at": timezone.now().isoformat(),
                    "pain_score": 4,
                    "bowel_bladder_change": True,
                },
                headers={"Authorization": f"Bearer {patient_token(ana)}"},
                timeout=10,
            )
            assert entry.status_code == 201, entry.text
            pages = Delivery.objects.filter(purpose=Purpose.ALERT_PAGE)
            wait_for(
                lambda: pages.filter(status=DeliveryStatus.SENT).exists(),
                timeout=30,
                what="Nia's page",
                log=worker.log,
            )
            after = scrape()
        finally:
            worker.kill()

    def moved(sample: str) -> float:
        return value(after, sample) - value(before, sample)

    assert moved("diary_entries_recorded_total") == 1
    assert moved('diary_findings_total{severity="emergency"}') == 1
    assert moved('diary_sends_total{channel="email",kind="page",outcome="sent"}') >= 1
    assert moved('diary_sends_total{channel="sms",kind="reminder",outcome="sent"}') >= 1
    assert moved('diary_reminder_lateness_seconds_count{channel="sms"}') >= 1
    assert moved('diary_transport_seconds_count{channel="email"}') >= 1
    assert moved("diary_beat_tick_seconds_count") >= 1
    assert value(after, 'diary_alerts_open{severity="emergency",state="open"}') == 1
    assert value(after, 'diary_alert_oldest_unacknowledged_seconds{severity="emergency"}') > 0
    assert f'diary_queue_depth{{queue="{queue}"}}' in after
    assert f'diary_queue_depth{{queue="{queue}-alerts"}}' in after
    assert value(after, 'diary_heartbeat_age_seconds{kind="beat"}') < 30
