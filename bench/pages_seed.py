"""Set-up step of bench/pages: one clinic of N patients, 12 diary entries each.

Run as ``python -m bench.pages_seed OUT.json --patients N`` with DJANGO_SETTINGS_MODULE set.
Blocks go in through ``diary.services.create_procedure`` (so their check-ins are planned
as in production); patients, entries and alerts with ``bulk_create``, because the service
layer would triage every entry and page for every alert, minutes for 2,000 patients.

The mix, by patient number: 5 % had their block in the last 72 h, 1 % also have one booked
in the next 24 h, the rest had theirs 4 to 180 days ago. Of the recent blocks, one in three
has a live alert (two open for one acknowledged, one in four an emergency) and one in five
an alert resolved in the last 24 h. Also counts the SQL statements of one request to each
page, as Django sees them, and signs in a session and a token for the load.
"""

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import django

django.setup()

from django.db import connection, transaction  # noqa: E402  (needs django.setup() first)
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from diary import services, triage  # noqa: E402
from diary.models import CheckIn, CheckInStatus, DiaryEntry, Patient  # noqa: E402
from notifications.models import Alert, AlertState, OnCallShift  # noqa: E402

ENTRIES = 12
RECENT_EVERY = 20  # 5 % of patients
COMING_EVERY = 100  # 1 %
RULES = (triage.NUMBNESS_PERSISTING, triage.BOWEL_BLADDER, triage.WEAKNESS_WORSENING)


def block_time(number: int, now: datetime) -> datetime:
    if number % RECENT_EVERY == 0:
        # Spread over the 72 h, the newest an hour old (some check-ins still to come).
        return now - timedelta(hours=1 + (number // RECENT_EVERY * 7) % 71)
    return now - timedelta(days=4 + number % 177, hours=number % 9)


def create_blocks(clinic, admin, count: int, now: datetime) -> list:
    patients = Patient.objects.bulk_create(
        Patient(clinic=clinic, display_name=f"Patient {n:04d}", timezone=clinic.timezone)
        for n in range(count)
    )
    done = {}
    for number, patient in enumerate(patients):
        done[number] = services.create_procedure(
            patient=patient,
            proceduralist=admin,
            kind="diagnostic_mbb",
            levels="L4-L5,L5-S1",
            side="left" if number % 2 else "right",
            anesthetic="lidocaine" if number % 3 else "bupivacaine",
            concentration_percent=Decimal("2"),
            volume_ml_per_level=Decimal("0.5"),
            steroid=False,
            performed_at=block_time(number, now),
            baseline_pain=7 + number % 3,
        )
        if number % COMING_EVERY == 0:
            services.create_procedure(
                patient=patient,
                proceduralist=admin,
                kind="diagnostic_mbb",
                levels="L3-L4",
                side="bilateral",
                anesthetic="lidocaine",
                concentration_percent=Decimal("2"),
                volume_ml_per_level=Decimal("0.5"),
                steroid=False,
                performed_at=now + timedelta(hours=2 + number % 20),
                baseline_pain=8,
            )
    return [done[n] for n in range(count)]


def write_diaries(blocks: list, now: datetime) -> None:
    """Each block's first check-ins answered, up to 12 readings; the rest go missed."""
    due = {}
    for checkin in CheckIn.objects.filter(procedure__in=blocks, due_at__lte=now).order_by(
        "procedure_id", "due_at"
    ):
        due.setdefault(checkin.procedure_id, []).append(checkin)
    entries, answered = [], []
    for block in blocks:
        for index, checkin in enumerate(due.get(block.pk, [])[:ENTRIES]):
            relief = min(index, 4) * 2  # relief that builds over the first hour
            entries.append(
                DiaryEntry(
                    client_id=uuid.uuid4(),
                    patient_id=block.patient_id,
                    procedure=block,
                    checkin=checkin,
                    recorded_at=checkin.due_at + timedelta(minutes=2),
                    pain_score=max(0, block.baseline_pain - relief),
                    numbness="none",
                    weakness="none",
                    fingerprint="bench",
                )
            )
            answered.append(checkin.pk)
    DiaryEntry.objects.bulk_create(entries, batch_size=2000)
    CheckIn.objects.filter(pk__in=answered).update(status=CheckInStatus.ANSWERED)
    still_open = CheckIn.objects.filter(procedure__in=blocks).exclude(pk__in=answered)
    still_open.filter(closes_at__lte=now).update(status=CheckInStatus.MISSED)
    still_open.filter(due_at__lte=now, closes_at__gt=now).update(status=CheckInStatus.DUE)


def raise_alerts(clinic, admin, blocks: list, now: datetime) -> None:
    recent = [b for n, b in enumerate(blocks) if n % RECENT_EVERY == 0]
    alerts = []
    for number, block in enumerate(recent):
        if number % 3 == 0:
            state = AlertState.ACKNOWLEDGED if number % 9 == 6 else AlertState.OPEN
            alerts.append(_alert(clinic, block, number, state, admin, now))
        if number % 5 == 1:
            alerts.append(_alert(clinic, block, number, AlertState.RESOLVED, admin, now))
    Alert.objects.bulk_create(alerts)
    # created_at is auto_now_add: set the ages the board sorts by afterwards.
    for number, alert in enumerate(alerts):
        Alert.objects.filter(pk=alert.pk).update(created_at=now - timedelta(minutes=5 + number))
    OnCallShift.objects.create(
        clinic=clinic,
        user=admin,
        role="primary",
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(days=3),
    )


def _alert(clinic, block, number, state, admin, now) -> Alert:
    taken = state != AlertState.OPEN
    return Alert(
        clinic=clinic,
        patient_id=block.patient_id,
        procedure=block,
        rule=RULES[number % len(RULES)],
        severity="emergency" if number % 4 == 0 else "urgent",
        priority="high" if number % 7 == 0 else "normal",
        state=state,
        reason="Leg numbness or weakness persisting beyond the expected window",
        escalation_step=number % 3,
        acknowledged_at=now - timedelta(minutes=3) if taken else None,
        acknowledged_by=admin if taken else None,
        resolved_at=now - timedelta(hours=1) if state == AlertState.RESOLVED else None,
        resolved_by=admin if state == AlertState.RESOLVED else None,
        resolution_note="Called the patient." if state == AlertState.RESOLVED else "",
    )


def measure(client: Client, paths: dict[str, str], token: str) -> dict[str, dict]:
    """SQL statements and size of one request to each page, as Django sees them."""
    found = {}
    for name, path in paths.items():
        headers = {"authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        client.get(path, headers=headers)  # the session settles on the first request
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        found[name] = {"queries": len(captured), "bytes": len(response.content)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", help="JSON file to write the credentials and counts to")
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--paths", required=True, help="JSON object: page name to path")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with transaction.atomic():
        clinic, admin = services.create_clinic(
            name="Bench clinic",
            timezone_name="Europe/London",
            username="bench-admin",
            password=uuid.uuid4().hex,
        )
        blocks = create_blocks(clinic, admin, args.patients, now)
        write_diaries(blocks, now)
        raise_alerts(clinic, admin, blocks, now)
    # A database in use has its planner statistics; a fresh bulk load has none, and
    # PostgreSQL would plan every join as if each table held a row or two.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(admin)
    token = services.issue_staff_token(admin)
    live = Q(state__in=[AlertState.OPEN, AlertState.ACKNOWLEDGED])
    result = {
        "session": client.cookies["sessionid"].value,
        "token": token,
        "pages": measure(client, json.loads(args.paths), token),
        "seeded": {
            "entries": DiaryEntry.objects.count(),
            "recent_blocks": sum(1 for b in blocks if b.performed_at >= now - timedelta(hours=72)),
            "live_alerts": Alert.objects.filter(live).count(),
        },
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
