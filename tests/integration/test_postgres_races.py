"""Races and constraints on a real PostgreSQL: what two phones (or two staff) doing the same
thing at the same moment leave behind, and what the database itself refuses.

Each racer is a thread with its own database connection, released by a barrier so both
requests are in flight together; each closes its connection when done.
"""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from diary import services
from diary.models import (
    OPEN_CHECKIN_STATUSES,
    AccessToken,
    CheckIn,
    Device,
    DiaryEntry,
    Patient,
    Procedure,
)
from tests.factories import make_procedure, patient_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5  # each round is a fresh race; more rounds, more interleavings seen


def together(*calls, timeout=30):
    """Run each call in its own thread, all released at once; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as error:  # reported by the test, not lost in the thread
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a racer is stuck"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def phone(token=None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def wait_until_a_backend_waits_on_a_lock(deadline_seconds=10):
    """Poll PostgreSQL until another connection is blocked on a row lock.

    Not a wait for the clock: the test needs the other thread parked on the lock before it
    lets the lock go, and pg_stat_activity is where that state is visible.
    """
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)
    pytest.fail("the second thread never waited on the first one's lock")


# --- Two phones, one entry -----------------------------------------------------------------


def test_the_same_entry_sent_twice_at_once_is_stored_once(requires_postgres, ana, anas_block):
    token = patient_token(ana)
    for _ in range(ROUNDS):
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": anas_block.id,
            "recorded_at": timezone.now().isoformat(),
            "pain_score": 3,
        }

        def send(body=body):
            return phone(token).post("/api/v1/me/entries/", body, format="json")

        first, second = together(send, send)

        assert sorted([first.status_code, second.status_code]) == [200, 201]
        assert first.json()["id"] == second.json()["id"]
        assert DiaryEntry.objects.filter(patient=ana, client_id=body["client_id"]).count() == 1


def test_one_code_used_by_two_phones_at_once_enrols_exactly_one(requires_postgres, ana):
    for _ in range(ROUNDS):
        code, _ = services.issue_enrollment_code(ana)
        tokens_before = AccessToken.objects.filter(patient=ana).count()

        def enrol(code=code):
            return phone().post("/api/v1/enroll/", {"code": code}, format="json")

        first, second = together(enrol, enrol)

        assert sorted([first.status_code, second.status_code]) == [201, 400]
        refused = first if first.status_code == 400 else second
        assert list(refused.json()["fields"]) == ["code"]
        assert AccessToken.objects.filter(patient=ana).count() == tokens_before + 1
        # Enrolment is throttled per address; each round starts with a clean count.
        from django.core.cache import cache

        cache.clear()


def test_one_push_token_registered_by_two_phones_at_once_is_one_device(requires_postgres, ana, ben):
    ana_token, ben_token = patient_token(ana), patient_token(ben)
    for round_ in range(ROUNDS):
        body = {"platform": "fcm", "token": f"shared-push-token-{round_}"}

        def register(token, body=body):
            return lambda: phone(token).post("/api/v1/me/devices/", body, format="json")

        first, second = together(register(ana_token), register(ben_token))

        assert sorted([first.status_code, second.status_code]) == [200, 201]
        assert Device.objects.filter(token=body["token"]).count() == 1


# --- Two staff, one block ----------------------------------------------------------------------


def test_correcting_a_block_while_it_is_cancelled_leaves_it_cancelled(
    requires_postgres, ana, dr_cole, ravi
):
    # Two clinicians (cancelling and correcting blocks is a clinician's, issue 12's roles).
    cole, other = services.issue_staff_token(dr_cole), services.issue_staff_token(ravi)
    for _ in range(ROUNDS):
        block = make_procedure(ana, performed_at=timezone.now() - timedelta(hours=1))
        url = f"/api/v1/procedures/{block.id}/"
        later = (block.performed_at + timedelta(minutes=30)).isoformat()

        correction, cancel = together(
            lambda url=url, later=later: phone(cole).patch(
                url, {"performed_at": later}, format="json"
            ),
            lambda url=url: phone(other).post(f"{url}cancel/"),
        )

        assert cancel.status_code == 200
        assert correction.status_code in (200, 400)
        block.refresh_from_db()
        assert block.status == "cancelled"
        assert not block.checkins.filter(status__in=OPEN_CHECKIN_STATUSES).exists()


def test_a_time_zone_change_that_meets_a_cancel_does_not_reopen_the_block(requires_postgres, ana):
    """Nia cancels Ana's block while Dr Cole moves Ana to New York.

    Nia's cancel holds its locks until released; Dr Cole's change runs into them. Once Nia
    commits, the change must see the block as cancelled and plan nothing for it.
    """
    block = make_procedure(ana, performed_at=timezone.now() - timedelta(hours=1))
    cancelled, release = threading.Event(), threading.Event()
    errors = []

    def nia_cancels():
        try:
            with transaction.atomic():
                services.cancel_procedure(block)
                cancelled.set()
                release.wait(10)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def cole_moves_ana():
        try:
            services.update_patient(Patient.objects.get(pk=ana.pk), timezone="America/New_York")
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    nia = threading.Thread(target=nia_cancels)
    nia.start()
    assert cancelled.wait(10)
    cole = threading.Thread(target=cole_moves_ana)
    cole.start()
    try:
        wait_until_a_backend_waits_on_a_lock()
    finally:
        release.set()
        nia.join(10)
        cole.join(10)
    assert not errors
    assert Patient.objects.get(pk=ana.pk).timezone == "America/New_York"
    block.refresh_from_db()
    assert block.status == "cancelled"
    reopened = block.checkins.filter(status__in=OPEN_CHECKIN_STATUSES)
    assert list(reopened.values_list("key", flat=True)) == []


# --- The database's own rules --------------------------------------------------------------------


def refused_by_the_database(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


def test_the_database_refuses_impossible_entries(requires_postgres, ana, anas_block):
    entry, _ = services.record_entry(
        patient=ana,
        data={
            "client_id": uuid.uuid4(),
            "procedure": anas_block,
            "recorded_at": timezone.now(),
            "pain_score": 4,
        },
    )
    entries = DiaryEntry.objects.filter(pk=entry.pk)
    refused_by_the_database(entries, pain_score=11)
    refused_by_the_database(entries, reported_relief_percent=101)
    refused_by_the_database(entries, numbness="arm")
    entry.refresh_from_db()
    # Numbness was not asked: unknown (rules v2), and still unknown after the refused writes.
    assert (entry.pain_score, entry.reported_relief_percent, entry.numbness) == (4, None, None)


def test_the_database_refuses_impossible_statuses_and_windows(requires_postgres, ana, anas_block):
    checkins = CheckIn.objects.filter(procedure=anas_block, key="d1")
    refused_by_the_database(checkins, status="bogus")
    refused_by_the_database(checkins, closes_at=F("due_at"))
    refused_by_the_database(Patient.objects.filter(pk=ana.pk), status="deleted")
    procedures = Procedure.objects.filter(pk=anas_block.pk)
    refused_by_the_database(procedures, status="done")
    refused_by_the_database(procedures, baseline_pain=11)
    refused_by_the_database(procedures, side="middle")
    assert checkins.get().status == "upcoming"
    assert procedures.get().status == "performed"


def test_the_database_refuses_a_second_entry_with_the_same_client_id(
    requires_postgres, ana, anas_block
):
    data = {
        "client_id": uuid.uuid4(),
        "procedure": anas_block,
        "recorded_at": timezone.now(),
        "pain_score": 4,
        "fingerprint": "x",
    }
    DiaryEntry.objects.create(patient=ana, **data)
    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntry.objects.create(patient=ana, **{**data, "pain_score": 5})
    assert DiaryEntry.objects.filter(client_id=data["client_id"]).count() == 1
