"""Alert pages on the embedded default: SQLite and Celery's filesystem broker, under load.

``python -m bench.fs_pages [--clients 20] [--rate 20] [--alerts 60] [--pause-ms 500]
[--polling 1,0.1]``: for each polling interval (``FILESYSTEM_POLLING_SECONDS``), a fresh
SQLite database and broker folder, the processes of the Procfile (gunicorn for the web
process, the main worker, the alerts worker, beat), ``--clients`` processes posting routine
entries at ``--rate`` a second in all, and red flags posted one at a time; each page is
timed from the red flag's answer to its ``alert.triggered`` at the clinic's webhook (a
receiver in this process). Talks only to 127.0.0.1; needs no server. Exit status 1 if an
alert was paged twice or never, or p99 missed the goal at the last interval.
"""

import argparse
import math
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bench import alert_runner as alerts
from bench import dispatch_runner as processes
from bench import runner as ingest
from bench.alert_receiver import TRIGGERED, Receiver
from bench.alert_report import flag_latencies_s

GOAL_P99_S = 2.0
# Each red flag comes from a patient of its own; the routine load from the rest.
LOAD_PATIENTS = 60


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.fs_pages", description=__doc__)
    parser.add_argument("--clients", type=int, default=20, help="background client processes")
    parser.add_argument("--rate", type=float, default=20, help="background entries per second")
    parser.add_argument("--alerts", type=int, default=60, help="red flags per interval")
    parser.add_argument("--pause-ms", type=float, default=500, help="pause after each answer")
    parser.add_argument(
        "--polling",
        default="1,0.1",
        help="FILESYSTEM_POLLING_SECONDS values, comma-separated (1 is kombu's default)",
    )
    parser.add_argument("--max-wait", type=float, default=60, help="seconds to wait for pages")
    return parser.parse_args(argv)


def embedded_env(workdir: Path, polling: float) -> dict:
    """``make run``'s settings (no DATABASE_URL, no REDIS_URL), in a folder of its own."""
    env = alerts.bench_env("unused", workdir)
    env.pop("DATABASE_URL")
    env.pop("REDIS_URL")
    # High enough never to refuse: the pages are measured, not the throttle's 429s.
    env.update(FILESYSTEM_POLLING_SECONDS=str(polling), THROTTLE_PATIENT="1000000/min")
    return env


def start_procfile(env: dict, workdir: Path, port: int) -> list:
    """The Procfile's processes (gunicorn standing in for runserver), started and ready."""
    started = [ingest.start_gunicorn(env, port, 3, workdir / "web.log")]
    ingest.wait_until_ready(started[0], port, workdir / "web.log")
    for name, concurrency, queue in (
        ("worker", 2, env["CELERY_QUEUE"]),
        ("alerts", 1, env["CELERY_ALERT_QUEUE"]),
    ):
        command = [*processes.worker_command(concurrency), "--queues", queue]
        log = workdir / f"{name}.log"
        started.append(processes.start(command, env, log))
        alerts.wait_until_ready(started[-1], log)
    started.append(alerts.start_beat(env, workdir))
    return started


def measure(args, polling: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-fs-pages-") as folder:
        workdir = Path(folder)
        env = embedded_env(workdir, polling)
        with Receiver(secrets.token_hex(16)) as receiver:
            ingest.run_python(["manage.py", "migrate", "--noinput"], alerts.quiet(env))
            seeded = alerts.seed(env, args.alerts + LOAD_PATIENTS, receiver, workdir)
            patients = seeded["patients"]
            port = ingest.free_port()
            started = start_procfile(env, workdir, port)
            load = None
            try:
                # Routine entries come from the load's patients, red flags from the others.
                red, routine = patients[: args.alerts], patients[args.alerts :]
                seconds = args.alerts * (args.pause_ms / 1000 + 0.2) + args.max_wait
                load, _ = alerts.start_load(port, routine, _load_args(args), workdir, seconds)
                time.sleep(alerts.LOAD_LEAD_S)
                run = alerts.Pass(name=f"polling {polling:g} s", background=True)
                alerts.post_red_flags(run, port, red, args.pause_ms / 1000)
                receiver.wait_for(run.alert_ids, args.max_wait)
            finally:
                for process in [load, *reversed(started[1:])]:
                    processes.stop(process)
                ingest.stop(started[0])  # gunicorn: not a process group of its own
            first, triggered = {}, {}
            for arrival in receiver.arrivals():
                if arrival.event == TRIGGERED and arrival.alert_id is not None:
                    first.setdefault(arrival.alert_id, arrival.at)
                    triggered[arrival.alert_id] = triggered.get(arrival.alert_id, 0) + 1
    late = flag_latencies_s(run.flags, first)
    return {
        "polling": polling,
        "flags": len(run.flags),
        "errors": sum(1 for f in run.flags if f.error),
        "missing": sum(1 for value in late if value == math.inf),
        "twice": sum(1 for count in triggered.values() if count > 1),
        "p50": _quantile(late, 0.5),
        "p99": _quantile(late, 0.99),
        "max": late[-1] if late else math.nan,
    }


def _load_args(args):
    return argparse.Namespace(rate=args.rate, load_processes=args.clients)


def _quantile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sys.stdout.reconfigure(line_buffering=True)
    rows = []
    for polling in (float(value) for value in args.polling.split(",")):
        print(f"==> polling interval {polling:g} s: {args.clients} clients, {args.rate:g}/s")
        rows.append(measure(args, polling))
    print()
    print("| polling s | red flags | POST errors | missing | paged twice | p50 s | p99 s | max s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['polling']:g} | {row['flags']} | {row['errors']} | {row['missing']} | "
            f"{row['twice']} | {row['p50']:.2f} | {row['p99']:.2f} | {row['max']:.2f} |"
        )
    last = rows[-1]
    ok = all(not r["missing"] and not r["twice"] for r in rows) and last["p99"] < GOAL_P99_S
    print(f"\nGoal: pages p99 < {GOAL_P99_S:g} s at the last interval: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
