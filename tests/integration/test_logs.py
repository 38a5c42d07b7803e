"""What the logs say, from real processes: a gunicorn, the main worker, the alerts worker and
beat, each as the Procfile starts it, on one Redis and this test's PostgreSQL.

Zelda, a patient with a name, a phone number, an e-mail address and a note nobody else has,
reports a red flag twice, once from her phone through the API and once from her reminder link
through the web check-in. Her pages go out (kept by the local outbox: no provider here). Then
every line any of the four processes wrote is searched: none holds her name, number, address
or note. The id of the web request that raised her alert is on the alerts worker's lines
about the pages it sent.
"""

import json
import re
import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from diary import services
from notifications.models import Delivery, DeliveryStatus, OnCallShift, Purpose
from tests.factories import PatientFactory, make_procedure, patient_token
from tests.integration.processes import start_beat, start_worker, wait_for
from tests.integration.web_server import gunicorn

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

NAME = "Zelda Quartermain"
PHONE = "+447700900987"
EMAIL = "zelda.quartermain@example.org"
NOTE = "the blue kettle hums when I stand up"
REQUEST_IDS = {"web": "link-51c2", "phone": "phone-7f3a"}


def secrets_in(text: str) -> list[str]:
    digits = PHONE.lstrip("+")
    found = [s for s in (*NAME.split(), PHONE, digits, digits[2:], EMAIL, NOTE) if s in text]
    return found + [w for w in ("Zelda", "Quartermain", "kettle") if w.lower() in text.lower()]


def field(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"', page).group(1)


@pytest.fixture
def zelda(north, nurse_nia):
    north.emergency_number = "999"
    north.save(update_fields=["emergency_number"])
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
    patient = PatientFactory(clinic=north, display_name=NAME, phone=PHONE, email=EMAIL)
    block = make_procedure(patient, performed_at=now - timedelta(hours=2, minutes=3))
    return patient, block


def test_no_line_of_web_worker_alerts_worker_or_beat_holds_zelda_s_name_phone_or_note(
    requires_postgres, redis_url, tmp_path, zelda
):
    patient, block = zelda
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {"OUTBOX_CHANNEL": "true", "CHECKIN_TICK_SECONDS": "1"}
    main = start_worker(redis_url, tmp_path, queue=queue, queues="main", name="main", **env)
    alerts = start_worker(redis_url, tmp_path, queue=queue, queues="alerts", name="alerts", **env)
    beat = start_beat(redis_url, tmp_path, queue=queue, **env)
    try:
        with gunicorn(tmp_path, redis_url=redis_url, CELERY_QUEUE=queue, **env) as web:
            main.wait_ready()
            alerts.wait_ready()
            browser = requests.Session()
            (token,) = services.issue_links([(patient.pk, block.checkins.get(key="h2").pk)])
            form = browser.get(f"{web.base_url}/c/{token}", timeout=10)
            assert form.status_code == 200, form.text[:500]
            sent = browser.post(
                form.url,
                data={
                    "csrfmiddlewaretoken": field(form.text, "csrfmiddlewaretoken"),
                    "client_id": field(form.text, "client_id"),
                    "pain_score": "6",
                    "bowel_bladder_change": "yes",
                    "note": NOTE,
                },
                # Production's cookies are Secure: over this plain-HTTP test server a
                # browser would not send them back, so they are sent by hand.
                headers={
                    "Referer": form.url,
                    "X-Request-ID": REQUEST_IDS["web"],
                    "Cookie": "; ".join(f"{c.name}={c.value}" for c in browser.cookies),
                },
                timeout=10,
            )
            assert sent.status_code == 200, sent.text[:500]
            assert "Get help now" in sent.text or "Call your clinic" in sent.text, sent.text[:800]

            phone = requests.post(
                f"{web.base_url}/api/v1/me/entries/",
                json={
                    "client_id": str(uuid.uuid4()),
                    "procedure": block.pk,
                    "recorded_at": timezone.now().isoformat(),
                    "pain_score": 4,
                    "bowel_bladder_change": True,
                    "note": NOTE,
                },
                headers={
                    "Authorization": f"Bearer {patient_token(patient)}",
                    "X-Request-ID": REQUEST_IDS["phone"],
                },
                timeout=10,
            )
            assert phone.status_code == 201, phone.text
            assert phone.headers["X-Request-ID"] == REQUEST_IDS["phone"]

            pages = Delivery.objects.filter(purpose=Purpose.ALERT_PAGE)
            wait_for(
                lambda: (
                    pages.exists()
                    and not pages.exclude(status=DeliveryStatus.SENT).exists()
                    and "Sending due task tick" in beat.log_text()
                ),
                timeout=60,
                what="Zelda's pages sent, and beat ticking",
                log=alerts.log,
            )
    finally:
        for process in (main, alerts, beat):
            process.kill()

    logs = {p.log.name: p.log_text() for p in (main, alerts, beat)}
    logs["gunicorn.log"] = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert all(logs.values()), [name for name, text in logs.items() if not text]
    leaks = {name: secrets_in(text) for name, text in logs.items() if secrets_in(text)}
    assert leaks == {}, leaks

    # Production's lines are JSON; the page the API request raised carries its request id.
    records = [json.loads(line) for line in logs["alerts.log"].splitlines() if line[:1] == "{"]
    kept = [r for r in records if r["message"].startswith("outbox kept email")]
    assert kept, logs["alerts.log"][-2000:]
    # The first red flag raised the alert; the second joined it and paged nobody new.
    assert {r.get("request_id") for r in kept} == {REQUEST_IDS["web"]}
    assert {r["process"] for r in records} == {"alerts"}
    web = [json.loads(line) for line in logs["gunicorn.log"].splitlines() if line[:1] == "{"]
    said = [(r["request_id"], r["message"]) for r in web if r["logger"] == "backend.requests"]
    assert (REQUEST_IDS["web"], "POST /c/<str:token>/checkins/<int:checkin_id>/ 303") in {
        (rid, message.rsplit(" ", 2)[0]) for rid, message in said
    }
    assert (REQUEST_IDS["phone"], "POST /api/v1/me/entries/ 201") in {
        (rid, message.rsplit(" ", 2)[0]) for rid, message in said
    }
    # A line names the route, never the path: the link itself would open Zelda's diary.
    assert token not in logs["gunicorn.log"]
