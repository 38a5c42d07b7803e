"""A routine diary entry, its audit row and its check-in's answer in ONE statement.

Why: every entry is the hot path (bench/ingest). Through the ORM it costs a BEGIN, two
INSERTs compiled afresh each time (the entry's and its audit row's), the check-in's UPDATE
and a COMMIT. On PostgreSQL data-modifying CTEs do all of it in one statement, which is a
transaction of its own: the audit row is written with the entry or not at all, as the
audit trail requires, without a BEGIN/COMMIT round trip. The SQL is built once per
process from the models' own columns; values are prepared by each field, as the ORM's
INSERT compiler does, so what is stored is what ``Model.save`` would store.

SQLite has no data-modifying CTEs: there (and wherever ``backend.rows.supported`` says no)
the caller writes through the ORM in a transaction.
"""

import functools

from django.db import connection

from audit.models import AuditEvent
from backend import rows
from diary.models import OPEN_CHECKIN_STATUSES, CheckIn, CheckInStatus, DiaryEntry


@functools.cache
def _sql(answers_checkin: bool) -> str:
    quote = connection.ops.quote_name
    entry_fields, audit_fields = rows.insert_fields(DiaryEntry), _audit_fields()
    entry_pk = quote(DiaryEntry._meta.pk.column)
    placeholders = ", ".join(["%s"] * len(entry_fields))
    audit_values = ", ".join(["%s"] * len(audit_fields))
    checkin_update = ""
    if answers_checkin:
        statuses = ", ".join(["%s"] * len(OPEN_CHECKIN_STATUSES))
        # As _answer_checkin: an upcoming or due check-in is answered by any reading for
        # it; a missed one only by a reading taken inside its window.
        checkin_update = f""",
        answered AS (
            UPDATE {quote(CheckIn._meta.db_table)} SET status = %s, answered_at = %s
            WHERE id = %s AND (status IN ({statuses}) OR (status = %s AND closes_at > %s))
        )"""  # noqa: S608  (as below)
    entry_columns = rows.columns(DiaryEntry, fields=entry_fields)
    return f"""
        WITH entry AS (
            INSERT INTO {quote(DiaryEntry._meta.db_table)} ({entry_columns})
            VALUES ({placeholders}) RETURNING {entry_pk}
        ),
        audited AS (
            INSERT INTO {quote(AuditEvent._meta.db_table)}
                ({rows.columns(AuditEvent, fields=audit_fields)}, {quote("object_ids")})
            SELECT {audit_values}, jsonb_build_array(entry.{entry_pk}) FROM entry
        ){checkin_update}
        SELECT {entry_pk} FROM entry
    """  # noqa: S608  (names from the models, every value a parameter)


# object_ids is the new entry's id, which only the statement knows.
AUDIT_LEFT_OUT = ("object_ids",)


def _audit_fields() -> list:
    return rows.insert_fields(AuditEvent, leave_out=AUDIT_LEFT_OUT)


def insert(entry: DiaryEntry, audit_row: AuditEvent) -> None:
    """Write ``entry`` (unsaved) with ``audit_row`` (unsaved; its ``object_ids`` become the
    new entry's id) and, if the entry names a check-in, that check-in's answer. Raises
    ``IntegrityError`` as the ORM would (a repeated client_id), having written nothing."""
    params = rows.values(entry)
    params += rows.values(audit_row, leave_out=AUDIT_LEFT_OUT)
    answers_checkin = entry.checkin_id is not None
    if answers_checkin:
        at, missed = entry.recorded_at, CheckInStatus.MISSED
        params += [CheckInStatus.ANSWERED, at, entry.checkin_id, *OPEN_CHECKIN_STATUSES, missed, at]
    with rows.cursor() as cursor:
        cursor.execute(_sql(answers_checkin), params)
        (pk,) = cursor.fetchone()
    rows.saved(entry, pk)
    audit_row.object_ids = [pk]
