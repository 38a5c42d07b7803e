"""The printed result of bench/checkin: a row per request kind, then the budget's verdict."""

import re
from pathlib import Path

from bench.report import client_cpu_note, percentile_ms

BUDGET_P99_MS = 50.0
LABELS = {
    "link": "GET link (302)",
    "form": "GET form (200)",
    "post": "POST answers (303)",
    "answer": "GET answer (200)",
    "api": "API POST entry (201)",
}
# The access log's request lines, by kind (see ACCESS_FORMAT in bench.checkin_runner).
ROUTES = [
    ("link", re.compile(r"GET /c/[^/]+$")),
    ("form", re.compile(r"GET /c/[^/]+/checkins/\d+/$")),
    ("post", re.compile(r"POST /c/[^/]+/checkins/\d+/$")),
    ("answer", re.compile(r"GET /c/[^/]+/answers/[^/]+/$")),
    ("api", re.compile(r"POST /api/v1/me/entries/$")),
]


class ServerLog:
    """Each request's time in the gunicorn worker, read back from its access log."""

    def __init__(self, path: Path):
        self.path = path

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, mark: int) -> dict[str, list[float]]:
        """Milliseconds per kind of the requests logged after ``mark``."""
        times = {kind: [] for kind, _ in ROUTES}
        with self.path.open("rb") as log:
            log.seek(mark)
            lines = log.read().decode("utf-8", errors="replace").splitlines()
        for line in lines:
            parts = line.rsplit(" ", 2)
            if len(parts) != 3 or not parts[2].isdigit():
                continue  # not an access line (a worker's start, say)
            for kind, route in ROUTES:
                if route.match(parts[0]):
                    times[kind].append(int(parts[2]) / 1000)
                    break
        return times


def _results(rounds) -> dict:
    """Per kind: (PhaseResults, server milliseconds) over all rounds."""
    kinds = {}
    for phase in rounds["web"]:
        for kind, result in phase.kinds.items():
            kinds.setdefault(kind, ([], []))[0].append(result)
            kinds[kind][1].extend(phase.server_ms.get(kind, []))
    for phase in rounds["api"]:
        kinds.setdefault("api", ([], []))[0].append(phase)
        kinds["api"][1].extend(phase.server_ms.get("api", []))
    return kinds


def _row(kind, phases, server_ms) -> tuple[str, dict]:
    ok = sum(p.ok for p in phases)
    errors = sum(p.error_count for p in phases)
    rate = ok / sum(p.elapsed_s for p in phases)
    client = sorted(x for p in phases for x in p.latencies_s)
    server = sorted(ms / 1000 for ms in server_ms)
    figures = {}
    for name, values in (("client", client), ("server", server)):
        for fraction in (0.50, 0.95, 0.99):
            figures[f"{name} p{round(fraction * 100)}"] = percentile_ms(values, fraction)
    cells = " | ".join(f"{value:6.1f}" for value in figures.values())
    return f"| {LABELS[kind]:20} | {ok + errors:6} | {errors:5} | {rate:6.1f} | {cells} |", figures


def print_report(rounds, notes: list[str], queries: dict) -> None:
    print()
    print(
        "| request              |  count | errors | req/s | p50 ms | p95 ms | p99 ms "
        "| server p50 | server p95 | server p99 |"
    )
    print(
        "|----------------------|-------:|------:|------:|-------:|-------:|-------:"
        "|-------:|-------:|-------:|"
    )
    figures = {}
    for kind, (phases, server_ms) in _results(rounds).items():
        row, figures[kind] = _row(kind, phases, server_ms)
        print(row)
    print()
    for where in ("client", "server"):
        web, api = figures["post"][f"{where} p99"], figures["api"][f"{where} p99"]
        print(f"web POST p99 / API POST p99 ({where}): {web:.1f} / {api:.1f} ms = {web / api:.2f}")
    worst = max(figures[k]["server p99"] for k in ("link", "form", "post", "answer"))
    verdict = "met" if worst < BUDGET_P99_MS else "NOT met"
    print(
        f"budget: server time p99 < {BUDGET_P99_MS:g} ms for every check-in request: {verdict} "
        f"(worst {worst:.1f} ms; at the client, queueing included, worst "
        f"{max(figures[k]['client p99'] for k in ('link', 'form', 'post', 'answer')):.1f} ms)"
    )
    print(
        "SQL statements per request as Django logs them: "
        + ", ".join(f"{kind} {count}" for kind, count in queries.items())
    )
    print(
        "p50/p95/p99: at the client, from sending to the last byte (the wait for a free "
        "worker included); server: gunicorn's %(D)s, the worker's time for the request"
    )
    web_cpu = [
        (p.app_cpu_s, p.db_cpu_s, sum(r.ok for r in p.kinds.values())) for p in rounds["web"]
    ]
    api_cpu = [(p.app_cpu_s, p.db_cpu_s, p.ok) for p in rounds["api"]]
    for label, samples in (("web check-in request", web_cpu), ("API entry", api_cpu)):
        requests = max(1, sum(n for _, _, n in samples))
        app = sum(a for a, _, _ in samples) / requests * 1000
        db = sum(d for _, d, _ in samples) / requests * 1000
        print(f"CPU per {label}: gunicorn {app:.2f} ms, PostgreSQL {db:.2f} ms")
    for note in notes:
        print(note)
    print(client_cpu_note(rounds))
