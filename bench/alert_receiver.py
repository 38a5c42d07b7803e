"""The clinic's paging system for bench/alert_latency: a local webhook receiver, in a thread.

It answers every POST at once with 200 ``{}`` and records, for each one, the arrival time
(``time.time()``, taken once the body has been read), ``X-Idempotency-Key``, the event and
alert id from the JSON body, and whether ``X-Signature-256`` matches the clinic's secret.
The signature is recomputed here from the documented rule (HMAC-SHA256 of the exact body),
not with the product's own helper, so a wrong signature shows up.

It speaks HTTP/1.1 with keep-alive, as the worker's ``requests`` session expects, with one
thread per connection. The bench's own work meanwhile is one thread sending an entry and
sleeping, so the receiver is never kept waiting for the interpreter.
"""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"
PATH = "/hook"
TRIGGERED = "alert.triggered"


@dataclass(frozen=True)
class Arrival:
    at: float  # time.time() once the body was read
    key: str  # X-Idempotency-Key
    event: str  # "alert.triggered", …; "" when the body was not an alert event
    alert_id: int | None
    signed: bool  # X-Signature-256 matches the secret


class Receiver:
    """``with Receiver(secret) as receiver:`` listens on ``receiver.url`` until the end."""

    def __init__(self, secret: str):
        self.secret = secret.encode()
        self._arrivals: list[Arrival] = []
        self._changed = threading.Condition()
        self.server = ThreadingHTTPServer((HOST, 0), _handler(self))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://{HOST}:{self.port}{PATH}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="webhook-receiver", daemon=True
        )

    def __enter__(self) -> "Receiver":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keep(self, at: float, key: str, signature: str, body: bytes) -> None:
        expected = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        try:
            payload = json.loads(body)
            event, alert_id = str(payload["event"]), int(payload["alert"]["id"])
        except (ValueError, KeyError, TypeError):
            event, alert_id = "", None
        arrival = Arrival(at, key, event, alert_id, hmac.compare_digest(signature, expected))
        with self._changed:
            self._arrivals.append(arrival)
            self._changed.notify_all()

    def arrivals(self) -> list[Arrival]:
        with self._changed:
            return list(self._arrivals)

    def wait_for(self, alert_ids: set[int], timeout_s: float) -> bool:
        """Until an ``alert.triggered`` of each id has arrived; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                arrived = {a.alert_id for a in self._arrivals if a.event == TRIGGERED}
                left = deadline - time.monotonic()
                if alert_ids <= arrived or left <= 0:
                    return alert_ids <= arrived
                self._changed.wait(min(left, 0.5))


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the worker's session expects

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            at = time.time()
            receiver.keep(
                at,
                self.headers.get("X-Idempotency-Key", ""),
                self.headers.get("X-Signature-256", ""),
                body,
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format, *args):
            pass  # one line per page on stderr would bury the bench's own output

    return Handler
