"""The database side of bench/dispatch, run inside the bench process (Django set up).

Planning a million check-ins, timing ticks with nothing due and with thousands due,
making reminders due at a chosen moment, and reading back what the worker did.
"""

import cProfile
import math
import secrets
import statistics
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import services as diary
from diary.models import CheckIn, Patient, Protocol
from notifications import services
from notifications.models import Purpose

# FCM registration tokens are about 160 characters; the bench's are as long.
TOKEN_CHARS = 160


# --- Planning -------------------------------------------------------------------------


def create_patients(count: int) -> list[int]:
    """A clinic and ``count`` patients, each with an FCM device, through the services."""
    clinic, _ = diary.create_clinic(
        name="Bench dispatch clinic",
        timezone_name="Europe/London",
        username="bench-dispatch-admin",
        password=uuid.uuid4().hex,
    )
    ids = []
    for number in range(count):
        patient, _, _ = diary.create_patient(clinic=clinic, display_name=f"Patient {number}")
        token = f"bench-{number:06d}-" + secrets.token_urlsafe(TOKEN_CHARS)[: TOKEN_CHARS - 13]
        diary.register_device(patient=patient, platform="fcm", token=token)
        ids.append(patient.pk)
    diary.install_default_protocol()
    return ids


def give_phones(push: str) -> None:
    """Every patient's phone an Android one (``fcm``), an iPhone (``apns``), or (``both``)
    an iPhone for even patient ids and an Android phone for odd ones: about half each of
    any random set of due check-ins. The token stays; only the platform it is sent by moves."""
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE diary_device SET platform = CASE
                 WHEN %(push)s = 'both' THEN CASE WHEN patient_id %% 2 = 0
                                               THEN 'apns' ELSE 'fcm' END
                 ELSE %(push)s END""",
            {"push": push},
        )


def plan_through_services(patient_ids: list[int]) -> int:
    """One planned block per patient, its check-ins planned by ``create_procedure``.

    Performed from tomorrow on, a few minutes apart: every check-in is upcoming and its
    reminder at least a day away.
    """
    start = timezone.now() + timedelta(days=1)
    for number, patient in enumerate(Patient.objects.filter(pk__in=patient_ids)):
        diary.create_procedure(
            patient=patient,
            kind="diagnostic_mbb",
            levels="L4-L5",
            side="left",
            anesthetic="lidocaine",
            concentration_percent=Decimal("2"),
            volume_ml_per_level=Decimal("0.5"),
            steroid=False,
            performed_at=start + timedelta(minutes=3 * number),
            baseline_pain=7,
        )
    return CheckIn.objects.count()


PROCEDURES_SQL = """
    INSERT INTO diary_procedure (
        patient_id, protocol_id, kind, levels, side, anesthetic, concentration_percent,
        volume_ml_per_level, steroid, performed_at, baseline_pain, status, created_at, updated_at,
        baseline_disability_scale, usual_painful_activity
    )
    SELECT
        (%(patients)s::bigint[])[1 + g %% %(patient_count)s], %(protocol)s, 'diagnostic_mbb',
        'L4-L5', 'left', 'lidocaine', 2, 0.5, false,
        -- from the day after tomorrow, over 60 days, between 08:00 and 18:00 UTC
        date_trunc('day', now()) + interval '2 days' + (g %% 60) * interval '1 day'
            + interval '8 hours' + ((g * 7919) %% 600) * interval '1 minute',
        7, 'planned', now(), now(), '', ''
    FROM generate_series(1, %(count)s) AS g
"""

# Each block gets the default protocol's check-ins: minute-level ones at fixed offsets,
# day-level ones at 10:00 UTC; reminders at due_at, re-reminders halfway through.
CHECKINS_SQL = """
    INSERT INTO diary_checkin (
        procedure_id, key, kind, due_at, closes_at, status, label, remind_at, rereminder_at,
        plan_version, follow_up, opens_at
    )
    SELECT p.id, s.key, s.kind, d.due_at, d.due_at + s.window_minutes * interval '1 minute',
           'upcoming', s.label, d.due_at, d.due_at + s.window_minutes * interval '30 seconds', 1,
           false, d.due_at - coalesce(s.opens_before_minutes, 0) * interval '1 minute'
    FROM diary_procedure p
    CROSS JOIN diary_protocolstep s
    CROSS JOIN LATERAL (
        SELECT CASE WHEN s.kind = 'after_block'
                    THEN p.performed_at + s.offset_minutes * interval '1 minute'
                    ELSE date_trunc('day', p.performed_at) + s.day * interval '1 day'
                         + interval '10 hours'
               END AS due_at
    ) d
    WHERE p.id > %(after)s AND s.protocol_id = %(protocol)s AND NOT s.steroid_only
    LIMIT %(count)s
"""


def plan_with_sql(total: int, patient_ids: list[int]) -> int:
    """Top the check-ins up to ``total`` with set-based INSERT … SELECT; returns the count."""
    missing = total - CheckIn.objects.count()
    if missing <= 0:
        return CheckIn.objects.count()
    protocol = Protocol.objects.get(is_default=True)
    steps = protocol.steps.filter(steroid_only=False).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM diary_procedure")
        (after,) = cursor.fetchone()
        cursor.execute(
            PROCEDURES_SQL,
            {
                "patients": patient_ids,
                "patient_count": len(patient_ids),
                "protocol": protocol.pk,
                "count": math.ceil(missing / steps),
            },
        )
        cursor.execute(CHECKINS_SQL, {"after": after, "protocol": protocol.pk, "count": missing})
        cursor.execute("ANALYZE diary_procedure, diary_checkin, diary_patient, diary_device")
    return CheckIn.objects.count()


def checkin_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM diary_checkin GROUP BY status")
        return dict(cursor.fetchall())


def table_size_mb() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('diary_checkin')")
        return cursor.fetchone()[0] / 1e6


# --- Which database the bench process talks to ----------------------------------------------


def use_database(name: str) -> None:
    """Point Django's default connection at another database (same schema)."""
    conn = connections["default"]
    conn.close()
    conn.settings_dict["NAME"] = name


# --- Timing ticks ---------------------------------------------------------------------------


@dataclass
class QueryClock:
    """SQL statements and the time spent waiting on them, as Django issues them."""

    count: int = 0
    seconds: float = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


@dataclass
class Timings:
    """Repeated calls of one function: wall time per call, SQL per call."""

    label: str
    seconds: list[float] = field(default_factory=list)
    queries: int = 0
    query_seconds: float = 0.0

    def add(self, other: "Timings") -> None:
        self.seconds += other.seconds
        self.queries += other.queries
        self.query_seconds += other.query_seconds

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.seconds)
        index = min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))
        return ordered[index] * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def queries_per_call(self) -> float:
        return self.queries / max(1, len(self.seconds))

    @property
    def sql_ms_per_call(self) -> float:
        return self.query_seconds / max(1, len(self.seconds)) * 1000


def empty_tick():
    return services.tick()


def empty_dispatch():
    return services.dispatch_reminders(timezone.now(), Purpose.REMINDER)


def time_calls(label: str, function, repeats: int, warmup: int = 5) -> Timings:
    for _ in range(warmup):
        function()
    timings = Timings(label)
    clock = QueryClock()
    with connection.execute_wrapper(clock):
        for _ in range(repeats):
            started = time.perf_counter()
            result = function()
            timings.seconds.append(time.perf_counter() - started)
            if result and (not isinstance(result, dict) or any(result.values())):
                raise RuntimeError(f"{label}: something was due after all: {result}")
    timings.queries, timings.query_seconds = clock.count, clock.seconds
    return timings


# --- EXPLAIN of what an empty tick runs --------------------------------------------------------


@dataclass
class Explained:
    sql: str
    execution_ms: float
    buffers: int
    scans: list[str]


def explain_tick() -> list[Explained]:
    """EXPLAIN ANALYZE every statement one tick with nothing due sends (rolled back)."""
    with CaptureQueriesContext(connection) as captured:
        services.tick()
    explained = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
            continue  # BEGIN, COMMIT, SAVEPOINT…
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]
            transaction.set_rollback(True)
        explained.append(
            Explained(
                sql=sql,
                execution_ms=plan["Execution Time"],
                buffers=_buffers(plan["Plan"]),
                scans=list(_scans(plan["Plan"])),
            )
        )
    return explained


def _buffers(node: dict) -> int:
    return node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)


def _scans(node: dict):
    if "Relation Name" in node:
        index = f" using {node['Index Name']}" if "Index Name" in node else ""
        yield f"{node['Node Type']} on {node['Relation Name']}{index}"
    for child in node.get("Plans", []):
        yield from _scans(child)


# --- Making reminders due -------------------------------------------------------------------

MAKE_DUE_SQL = """
    UPDATE diary_checkin SET
        due_at = %(at)s, remind_at = %(at)s,
        rereminder_at = %(at)s + interval '1 hour', closes_at = %(at)s + interval '2 hours',
        -- a day-level check-in opens at the start of its day: never after it is due
        opens_at = CASE WHEN opens_at > %(at)s THEN %(at)s ELSE opens_at END
    WHERE id IN (
        SELECT c.id FROM diary_checkin c
        WHERE c.status = 'upcoming' AND c.remind_at > now() + interval '20 hours'
          AND (%(patients)s::bigint[] IS NULL OR c.procedure_id IN (
               SELECT id FROM diary_procedure WHERE patient_id = ANY(%(patients)s::bigint[])))
        ORDER BY random() LIMIT %(count)s
    )
    RETURNING id, plan_version
"""


def make_due(count: int, at: datetime, patient_ids: list[int] | None = None) -> dict[int, int]:
    """``count`` random upcoming check-ins (of ``patient_ids`` only, if given) now fall due
    at ``at`` (window 2 h, re-reminder in 1 h: neither comes up during the bench). Returns
    {check-in id: plan_version}."""
    with connection.cursor() as cursor:
        cursor.execute(MAKE_DUE_SQL, {"at": at, "count": count, "patients": patient_ids})
        return dict(cursor.fetchall())


def expected_collapse_ids(due: dict[int, int]) -> set[str]:
    return {f"checkin-{pk}-{version}-{Purpose.REMINDER}" for pk, version in due.items()}


@contextmanager
def timed_enqueue(into: list):
    """Time ``services.enqueue`` (the publishing to Redis after commit), and count its tasks."""
    original = services.enqueue

    def timed(deliveries):
        started = time.perf_counter()
        try:
            return original(deliveries)
        finally:
            into.append((time.perf_counter() - started, len(deliveries)))

    services.enqueue = timed
    try:
        yield
    finally:
        services.enqueue = original


@dataclass
class DueTick:
    due: int
    reminded: int
    seconds: float
    queries: int
    sql_seconds: float
    enqueue_seconds: float
    deliveries: int


def time_due_tick(count: int, lead_s: float) -> DueTick:
    """Make ``count`` reminders due ``lead_s`` from now, time the one tick that claims them,
    then delete the deliveries it planned (their tasks went to a queue no worker reads)."""
    due = make_due(count, timezone.now() + timedelta(seconds=lead_s))
    enqueues: list = []
    clock = QueryClock()
    with timed_enqueue(enqueues), connection.execute_wrapper(clock):
        started = time.perf_counter()
        result = services.tick()
        seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_delivery WHERE checkin_id = ANY(%s)", [list(due)])
        deliveries = cursor.rowcount
    return DueTick(
        due=len(due),
        reminded=result["reminded"],
        seconds=seconds,
        queries=clock.count,
        sql_seconds=clock.seconds,
        enqueue_seconds=sum(s for s, _ in enqueues),
        deliveries=deliveries,
    )


# --- What the worker did ----------------------------------------------------------------------


def delivery_stats(due: dict[int, int]) -> dict:
    """Deliveries and attempts of the check-ins made due, as the database has them."""
    ids = list(due)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT status, count(*), coalesce(sum(attempts), 0)
               FROM notifications_delivery WHERE checkin_id = ANY(%s) GROUP BY status""",
            [ids],
        )
        statuses = {status: (rows, attempts) for status, rows, attempts in cursor.fetchall()}
        cursor.execute(
            """SELECT count(*) FROM notifications_deliveryattempt a
               JOIN notifications_delivery d ON d.id = a.delivery_id
               WHERE d.checkin_id = ANY(%s)""",
            [ids],
        )
        (attempt_rows,) = cursor.fetchone()
        cursor.execute(
            """SELECT count(*) FROM (SELECT checkin_id FROM notifications_delivery
               WHERE checkin_id = ANY(%s) GROUP BY checkin_id HAVING count(*) > 1) x""",
            [ids],
        )
        (multi,) = cursor.fetchone()
        cursor.execute(
            """SELECT min(reminded_at), max(reminded_at), count(reminded_at)
               FROM diary_checkin WHERE id = ANY(%s)""",
            [ids],
        )
        first_claim, last_claim, claimed = cursor.fetchone()
    return {
        "deliveries": sum(rows for rows, _ in statuses.values()),
        "by_status": {status: rows for status, (rows, _) in statuses.items()},
        "attempts": sum(attempts for _, attempts in statuses.values()),
        "attempt_rows": attempt_rows,
        "checkins_with_several_deliveries": multi,
        "claimed": claimed,
        "first_claim": first_claim,
        "last_claim": last_claim,
    }


# --- Sending without Celery ---------------------------------------------------------------------


@dataclass
class InProcessSends:
    """The send task's body run in the bench process: a reminder's cost without Celery."""

    reminders: int
    outcomes: dict
    seconds: float
    cpu: dict  # name -> CPU seconds: app (this process), database, receiver
    queries: int


def time_sends_in_process(
    count: int, batch: int, cpu_seconds, profile_to: Path | None = None
) -> InProcessSends:
    """Make ``count`` reminders due now, plan them with a tick, then run the send task's
    function on them here, ``batch`` ids per call, as a worker child would.

    ``cpu_seconds()`` gives CPU seconds so far of this process's PostgreSQL backend and of
    the receiver. The tick's enqueued tasks go to a queue no worker reads. With
    ``profile_to``, the sends run under cProfile and its stats are written there (the
    timings then include cProfile's own overhead: compare them only with each other).
    """
    from notifications.models import Delivery
    from notifications.tasks import send_deliveries

    due = make_due(count, timezone.now())
    services.tick()
    ids = list(
        Delivery.objects.filter(checkin_id__in=list(due), status="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    outcomes: dict[str, int] = {}
    clock = QueryClock()
    before, cpu_before = cpu_seconds(), time.process_time()
    started = time.perf_counter()
    profiler = cProfile.Profile() if profile_to else None
    with connection.execute_wrapper(clock):
        if profiler:
            profiler.enable()
        for start in range(0, len(ids), batch):
            for outcome, n in (send_deliveries(ids[start : start + batch]) or {}).items():
                outcomes[outcome] = outcomes.get(outcome, 0) + n
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile_to)
    seconds = time.perf_counter() - started
    after = cpu_seconds()
    used = {name: after[name] - before[name] for name in after}
    used["app"] = time.process_time() - cpu_before
    return InProcessSends(len(ids), outcomes, seconds, used, clock.count)
