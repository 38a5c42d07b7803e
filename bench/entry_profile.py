"""Where a diary entry's POST spends its time, in this process: cProfile of N POSTs.

Run with bench/ingest's settings on a fresh database made for it (the seed's clinic
name is fixed: drop and create the database before each run), e.g.:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/diary_profile
    export DJANGO_SETTINGS_MODULE=bench.settings SECRET_KEY=x DEBUG=false
    export THROTTLE_PATIENT=100000000/min LOG_LEVEL=WARNING
    dropdb --if-exists -h 127.0.0.1 -U postgres diary_profile
    createdb -h 127.0.0.1 -U postgres diary_profile
    .venv/bin/python manage.py migrate -v0
    .venv/bin/python -m bench.entry_profile --posts 500 --path /api/v1/me/entries/

Prints the request's mean wall time and the functions with the most cumulative and own time.
Compare ``--path /bench/noop/`` (the same stack, no entry) in the same sitting.
"""

import argparse
import cProfile
import io
import pstats
import statistics
import time

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench import cpu  # noqa: E402
from bench.load import entry_payload  # noqa: E402
from bench.seed import seed_patients  # noqa: E402

NOOP, ENTRIES = "/bench/noop/", "/api/v1/me/entries/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--path", default=ENTRIES)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time only (no waits on the database)"
    )
    parser.add_argument("--dump", help="also write the raw profile here (for pstats)")
    parser.add_argument(
        "--compare",
        type=int,
        metavar="ROUNDS",
        help="no profile: alternate ROUNDS rounds of --posts entries and no-op POSTs and print "
        "each one's CPU per POST, this process's and its database backend's",
    )
    args = parser.parse_args()
    patient = seed_patients(1)[0]
    client = Client(SERVER_NAME="127.0.0.1")
    headers = {"authorization": f"Bearer {patient['token']}"}

    def post(path=args.path):
        body = entry_payload(patient["procedure"])
        response = client.post(path, body, content_type="application/json", headers=headers)
        assert response.status_code == 201, response.content

    for _ in range(50):  # warm: first-call caches, the connection
        post()
    if args.compare:
        compare(post, args.posts, args.compare)
        return
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.posts):
        post()
    plain = (time.perf_counter() - started) / args.posts
    cpu = (time.process_time() - cpu) / args.posts
    profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
    profile.enable()
    for _ in range(args.posts):
        post()
    profile.disable()
    print(
        f"{args.path}: {plain * 1000:.2f} ms per POST without the profiler, "
        f"{cpu * 1000:.2f} ms of it this process's CPU"
    )
    if args.dump:
        profile.dump_stats(args.dump)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())


def compare(post, posts: int, rounds: int) -> None:
    """CPU per POST of both endpoints, in alternating rounds of one process: what the
    entry adds to the bare stack, with the machine's other work left out of it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    for _ in range(50):
        post(NOOP)
    measured = {path: [] for path in (NOOP, ENTRIES)}
    for _ in range(rounds):
        for path, samples in measured.items():
            app, db = time.process_time(), cpu._cpu_seconds([backend])
            for _ in range(posts):
                post(path)
            samples.append(
                ((time.process_time() - app) / posts, (cpu._cpu_seconds([backend]) - db) / posts)
            )
    print(f"{rounds} rounds of {posts} POSTs each; median CPU ms per POST")
    print("| endpoint | app ms | db ms | total ms |")
    print("|----------|-------:|------:|---------:|")
    totals = {}
    for path, samples in measured.items():
        app = statistics.median(a for a, _ in samples) * 1000
        db = statistics.median(d for _, d in samples) * 1000
        totals[path] = statistics.median(a + d for a, d in samples) * 1000
        print(f"| {path} | {app:.2f} | {db:.2f} | {totals[path]:.2f} |")
    print(f"bare / entries = {totals[NOOP] / totals[ENTRIES]:.0%}")


if __name__ == "__main__":
    main()
