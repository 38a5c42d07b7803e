"""The load generator of bench/checkin: closed-loop patients answering in a browser's way.

Each client process plays its share of the patients in turn, one check-in each: GET the
link (302), GET the form (200, a CSRF cookie and a fresh client id), POST the answers
(303), GET the answer (200), timing every request. A fresh cookie jar per patient: each
patient is another phone. The clients, their start and their results are bench/ingest's
(bench.load); only the requests differ.
"""

import http.client
import multiprocessing
import random
import signal
import time
import urllib.parse
from array import array
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from bench.load import HOST, MAX_ERROR_SAMPLES, REQUEST_TIMEOUT_S, START_DELAY_S, PhaseResult
from bench.load import _collect as collect_results

# The requests of one check-in, in order, with the status each must answer.
KINDS = {"link": 302, "form": 200, "post": 303, "answer": 200}
# What a phone's browser sends with every page request.
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, br",
    "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "Mozilla/5.0 (Linux; Android 14) bench-checkin",
}


@dataclass
class WebPhase:
    """One timed phase of web check-ins: a PhaseResult per request kind.

    The CPU figures are the phase's as a whole (bench.report's notes add them up per phase).
    """

    kinds: dict[str, PhaseResult]
    client_cpu_s: float = 0.0
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    server_ms: dict[str, list[float]] = field(default_factory=dict)

    @property
    def elapsed_s(self) -> float:
        return max(p.elapsed_s for p in self.kinds.values())

    @property
    def error_count(self) -> int:
        return sum(p.error_count for p in self.kinds.values())


def hidden_value(html: bytes, name: str) -> str:
    marker = f'name="{name}" value="'.encode()
    start = html.index(marker) + len(marker)
    return html[start : html.index(b'"', start)].decode()


def web_answers(form_html: bytes) -> dict:
    """What a patient sends: the form's CSRF token and client id, a pain score and no
    numbness, the same kind of entry as bench.load's entry_payload."""
    return {
        "csrfmiddlewaretoken": hidden_value(form_html, "csrfmiddlewaretoken"),
        "client_id": hidden_value(form_html, "client_id"),
        "pain_score": str(random.randint(0, 10)),
        "numbness": "none",
    }


def request(conn, method, path, headers, body=None):
    """One request; returns (status or exception name, headers, body, seconds taken)."""
    sent = time.perf_counter()
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        reply = response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()  # the next request reconnects
        return type(exc).__name__, None, str(exc).encode(), time.perf_counter() - sent
    return response.status, response.headers, reply, time.perf_counter() - sent


def check_in(conn, port, patient, seen, think_s=0.0):
    """One patient's check-in; ``seen(kind, status, seconds, body)`` records each request.
    Stops at the first unexpected answer: what follows would only fail too. ``think_s``:
    the time a person takes to answer the form (0: a closed loop, the server's worst case)."""
    headers = dict(BROWSER_HEADERS)
    status, reply_headers, body, took = request(conn, "GET", patient["link"], headers)
    if not seen("link", status, took, body):
        return
    form_path = urllib.parse.urlsplit(reply_headers["Location"]).path
    status, reply_headers, form, took = request(conn, "GET", form_path, headers)
    if not seen("form", status, took, form):
        return
    cookie = SimpleCookie()
    for value in reply_headers.get_all("Set-Cookie") or []:
        cookie.load(value)
    post_headers = {
        **headers,
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{key}={morsel.value}" for key, morsel in cookie.items()),
        # A browser's form POST carries its origin; CsrfViewMiddleware checks it.
        "Origin": f"http://{HOST}:{port}",
    }
    body = urllib.parse.urlencode(web_answers(form)).encode()
    if think_s:
        time.sleep(think_s)
    status, reply_headers, reply, took = request(conn, "POST", form_path, post_headers, body)
    if not seen("post", status, took, reply):
        return
    answer_path = urllib.parse.urlsplit(reply_headers["Location"]).path
    status, _, reply, took = request(conn, "GET", answer_path, headers)
    seen("answer", status, took, reply)


def _client(port, patients, start_at, end_at, queues, think_s):
    """Check in patient after patient from start_at until end_at; report per request kind."""
    # Ctrl-C reaches the whole process group; the runner stops the clients itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    latencies = {kind: array("d") for kind in KINDS}
    errors = {kind: Counter() for kind in KINDS}
    samples = {kind: [] for kind in KINDS}
    last_done = {kind: start_at for kind in KINDS}

    def seen(kind, status, took, body) -> bool:
        last_done[kind] = time.monotonic()
        if status == KINDS[kind]:
            latencies[kind].append(took)
            return True
        errors[kind][status] += 1
        if len(samples[kind]) < MAX_ERROR_SAMPLES:
            samples[kind].append(f"{status}: {body[:200]!r}")
        return False

    time.sleep(max(0.0, start_at - time.monotonic()))
    turn = 0
    while time.monotonic() < end_at:
        check_in(conn, port, patients[turn % len(patients)], seen, think_s)
        turn += 1
    conn.close()
    cpu = time.process_time()
    for number, kind in enumerate(KINDS):
        # bench.load's result tuple; the process's CPU time is counted once, with "link".
        result = (latencies[kind].tobytes(), dict(errors[kind]), samples[kind], last_done[kind])
        queues[kind].put((*result, cpu if number == 0 else 0.0))


def run_web_phase(port, patients, concurrency, duration_s, think_s=0.0) -> WebPhase:
    """``concurrency`` clients checking patients in for ``duration_s`` seconds."""
    context = multiprocessing.get_context("fork")
    queues = {kind: context.Queue() for kind in KINDS}
    start_at = time.monotonic() + START_DELAY_S
    end_at = start_at + duration_s
    # Client i plays patients i, i+c, i+2c...: no two clients ever share a patient.
    workers = [
        context.Process(
            target=_client,
            args=(port, patients[i::concurrency] or patients, start_at, end_at, queues, think_s),
        )
        for i in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    try:
        kinds = {
            kind: collect_results(kind, queues[kind], len(workers), start_at, end_at)
            for kind in KINDS
        }
    finally:
        for worker in workers:
            worker.join(timeout=1)
            if worker.is_alive():
                worker.kill()
    return WebPhase(kinds, client_cpu_s=sum(p.client_cpu_s for p in kinds.values()))
