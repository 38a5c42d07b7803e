"""A diary entry's audit row is written with it: one statement on PostgreSQL (the hot
path, bench/ingest), the ORM's INSERTs in one transaction elsewhere; the same rows either way."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import Action, AuditEvent
from backend import rows
from diary.models import CheckIn, CheckInStatus, DiaryEntry
from notifications.models import Alert

# Writes outside a test transaction: what a request really does, with no savepoint around it.
pytestmark = pytest.mark.django_db(transaction=True)


def _body(procedure, **answers):
    return {
        "client_id": str(uuid.uuid4()),
        "procedure": procedure.pk,
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 3,
        **answers,
    }


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_on_postgresql_a_routine_entry_and_its_audit_row_are_one_statement(
    requires_postgres, as_ana, anas_block
):
    with CaptureQueriesContext(connection) as captured:
        answer = as_ana.post("/api/v1/me/entries/", _body(anas_block), format="json")
    assert answer.status_code == 201
    (statement,) = [q["sql"] for q in captured.captured_queries if "INSERT" in q["sql"]]
    assert 'INSERT INTO "diary_diaryentry"' in statement
    assert 'INSERT INTO "audit_auditevent"' in statement
    # No BEGIN, SAVEPOINT or COMMIT of its own, no second INSERT, no check-in UPDATE.
    assert _writes(captured.captured_queries) == [statement]
    row = AuditEvent.objects.get(action=Action.CREATE, object_kind="diaryentry")
    assert row.object_ids == [answer.json()["id"]]
    assert row.patient_id_list == [anas_block.patient_id]
    assert row.via.startswith("POST /api/v1/me/entries/")
    assert row.actor_patient_id == anas_block.patient_id


def _stored(entry_id: int) -> dict:
    row = DiaryEntry.objects.filter(pk=entry_id).values().get()
    return {
        k: v for k, v in row.items() if k not in ("id", "client_id", "fingerprint", "received_at")
    }


def test_the_one_statement_stores_what_the_orm_would(
    requires_postgres, as_ana, anas_block, monkeypatch
):
    CheckIn.objects.filter(procedure=anas_block).delete()  # the first would answer one
    body = _body(anas_block, numbness="none", analgesic_taken=True, note="walked the dog")
    fast = as_ana.post("/api/v1/me/entries/", body, format="json").json()
    monkeypatch.setattr(rows, "supported", lambda: False)
    slow = as_ana.post(
        "/api/v1/me/entries/", {**body, "client_id": str(uuid.uuid4())}, format="json"
    ).json()
    assert _stored(fast["id"]) == _stored(slow["id"])
    fast_row, slow_row = AuditEvent.objects.filter(object_kind="diaryentry").order_by("id").values()
    same = ("action", "actor_kind", "actor_patient_id", "clinic_id", "patient_ids", "via")
    assert {k: fast_row[k] for k in same} == {k: slow_row[k] for k in same}
    assert (fast_row["object_ids"], slow_row["object_ids"]) == ([fast["id"]], [slow["id"]])
    assert DiaryEntry.objects.get(pk=fast["id"]).received_at is not None


def test_a_retry_writes_nothing_more_and_leaves_the_connection_usable(as_ana, anas_block):
    body = _body(anas_block)
    assert as_ana.post("/api/v1/me/entries/", body, format="json").status_code == 201
    retry = as_ana.post("/api/v1/me/entries/", body, format="json")
    assert retry.status_code == 200
    assert DiaryEntry.objects.count() == 1
    assert AuditEvent.objects.filter(object_kind="diaryentry", action=Action.CREATE).count() == 1
    other = as_ana.post("/api/v1/me/entries/", _body(anas_block), format="json")
    assert other.status_code == 201


def _window(checkin, status, *, opened: timedelta, closes: timedelta) -> None:
    """Open ``opened`` ago, due then, closing ``closes`` from now."""
    now = timezone.now()
    checkin.status, checkin.opens_at = status, now - opened
    checkin.due_at, checkin.closes_at = now - opened, now + closes
    checkin.save()


def test_the_entry_answers_its_check_in_in_the_same_write(as_ana, anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).order_by("due_at").first()
    _window(checkin, CheckInStatus.DUE, opened=timedelta(minutes=5), closes=timedelta(hours=1))
    body = {**_body(anas_block), "checkin": checkin.pk}
    assert as_ana.post("/api/v1/me/entries/", body, format="json").status_code == 201
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.ANSWERED
    assert checkin.answered_at is not None


def test_a_missed_check_in_is_not_answered_by_a_reading_taken_after_it_closed(as_ana, anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).order_by("due_at").first()
    _window(checkin, CheckInStatus.MISSED, opened=timedelta(hours=1), closes=-timedelta(minutes=30))
    late = {**_body(anas_block), "checkin": checkin.pk}
    assert as_ana.post("/api/v1/me/entries/", late, format="json").status_code == 201
    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.MISSED
    assert DiaryEntry.objects.get().checkin_id == checkin.pk


def test_an_entry_of_concern_is_triaged_in_the_transaction_that_stores_it(as_ana, anas_block):
    answer = as_ana.post(
        "/api/v1/me/entries/", _body(anas_block, bowel_bladder_change=True), format="json"
    )
    assert answer.status_code == 201
    assert answer.json()["advice"]["level"] == "emergency"
    entry = DiaryEntry.objects.get()
    assert Alert.objects.filter(patient=anas_block.patient).exists()
    assert AuditEvent.objects.get(object_kind="diaryentry").object_ids == [entry.pk]


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_the_entry_s_statements_are_prepared_once_per_connection(
    requires_postgres, as_ana, anas_block
):
    connection.close()  # a connection of its own: nothing prepared on it yet
    for _ in range(3):
        assert (
            as_ana.post("/api/v1/me/entries/", _body(anas_block), format="json").status_code == 201
        )
    prepared = _prepared_on_this_connection()
    # Two shapes: the first entry answers the block's open check-in, the others none.
    entry_statements = [s for s in prepared if 'INSERT INTO "diary_diaryentry"' in s]
    assert len(entry_statements) == len(set(entry_statements)) == 2
    assert len([s for s in prepared if "FROM diary_procedure p" in s]) == 1
    assert DiaryEntry.objects.count() == 3


def test_nothing_is_prepared_when_psycopg_may_not_or_connections_last_one_request(
    requires_postgres, as_ana, anas_block, monkeypatch
):
    options = {k: v for k, v in connection.settings_dict["OPTIONS"].items()}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {**options, "prepare_threshold": None})
    connection.close()  # PREPARED_HOT_STATEMENTS=false: Django's default, None
    assert not rows.prepares()
    assert as_ana.post("/api/v1/me/entries/", _body(anas_block), format="json").status_code == 201
    assert _prepared_on_this_connection() == []
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert not rows.prepares()
    connection.close()
