"""The load generator of bench/ingest: closed-loop HTTP clients, one process each.

Processes, not threads: client and server share the machine's cores, and threads
under one GIL would cap the load below what the server can take. Each client is
plain ``http.client`` (lighter than requests) on one connection, which it reopens
when the server closes it (gunicorn's sync workers close after every response).
"""

import http.client
import json
import multiprocessing
import random
import signal
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 10
MAX_ERROR_SAMPLES = 5
# Clients start together a moment after the slowest fork, so none gets a head start.
START_DELAY_S = 0.3


@dataclass
class PhaseResult:
    """What all clients of one timed phase saw."""

    endpoint: str
    ok: int = 0
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    latencies_s: array = field(default_factory=lambda: array("d"))
    errors: Counter = field(default_factory=Counter)
    error_samples: list = field(default_factory=list)
    # Filled in by the runner, which knows the server's processes.
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def entry_payload(procedure: int) -> bytes:
    """A new reading, as the phone sends it; both endpoints get the same kind of body."""
    return json.dumps(
        {
            "client_id": str(uuid.uuid4()),
            "procedure": procedure,
            "recorded_at": datetime.now(UTC).isoformat(),
            "pain_score": random.randint(0, 10),
            "numbness": "none",
        }
    ).encode()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, token: str):
    """One POST; returns (status or exception name, response body)."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    try:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()  # the next request reconnects
        return type(exc).__name__, str(exc).encode()


def _client(port, path, patients, start_at, end_at, results):
    """Post back to back from start_at until end_at; report latencies and errors."""
    # Ctrl-C reaches the whole process group; the runner stops the clients itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    latencies, errors, samples = array("d"), Counter(), []
    last_done = start_at
    time.sleep(max(0.0, start_at - time.monotonic()))
    turn = 0
    while time.monotonic() < end_at:
        patient = patients[turn % len(patients)]
        turn += 1
        body = entry_payload(patient["procedure"])
        sent = time.perf_counter()
        status, reply = _post(conn, path, body, patient["token"])
        took = time.perf_counter() - sent
        last_done = time.monotonic()
        if status == 201:
            latencies.append(took)
            continue
        errors[status] += 1
        if len(samples) < MAX_ERROR_SAMPLES:
            samples.append(f"{status}: {reply[:200]!r}")
    conn.close()
    cpu = time.process_time()
    results.put((latencies.tobytes(), dict(errors), samples, last_done, cpu))


def run_phase(endpoint, port, path, patients, concurrency, duration_s) -> PhaseResult:
    """``concurrency`` clients posting to ``path`` for ``duration_s`` seconds."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.monotonic() + START_DELAY_S
    end_at = start_at + duration_s
    # Client i takes patients i, i+c, i+2c...: each patient's requests stay in order.
    workers = [
        context.Process(
            target=_client,
            args=(port, path, patients[i::concurrency] or patients, start_at, end_at, results),
        )
        for i in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    try:
        return _collect(endpoint, results, len(workers), start_at, end_at)
    finally:
        for worker in workers:
            worker.join(timeout=1)
            if worker.is_alive():
                worker.kill()


def _collect(endpoint, results, count, start_at, end_at) -> PhaseResult:
    phase = PhaseResult(endpoint)
    last_done = start_at
    for _ in range(count):
        # A client finishes its last request at most one request timeout after the end.
        wait = max(1.0, end_at - time.monotonic() + REQUEST_TIMEOUT_S + 5)
        raw_latencies, errors, samples, done, cpu = results.get(timeout=wait)
        latencies = array("d")
        latencies.frombytes(raw_latencies)
        phase.latencies_s.extend(latencies)
        phase.errors.update(errors)
        phase.error_samples.extend(samples)
        phase.client_cpu_s += cpu
        last_done = max(last_done, done)
    phase.ok = len(phase.latencies_s)
    phase.elapsed_s = last_done - start_at
    return phase
