"""Where a web check-in's requests spend their time, in this process: each step's CPU and
wall time per request, and optionally a cProfile of them all.

Run with bench/ingest's settings on a fresh database (as bench/entry_profile says), e.g.:

    .venv/bin/python -m bench.checkin_profile --patients 200 [--cpu-profile OUT.prof]

Steps as bench/checkin plays them: open the link (302), the form (200), post (303), the
answer (200). Compare with bench/checkin's server times: this leaves out gunicorn and HTTP.
"""

import argparse
import cProfile
import statistics
import time

import django

django.setup()

from django.test import Client  # noqa: E402

from bench.checkin_load import web_answers  # noqa: E402
from bench.checkin_seed import seed  # noqa: E402

STEPS = ("link", "form", "post", "answer")


def check_in(patient: dict, timings: dict) -> None:
    client = Client(SERVER_NAME="127.0.0.1", enforce_csrf_checks=True)

    def step(kind, method, path, expected, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        response = getattr(client, method)(path, **kwargs)
        timings[kind].append((time.perf_counter() - wall, time.process_time() - cpu))
        assert response.status_code == expected, (kind, response.status_code)
        return response

    form_path = step("link", "get", patient["link"], 302)["Location"]
    form = step("form", "get", form_path, 200)
    sent = step("post", "post", form_path, 303, data=web_answers(form.content))
    step("answer", "get", sent["Location"], 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--cpu-profile", help="write a CPU-time cProfile of the steps here")
    args = parser.parse_args()
    patients = seed(args.patients + 20)
    warm, measured = patients[:20], patients[20:]
    timings = {kind: [] for kind in STEPS}
    for patient in warm:
        check_in(patient, timings)
    timings = {kind: [] for kind in STEPS}
    profile = cProfile.Profile(time.process_time) if args.cpu_profile else None
    if profile:
        profile.enable()
    for patient in measured:
        check_in(patient, timings)
    if profile:
        profile.disable()
        profile.dump_stats(args.cpu_profile)
    print(f"{len(measured)} web check-ins, ms per request (median):")
    print("| step | wall ms | CPU ms |")
    print("|------|--------:|-------:|")
    for kind, samples in timings.items():
        wall = statistics.median(w for w, _ in samples) * 1000
        cpu = statistics.median(c for _, c in samples) * 1000
        print(f"| {kind} | {wall:.2f} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
