"""Background load of bench/alert_latency: routine diary entries at a fixed rate.

``python -m bench.alert_load OUT.json --port P --patients FILE --rate 50 --processes 8
--max-seconds S`` posts routine entries (``bench.load.entry_payload``: a pain score and
``numbness: "none"``, nothing triage looks at) for the patients in FILE until SIGTERM or
``--max-seconds``, then writes what it did to OUT.json.

Open loop: each client process has a fixed timetable (``rate / processes`` posts a second,
the processes staggered), so a slow answer does not lower the load; a client that falls
behind posts at once until it is back on time. Processes, not threads: the posts must not
take the interpreter from the bench's own timing.
"""

import argparse
import http.client
import json
import multiprocessing
import signal
import time
from array import array
from collections import Counter

from bench.load import HOST, MAX_ERROR_SAMPLES, REQUEST_TIMEOUT_S, _post, entry_payload
from bench.report import percentile_ms

ENTRIES_PATH = "/api/v1/me/entries/"
START_DELAY_S = 0.3


def _client(port, patients, rate, start_at, end_at, stop, results):
    """Post on the timetable start_at + n / rate until stopped or end_at."""
    # The parent stops the clients through ``stop``; a signal to the group must not.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    latencies, errors, samples = array("d"), Counter(), []
    late = 0.0  # the most this client was behind its timetable, in seconds
    sent_count = 0
    while not stop.is_set():
        due = start_at + sent_count / rate
        if due >= end_at:
            break
        wait = due - time.monotonic()
        if wait > 0 and stop.wait(wait):
            break
        late = max(late, -wait)
        patient = patients[sent_count % len(patients)]
        sent_count += 1
        body = entry_payload(patient["procedure"])
        sent = time.perf_counter()
        status, reply = _post(conn, ENTRIES_PATH, body, patient["token"])
        took = time.perf_counter() - sent
        if status == 201:
            latencies.append(took)
            continue
        errors[str(status)] += 1
        if len(samples) < MAX_ERROR_SAMPLES:
            samples.append(f"{status}: {reply[:200]!r}")
    conn.close()
    results.put((latencies.tobytes(), dict(errors), samples, late, time.monotonic()))


def run(port, patients, rate, processes, max_seconds) -> dict:
    context = multiprocessing.get_context("fork")
    results, stop = context.Queue(), context.Event()
    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
    start_at = time.monotonic() + START_DELAY_S
    end_at = start_at + max_seconds
    share = rate / processes
    clients = [
        context.Process(
            target=_client,
            # Staggered, so that the posts are spread over each second, not in bursts.
            args=(port, patients[i::processes], share, start_at + i / rate, end_at, stop, results),
        )
        for i in range(processes)
    ]
    for client in clients:
        client.start()
    while not stopping and time.monotonic() < end_at:
        time.sleep(0.05)
    stop.set()
    stopped_at = time.monotonic()
    try:
        outcomes = [results.get(timeout=REQUEST_TIMEOUT_S + 5) for _ in clients]
    finally:
        for client in clients:
            client.join(timeout=1)
            if client.is_alive():
                client.kill()
    latencies, errors, samples = array("d"), Counter(), []
    for raw, client_errors, client_samples, _, _ in outcomes:
        latencies.frombytes(raw)
        errors.update(client_errors)
        samples += client_samples
    elapsed = min(stopped_at, end_at) - start_at
    ordered = sorted(latencies)
    return {
        "posts": len(latencies) + sum(errors.values()),
        "ok": len(latencies),
        "errors": dict(errors),
        "error_samples": samples[:MAX_ERROR_SAMPLES],
        "seconds": elapsed,
        "per_s": (len(latencies) + sum(errors.values())) / max(elapsed, 1e-9),
        "p50_ms": percentile_ms(ordered, 0.50),
        "p99_ms": percentile_ms(ordered, 0.99),
        "max_behind_ms": max(o[3] for o in outcomes) * 1000,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench.alert_load", description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--patients", required=True, help="JSON list of {token, procedure}")
    parser.add_argument("--rate", type=float, required=True, help="entries per second")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, required=True)
    args = parser.parse_args(argv)
    with open(args.patients, encoding="utf-8") as handle:
        patients = json.load(handle)
    result = run(args.port, patients, args.rate, args.processes, args.max_seconds)
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
