"""The burst passes of bench/alert_latency: red flags raised while a burst of reminders drains.

Daily check-ins fall at each patient's check-in time (10:00 local unless changed), so every
morning a clinic's reminders become due at one moment. A burst pass makes ``--burst``
reminders to FCM devices due at one moment T0, planned as bench/dispatch plans them
(``bench.dispatch_plan``, with Django set up in this process), and its FCM stand-in
(``bench.dispatch_receiver``) takes the pushes. From just after T0, while the burst drains,
red flags are posted on a fixed timetable, and their pages are timed as in the other passes.

The workers run as production runs them ("exclusive"): the main worker (prefork, the
default queue alone), the ``alerts`` worker (prefork, concurrency 1, the alert queue alone,
as in the Procfile) and one beat, all with FCM configured. For comparison, the same pass runs
with the main worker also on the alert queue as a backup ("with": how it ran before
bench/alert_latency showed that worker holding an alert through the burst), or without the
alerts worker ("without": the main worker serves both queues alone).
"""

import math
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench import alert_report as report
from bench import alert_runner as runner
from bench import dispatch_receiver as fcm
from bench import dispatch_runner as processes
from bench import runner as ingest
from bench.alert_worker_log import read_worker_log

# Untimed red flags before T0 in each burst pass, so that each worker's first send (its
# database connection, its webhook session) is behind it, as in a worker long up.
WARMUP = 3
WARMUP_PAUSE_S = 0.15
# T0 is a tick and this long after the workers and beat are up, as in bench/dispatch: a tick
# claims the reminders ahead of T0 (look-ahead) and they become ready together at T0.
T0_LEAD_S = 8.0
# The first red flag is posted this long after T0.
FLAGS_AFTER_T0_S = 0.1
# Check-ins planned for the bursts: this many times what they make due (make_due draws at
# random among them).
PLAN_MARGIN = 1.25
# The bench waits for the burst up to 10 s + burst ÷ this after T0 (a fifth of what one
# worker delivers on a quiet machine); anything later counts as missing.
DRAIN_FLOOR_PER_S = 500
# Time of a burst pass besides the tick, T0_LEAD_S and the waits: workers and beat up,
# warm-up, settling, workers down. And of the set-up: patients and check-ins.
PASS_OVERHEAD_S = 20
SETUP_S = 30


@dataclass(frozen=True)
class Setup:
    """The workers of a burst pass."""

    name: str  # as --alerts-worker says it
    label: str  # in the pass's name
    workers: str  # what runs
    alerts_worker: bool  # the alerts worker runs, on the alert queue
    main_takes_alerts: bool  # the main worker consumes the alert queue too


SETUPS = {
    "with": Setup(
        "with",
        "alerts worker, main worker as backup",
        "main worker (both queues) + alerts worker",
        alerts_worker=True,
        main_takes_alerts=True,
    ),
    "without": Setup(
        "without",
        "no alerts worker",
        "main worker (both queues) only",
        alerts_worker=False,
        main_takes_alerts=True,
    ),
    "exclusive": Setup(
        "exclusive",
        "as production: alert queue to the alerts worker alone",
        "main worker (default queue only) + alerts worker",
        alerts_worker=True,
        main_takes_alerts=False,
    ),
}


def drain_wait_s(burst: int) -> float:
    return 10 + burst / DRAIN_FLOOR_PER_S


def budget_s(args) -> float:
    """At most how long the burst passes take, for the run's budget."""
    if not args.bursts:
        return 0.0
    tick = float(os.environ.get("CHECKIN_TICK_SECONDS", 15))
    flags_s = FLAGS_AFTER_T0_S + args.burst_alerts * (args.burst_every_ms / 1000 + 0.05)
    waits = max(drain_wait_s(args.burst), flags_s + args.max_wait)
    return SETUP_S + len(args.bursts) * (PASS_OVERHEAD_S + tick + T0_LEAD_S + waits)


@dataclass
class Context:
    args: object
    bench: runner.Bench
    env: dict
    workdir: Path
    port: int  # gunicorn
    seeded: dict


@dataclass
class Burst:
    """One burst pass: its reminders, and the red flags posted while they drained."""

    setup: Setup
    size: int
    warmup: runner.Pass
    flags: runner.Pass
    t0: float = 0.0  # time.time() of the moment the reminders fell due
    delivery: processes.DeliveryRun | None = None
    alerts_worker_sends: int = 0  # send tasks the alerts worker ran while the flags were timed
    # When the main worker took send tasks from Redis after T0, in s after T0: the burst's own
    # were all taken before T0 (countdown), so these are the alerts' (and any hand-on batch).
    main_received_after_t0: list[float] = field(default_factory=list)
    errors_in_logs: int = 0  # ERROR lines and tracebacks in the workers' logs
    planning: dict = field(default_factory=dict)

    @property
    def workers(self) -> str:
        return self.setup.workers

    @property
    def alerts_worker(self) -> bool:
        return self.setup.alerts_worker

    @property
    def drained_s(self) -> float:
        """From T0 to the last reminder's arrival (inf if some never arrived)."""
        late = self.delivery.late_s if self.delivery else []
        return late[-1] if late else math.nan

    def during_drain(self) -> list:
        """The red flags answered before the burst's last reminder arrived."""
        end = self.t0 + self.drained_s
        return [flag for flag in self.flags.flags if flag.answered_at < end]


def start_django(env: dict):
    """Django in this process, on the bench's database, for bench.dispatch_plan."""
    os.environ.update(env)
    for name in runner.CHANNEL_ENV:  # this process sends nothing
        os.environ.pop(name, None)
    os.environ["LOG_LEVEL"] = "ERROR"
    import django

    django.setup()
    from bench import dispatch_plan

    return dispatch_plan


def plan_bursts(plan, context: Context) -> dict:
    """Patients with an FCM device and enough upcoming check-ins for every burst pass."""
    from django.utils import timezone

    from diary.models import CheckIn

    args = context.args
    began = time.perf_counter()
    patient_ids = plan.create_patients(args.burst_patients)
    # make_due draws from every upcoming check-in whose reminder is over 20 h away. The
    # red-flag patients have no device: their reminders from an hour on are withheld
    # (remind_at empty, as for a check-in without a reminder), so that every reminder drawn
    # goes to a device. None of them could have come up during the run.
    withheld = CheckIn.objects.filter(
        procedure__patient__clinic_id=context.seeded["clinic"],
        remind_at__gt=timezone.now() + timedelta(hours=1),
    ).update(remind_at=None, rereminder_at=None)
    before = CheckIn.objects.count()
    wanted = before + math.ceil(len(args.bursts) * args.burst * PLAN_MARGIN)
    total = plan.plan_with_sql(wanted, patient_ids)
    return {
        "patients": len(patient_ids),
        "checkins": total - before,
        "withheld": withheld,
        "seconds": time.perf_counter() - began,
    }


def run_bursts(context: Context, patients: list) -> list[Burst]:
    """Each burst pass asked for, one after the other; ``patients`` for their red flags."""
    args, bench = context.args, context.bench
    plan = start_django(context.env)
    print(
        f"burst set-up: {args.burst_patients:,} patients with an FCM device, check-ins for "
        f"{len(args.bursts)} bursts of {args.burst:,}"
    )
    planning = plan_bursts(plan, context)
    print(f"  {planning['checkins']:,} check-ins planned in {planning['seconds']:.1f} s")
    fcm_port = ingest.free_port()
    bench.fcm = processes.start_receiver(fcm_port, context.env, context.workdir / "fcm.log")
    bursts = []
    share = WARMUP + args.burst_alerts
    for number, name in enumerate(args.bursts):
        mine = patients[number * share : (number + 1) * share]
        setup = SETUPS[name]
        burst = Burst(
            setup,
            args.burst,
            warmup=runner.Pass(f"burst warm-up, {setup.label}", background=False, warmup=True),
            flags=runner.Pass(f"burst, {setup.label}", background=False),
            planning=planning,
        )
        burst.flags.burst = burst
        print(
            f"pass {3 + number}: {args.burst_alerts} red flags every {args.burst_every_ms:g} ms "
            f"from T0, while {args.burst:,} reminders drain; {burst.workers}"
        )
        run_burst(burst, context, plan, fcm_port, mine[:WARMUP], mine[WARMUP:])
        report.progress(burst.flags, bench.receiver)
        delivery = burst.delivery
        print(
            f"  burst: {delivery.unique:,}/{delivery.due:,} delivered, {delivery.per_s:,.0f}/s, "
            f"the last {burst.drained_s:.1f} s after T0; {len(burst.during_drain())} red flags "
            "answered before it"
        )
        bursts.append(burst)
    processes.stop(bench.fcm)
    return bursts


def start_processes(burst: Burst, context: Context, env: dict, name: str) -> tuple[Path, Path]:
    """The main worker (both queues, or the default one alone), the alerts worker if the set-up
    has it, and a fresh beat."""
    args, bench, workdir = context.args, context.bench, context.workdir
    main_log, alerts_log = workdir / f"worker{name}.log", workdir / f"alerts-worker{name}.log"
    command = processes.worker_command(args.concurrency)
    queues = [env["CELERY_QUEUE"]]
    if burst.setup.main_takes_alerts:
        queues.append(env["CELERY_ALERT_QUEUE"])
    command += ["--queues", ",".join(queues)]
    bench.worker = processes.start(command, env, main_log)
    if burst.alerts_worker:
        # As the Procfile runs it: prefork, one child, the alert queue alone.
        command = [*processes.worker_command(1), "--queues", env["CELERY_ALERT_QUEUE"]]
        bench.alerts_worker = processes.start(command, env, alerts_log)
        runner.wait_until_ready(bench.alerts_worker, alerts_log)
    runner.wait_until_ready(bench.worker, main_log)
    bench.beat = runner.start_beat(env, workdir, name)
    return main_log, alerts_log


def stop_processes(bench: runner.Bench) -> None:
    processes.stop(bench.beat)
    processes.stop(bench.alerts_worker, grace_s=20)
    processes.stop(bench.worker, grace_s=20)
    bench.beat = bench.alerts_worker = bench.worker = None


def run_burst(burst: Burst, context: Context, plan, fcm_port: int, warm: list, flags: list):
    """Workers up, a few untimed red flags, ``--burst`` reminders due at T0 (a tick and
    T0_LEAD_S ahead), red flags on a timetable from just after T0; then wait for the burst and
    the pages, let the database settle, and read the workers' logs."""
    from django.utils import timezone

    args, bench = context.args, context.bench
    name = f"-burst-{burst.setup.name}"
    env = {
        **context.env,
        "FCM_BASE_URL": f"http://{runner.HOST}:{fcm_port}",
        "FCM_PROJECT_ID": processes.FCM_PROJECT,
        "FCM_ACCESS_TOKEN": "bench",
    }
    main_log, alerts_log = start_processes(burst, context, env, name)
    runner.run_pass(burst.warmup, context.port, warm, WARMUP_PAUSE_S, bench)

    tick_s = float(context.seeded["settings"]["CHECKIN_TICK_SECONDS"])
    t0 = timezone.now() + timedelta(seconds=tick_s + T0_LEAD_S)
    due = plan.make_due(args.burst, t0)
    expected = plan.expected_collapse_ids(due)
    burst.t0 = t0.timestamp()
    burst.delivery = delivery = processes.DeliveryRun(args.concurrency, tick_s, due=len(due))

    run = burst.flags
    time.sleep(max(0.0, burst.t0 - 1.0 - time.time()))
    window = bench.cpu_window()
    window.start()
    run.started_at = time.time()
    time.sleep(max(0.0, burst.t0 + FLAGS_AFTER_T0_S - time.time()))
    runner.post_red_flags(run, context.port, flags, every_s=args.burst_every_ms / 1000)
    deadline = burst.t0 + drain_wait_s(args.burst)
    while time.time() < deadline and fcm.count(fcm_port) < len(due):
        for worker in (bench.worker, bench.alerts_worker):
            if worker is not None and worker.poll() is not None:
                raise RuntimeError(f"a worker exited:\n{ingest.tail(main_log)}")
        time.sleep(0.25)
    bench.receiver.wait_for(run.alert_ids, bench.max_wait_s)
    time.sleep(1.0)  # a duplicate close behind the last one still counts
    run.ended_at = time.time()
    window.finish()
    run.machine_busy = window.machine_busy / max(1e-9, window.machine_total)
    run.other_share = window.other_share
    processes.summarise_arrivals(delivery, fcm.dump(fcm_port), expected, burst.t0)
    # The receiver answered before the worker recorded the sends: let it catch up.
    settle_by = time.monotonic() + 15
    delivery.db = plan.delivery_stats(due)
    while processes._unsettled(delivery.db) and time.monotonic() < settle_by:
        time.sleep(0.5)
        delivery.db = plan.delivery_stats(due)
    stop_processes(bench)  # their logs are complete after this
    processes.read_worker_log(delivery, main_log)
    burst.errors_in_logs = delivery.errors_in_log
    burst.main_received_after_t0 = [
        task.received - burst.t0
        for task in read_worker_log(main_log)
        if task.name == "send_deliveries"
        and task.received is not None
        and burst.t0 <= task.received <= run.ended_at
    ]
    if burst.alerts_worker:
        tasks = read_worker_log(alerts_log)
        burst.alerts_worker_sends = sum(
            1
            for task in tasks
            if task.name == "send_deliveries"
            and task.received is not None
            and run.started_at <= task.received <= run.ended_at
        )
        text = alerts_log.read_text(errors="replace")
        burst.errors_in_logs += sum(
            1 for line in text.splitlines() if " ERROR/" in line or "Traceback" in line
        )
