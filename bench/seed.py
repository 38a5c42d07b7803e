"""Set-up step of bench/ingest: patients with a performed block and an app token each.

Run as ``python -m bench.seed OUT.json --patients N`` with DJANGO_SETTINGS_MODULE set.
Everything goes through ``diary.services``, as the clinic's own requests would.
Also counts the SQL statements of one request to each endpoint, as Django sees them.
"""

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import django

django.setup()

from django.db import connection  # noqa: E402  (needs django.setup() first)
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.load import entry_payload  # noqa: E402
from diary import services  # noqa: E402

ENTRIES_PATH = "/api/v1/me/entries/"
NOOP_PATH = "/bench/noop/"


def seed_patients(count: int) -> list[dict]:
    clinic, _ = services.create_clinic(
        name="Bench clinic",
        timezone_name="Europe/London",
        username="bench-admin",
        password=uuid.uuid4().hex,
    )
    performed_at = datetime.now(UTC) - timedelta(hours=1)
    seeded = []
    for number in range(count):
        patient, code, _ = services.create_patient(
            clinic=clinic, display_name=f"Bench patient {number}"
        )
        procedure = services.create_procedure(
            patient=patient,
            kind="diagnostic_mbb",
            levels="L4-L5",
            side="left",
            anesthetic="lidocaine",
            concentration_percent=Decimal("2"),
            volume_ml_per_level=Decimal("0.5"),
            steroid=False,
            performed_at=performed_at,
            baseline_pain=8,
        )
        _, token = services.enroll(code)
        seeded.append({"token": token, "procedure": procedure.pk})
    return seeded


def count_queries(client: Client, path: str, patient: dict) -> int:
    """SQL statements Django logs for one POST: BEGIN/COMMIT yes, the health check no."""
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            path,
            entry_payload(patient["procedure"]),
            content_type="application/json",
            headers={"authorization": f"Bearer {patient['token']}"},
        )
    if response.status_code != 201:
        raise SystemExit(f"POST {path} answered {response.status_code}: {response.content!r}")
    return len(captured)


def query_counts(patient: dict) -> dict:
    # The first entry of a patient answers the open 1-hour check-in; later ones find none.
    client = Client(SERVER_NAME="127.0.0.1")
    return {
        "noop": count_queries(client, NOOP_PATH, patient),
        "entry_answering_checkin": count_queries(client, ENTRIES_PATH, patient),
        "entry": count_queries(client, ENTRIES_PATH, patient),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", help="JSON file to write the patients and query counts to")
    parser.add_argument("--patients", type=int, default=50)
    args = parser.parse_args()
    patients = seed_patients(args.patients)
    result = {"patients": patients, "queries": query_counts(patients[0])}
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
