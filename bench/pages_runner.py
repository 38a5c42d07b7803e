"""bench/pages: how the staff pages and list endpoints grow with the clinic's size.

For each size: a fresh PostgreSQL database (``diary_scale_<patients>``), seeded by
``bench.pages_seed``, and a gunicorn on it. Then one client requests every page of every
size in turn, one request at a time (warm-up rounds first), so drift hits all alike.
Database, server and waiting come from ``bench.runner``; percentiles from
``bench.report``. Talks only to 127.0.0.1.

With ``--before DIR`` (an older checkout, e.g. ``git archive <commit> | tar -x -C DIR``)
each size's database is also served by a gunicorn running DIR's code, and its pages are
requested in the same rounds: before and after measured in one run, under the same load.
DIR must read the same schema (migrations are run by this checkout).
"""

import argparse
import contextlib
import http.client
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import runner
from bench.report import percentile_ms

PAGES = {
    "Today": "/dashboard/",
    "Alert board": "/dashboard/alerts/",
    "Board poll": "/dashboard/alerts/board/",
    "procedures list": "/api/v1/procedures/?page_size=50",
    "patients list": "/api/v1/patients/?page_size=50",
    "alerts list": "/api/v1/alerts/?page_size=50",
}
# Redis db 13 is the bench's own: other work uses 15 and the defaults.
REDIS_URL = f"redis://{runner.HOST}:6379/13"
WARMUP = 5
# Seeding 2,000 patients through create_procedure takes longer than runner's default.
SEED_TIMEOUT_S = 600


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/pages", description=__doc__)
    parser.add_argument("--sizes", default="100,2000", help="patients per clinic, comma-separated")
    parser.add_argument("--rounds", type=int, default=50, help="requests to each page per size")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--keep-db", action="store_true", help="leave the databases afterwards")
    parser.add_argument("--before", type=Path, help="also serve this older checkout's code")
    parser.add_argument(
        "--pages", default=",".join(PAGES), help="which pages to time, comma-separated names"
    )
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    args.pages = [name.strip() for name in args.pages.split(",")]
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}; known: {', '.join(PAGES)}")
    if args.before is not None and not (args.before / "manage.py").is_file():
        parser.error(f"--before {args.before}: not a checkout (no manage.py)")
    return args


def seed(env: dict, patients: int, workdir: Path) -> dict:
    out = workdir / f"seed-{patients}.json"
    command = [str(runner.VENV_BIN / "python"), "-m", "bench.pages_seed", str(out)]
    command += ["--patients", str(patients), "--paths", json.dumps(PAGES)]
    runner.subprocess.run(command, cwd=runner.ROOT, env=env, check=True, timeout=SEED_TIMEOUT_S)
    return json.loads(out.read_text(encoding="utf-8"))


def get(port: int, path: str, seeded: dict) -> tuple[float, int]:
    """One GET on a new connection (sync workers close it anyway): seconds and bytes."""
    headers = {"Cookie": f"sessionid={seeded['session']}"}
    if path.startswith("/api/"):
        headers = {"Authorization": f"Bearer {seeded['token']}"}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(runner.HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    return elapsed, len(body)


def serve_size(patients: int, args, workdir: Path, stack: contextlib.ExitStack) -> dict:
    """A seeded database and a gunicorn on it (two with --before), by label ("after",
    "before"); the stack stops and drops them."""
    database = f"diary_scale_{patients}"
    env = runner.bench_env(database, use_redis=True)
    env["REDIS_URL"] = REDIS_URL
    log = workdir / f"gunicorn-{patients}.log"
    print(f"database {database}: create, migrate, seed {patients} patients")
    runner.recreate_database(database)
    if not args.keep_db:
        stack.callback(runner.drop_database, database)
    runner.run_python(["manage.py", "migrate", "--noinput"], env)
    seeded = seed(env, patients, workdir)
    print(f"  seeded: {seeded['seeded']}")
    served = {"after": _serve(env, args.workers, log, runner.ROOT, stack)}
    if args.before is not None:
        before_env = {**env, "PYTHONPATH": str(args.before.resolve())}
        before_log = workdir / f"gunicorn-{patients}-before.log"
        served["before"] = _serve(before_env, args.workers, before_log, args.before, stack)
    return {label: {**server, "seeded": seeded} for label, server in served.items()}


def _serve(env: dict, workers: int, log: Path, root: Path, stack) -> dict:
    port = runner.free_port()
    server = runner.start_gunicorn(env, port, workers, log, root=root.resolve())
    stack.callback(runner.stop, server)
    runner.wait_until_ready(server, port, log)
    return {"port": port, "log": log}


def measure(servers: dict[tuple, dict], pages: list[str], rounds: int) -> dict[tuple, dict]:
    """Every page of every server in turn, round after round: drift (other work on the
    machine) hits all sizes (and before and after) alike, so their ratio holds even when
    the times move. ``servers`` are keyed by (label, patients)."""
    latencies = {key: {name: [] for name in pages} for key in servers}
    sizes = {key: {} for key in servers}
    for number in range(WARMUP + rounds):
        for name in pages:
            for key, server in servers.items():
                elapsed, sizes[key][name] = get(server["port"], PAGES[name], server["seeded"])
                if number >= WARMUP:
                    latencies[key][name].append(elapsed)
    return {
        key: {
            name: {
                "p50": percentile_ms(sorted(latencies[key][name]), 0.50),
                "p95": percentile_ms(sorted(latencies[key][name]), 0.95),
                "kb": sizes[key][name] / 1024,
                "queries": servers[key]["seeded"]["pages"][name]["queries"],
            }
            for name in pages
        }
        for key in servers
    }


def print_table(results: dict[tuple, dict], pages: list[str]) -> None:
    labels = sorted({label for label, _ in results}, key=["before", "after"].index)
    sizes = sorted({size for _, size in results})
    print()
    print("| page | code | patients | p50 ms | p95 ms | KB | queries | p50 vs smallest |")
    print("|------|------|---------:|-------:|-------:|---:|--------:|----------------:|")
    for name in pages:
        for label in labels:
            base = results[(label, sizes[0])][name]["p50"]
            for size in sizes:
                row = results[(label, size)][name]
                print(
                    f"| {name} | {label} | {size} | {row['p50']:.1f} | {row['p95']:.1f} "
                    f"| {row['kb']:.1f} | {row['queries']} | {row['p50'] / base:.2f}x |"
                )
    print()
    print(
        "queries: SQL statements of one request as Django logs them (the session's own "
        "included, the health check's SELECT 1 not), counted with this checkout's code"
    )


def _stop_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # so the finally blocks stop gunicorn


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if not runner.redis_answers():
        print("Redis on 127.0.0.1:6379 does not answer: the cache falls back to local memory.")
    # The stack stops the servers and drops the databases before the logs' directory goes.
    with (
        tempfile.TemporaryDirectory(prefix="bench-pages-") as workdir,
        contextlib.ExitStack() as stack,
    ):
        servers = {}
        for size in args.sizes:
            for label, server in serve_size(size, args, Path(workdir), stack).items():
                servers[(label, size)] = server
        try:
            results = measure(servers, args.pages, args.rounds)
        except Exception:
            for server in servers.values():
                print(runner.tail(server["log"]))
            raise
    print_table(results, args.pages)
    print(f"server: gunicorn {args.workers} sync workers, DEBUG=false; {runner.postgres_version()}")
    print(
        f"load: one client, {args.rounds} requests to each page of each size, interleaved, "
        f"after {WARMUP} warm-up rounds"
    )
    return 0
