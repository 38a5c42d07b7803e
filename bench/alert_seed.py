"""Set-up step of bench/alert_latency: patients, the clinic's webhook and its on-call rota.

Run as ``python -m bench.alert_seed OUT.json --patients N --webhook-url URL --secret S`` with
the bench's environment. Everything goes through the services, as the clinic would do it:
the patients of bench/ingest (``bench.seed``: a performed block 1 h ago and an app token
each), then the clinic's AlertSettings (webhook URL and secret; escalation after a day, so
no escalation pages during the run) and a primary on-call shift for the clinic's one staff
member, who has no channel: the webhook is the only thing sent for an alert.

Last, one ``tick()``: it claims the 1-hour reminders of every block at once (no patient
has a channel, so each becomes a failed delivery row and nothing is enqueued). Beat's
ticks during the run then find what production's find between bursts.
"""

import argparse
import json
from datetime import timedelta

import django

django.setup()

from django.conf import settings  # noqa: E402  (needs django.setup() first)
from django.utils import timezone  # noqa: E402

from bench.seed import seed_patients  # noqa: E402
from diary.models import Clinic  # noqa: E402
from notifications import clinic_settings, oncall, services  # noqa: E402
from notifications.clinic_settings import MAX_DELAY_SECONDS  # noqa: E402
from notifications.config import http_timeout  # noqa: E402

SETTINGS = [
    "CHECKIN_TICK_SECONDS",
    "SEND_BATCH",
    "CELERY_WORKER_PREFETCH_MULTIPLIER",
    "CELERY_TASK_ACKS_LATE",
    "CELERY_DB_REUSE_MAX",
    "DELIVERY_ENQUEUE_LEASE_SECONDS",
]


def configure_alerting(webhook_url: str, secret: str) -> dict:
    clinic = Clinic.objects.get(name="Bench clinic")  # made by seed_patients
    staff = clinic.staff.get().user  # its one staff member: clinician, on call, admin
    clinic_settings.update_alert_settings(
        clinic,
        by=staff,
        webhook_url=webhook_url,
        webhook_secret=secret,
        emergency_delay_seconds=MAX_DELAY_SECONDS,
        urgent_delay_seconds=MAX_DELAY_SECONDS,
    )
    now = timezone.now()
    oncall.create_shift(
        clinic=clinic,
        user=staff,
        role="primary",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    return {"clinic": clinic.pk, "staff": staff.pk}


def settings_in_force() -> dict:
    values = {name: getattr(settings, name, None) for name in SETTINGS}
    values["CONN_MAX_AGE"] = settings.DATABASES["default"].get("CONN_MAX_AGE")
    values["NOTIFY_HTTP_TIMEOUT"] = http_timeout()[0]
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", help="JSON file to write the patients and settings to")
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args()
    patients = seed_patients(args.patients)
    result = {
        "patients": patients,
        **configure_alerting(args.webhook_url, args.secret),
        "first_tick": services.tick(),
        "settings": settings_in_force(),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
