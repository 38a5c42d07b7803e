"""Set-up step of bench/checkin: bench/ingest's patients, their 2 h check-in open, a link each.

Run as ``python -m bench.checkin_seed OUT.json --patients N`` with DJANGO_SETTINGS_MODULE set.
Also counts the SQL statements of one web check-in (each of its requests) as Django logs
them, since the server's time is mostly the database's round trips.
"""

import argparse
import json
from datetime import UTC, datetime, timedelta

import django
import time_machine

django.setup()

from django.db import connection  # noqa: E402  (needs django.setup() first)
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.checkin_load import web_answers  # noqa: E402
from bench.seed import seed_patients  # noqa: E402
from diary import services  # noqa: E402
from diary.models import CheckIn  # noqa: E402

# bench/ingest's blocks were performed an hour before "now": seeding 63 minutes in the
# past leaves them performed 2 h 3 min ago, the 2 h check-in open (it closes at 2 h 30).
SEEDED_EARLIER = timedelta(minutes=63)
CHECKIN_KEY = "h2"


def seed(count: int) -> list[dict]:
    with time_machine.travel(datetime.now(UTC) - SEEDED_EARLIER, tick=True):
        patients = seed_patients(count)
    checkins = dict(
        CheckIn.objects.filter(
            procedure_id__in=[p["procedure"] for p in patients], key=CHECKIN_KEY
        ).values_list("procedure_id", "pk")
    )
    patient_ids = dict(
        CheckIn.objects.filter(pk__in=checkins.values()).values_list("pk", "procedure__patient_id")
    )
    # One INSERT for all the links, as the reminder sender mints them.
    targets = [(patient_ids[checkins[p["procedure"]]], checkins[p["procedure"]]) for p in patients]
    for patient, link, (_, checkin) in zip(
        patients, services.issue_links(targets), targets, strict=True
    ):
        patient.update(link=f"/c/{link}", checkin=checkin)
    return patients


def query_counts(patient: dict) -> dict:
    """Statements per request of one patient's check-in, then of their own page."""
    client = Client(SERVER_NAME="127.0.0.1", enforce_csrf_checks=True)
    counts = {}

    def request(kind, method, path, expected, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, **kwargs)
        if response.status_code != expected:
            raise SystemExit(f"{method} {path} answered {response.status_code}, not {expected}")
        counts[kind] = len(captured)
        return response

    form_path = request("link", "get", patient["link"], 302)["Location"]
    form = request("form", "get", form_path, 200)
    sent = request("post", "post", form_path, 303, data=web_answers(form.content))
    request("answer", "get", sent["Location"], 200)
    # The check-in is answered now: the same link opens the patient's own page.
    request("home", "get", patient["link"], 200)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", help="JSON file to write the patients and query counts to")
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    patients = seed(args.patients)
    result = {
        "patients": patients,
        "queries": query_counts(patients[0]),
        # The runner re-opens the check-ins between rounds with plain SQL.
        "checkin_table": CheckIn._meta.db_table,
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
