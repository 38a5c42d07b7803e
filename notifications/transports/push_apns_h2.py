"""One HTTP/2 connection to APNs, driven with the ``h2`` state machine directly.

Why not httpx for every push: per push it cost about twice the CPU of the rest of a
reminder's send (docs/performance.md): three TLS writes (headers, body, end of stream), a
cookie jar parsing every answer, and its request and URL models. Here a push is one TLS
write of its frames and a read of Apple's answer, on one kept-open connection per process,
one stream at a time. Where an egress proxy is configured, push_apns.py keeps httpx, which
speaks CONNECT; this does not.

A connection that cannot be trusted with another stream (the server closed it or sent
GOAWAY, a read timed out mid-answer, the stream ids or the flow-control window ran out) is
dropped, and the next push opens a fresh one, as httpx did.
"""

import os
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from notifications.transports._common import Answer

READ_BYTES = 65535


class ConnectionLost(OSError):
    """The connection ended, or cannot carry the stream, before Apple answered it."""


@dataclass(frozen=True)
class Origin:
    host: str
    port: int
    authority: str

    @classmethod
    def of(cls, base_url: str) -> "Origin":
        parts = urlsplit(base_url)
        port = parts.port or 443
        return cls(parts.hostname or "", port, parts.netloc)


class Connection:
    """A TLS socket that chose ``h2`` by ALPN, and its HTTP/2 state."""

    def __init__(self, origin: Origin, tls: ssl.SSLContext, timeout: float):
        raw = socket.create_connection((origin.host, origin.port), timeout=timeout)
        try:
            # A push is one write and Apple answers at once: no waiting for our own ACKs.
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = tls.wrap_socket(raw, server_hostname=origin.host)
        except BaseException:
            raw.close()
            raise
        if self.sock.selected_alpn_protocol() != "h2":
            self.sock.close()
            raise ConnectionLost("the server did not offer HTTP/2")
        self.origin = origin
        self.h2 = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.h2.initiate_connection()
        self.sock.sendall(self.h2.data_to_send())
        self.usable = True

    def close(self) -> None:
        self.usable = False
        self.sock.close()

    def still_open(self) -> bool:
        """Read what the server sent while we were idle (a GOAWAY, a PING, the end)."""
        while self.usable and (self.sock.pending() or select.select([self.sock], [], [], 0)[0]):
            data = self.sock.recv(READ_BYTES)
            if not data:
                self.usable = False
                break
            self._events(data, stream_id=0)
        return self.usable

    def post(self, path: str, headers: list, body: bytes, timeout: float) -> Answer:
        """One request on a new stream; Apple's answer, or ``ConnectionLost``."""
        try:
            stream_id = self.h2.get_next_available_stream_id()
        except h2.exceptions.NoAvailableStreamIDError as exc:
            self.usable = False
            raise ConnectionLost("stream ids used up") from exc
        # What a new stream may send: the connection's window and a stream's first window.
        window = min(
            self.h2.outbound_flow_control_window, self.h2.remote_settings.initial_window_size
        )
        if window < len(body):
            self.usable = False
            raise ConnectionLost("flow-control window too small")
        request = [
            (":method", "POST"),
            (":scheme", "https"),
            (":authority", self.origin.authority),
            (":path", path),
            *headers,
            ("content-length", str(len(body))),
        ]
        self.h2.send_headers(stream_id, request)
        self.h2.send_data(stream_id, body, end_stream=True)
        self.sock.settimeout(timeout)
        self.sock.sendall(self.h2.data_to_send())
        answer = {"status": 0, "headers": {}, "body": bytearray(), "ended": False}
        while not answer["ended"]:
            data = self.sock.recv(READ_BYTES)
            if not data:
                self.usable = False
                raise ConnectionLost("the server closed the connection")
            self._events(data, stream_id, answer)
        headers = answer["headers"]
        return Answer(answer["status"], bytes(answer["body"]), headers)

    def _events(self, data: bytes, stream_id: int, answer: dict | None = None) -> None:
        for event in self.h2.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                self.usable = False
                if answer is not None and not answer["ended"]:
                    raise ConnectionLost("GOAWAY before the answer")
            if getattr(event, "stream_id", None) != stream_id or answer is None:
                continue
            if isinstance(event, h2.events.ResponseReceived):
                answer["headers"] = dict(event.headers)
                answer["status"] = int(answer["headers"].pop(":status"))
            elif isinstance(event, h2.events.DataReceived):
                answer["body"] += event.data
                self.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                answer["ended"] = True
            elif isinstance(event, h2.events.StreamReset):
                raise ConnectionLost(f"stream reset ({event.error_code})")
        pending = self.h2.data_to_send()
        if pending:
            self.sock.sendall(pending)


class Client:
    """The process's connection, opened on first use and again after one is dropped.

    Made anew when the base URL, CA file or timeout changes (a test pointing at its own
    receiver), and forgotten in a forked child (Celery prefork): a TLS connection shared
    with the parent would interleave both processes' frames.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._client: Connection | None = None
        self._made_for: tuple | None = None
        os.register_at_fork(after_in_child=self._forget)

    def post(self, conf, path: str, headers: list, body: bytes) -> Answer:
        made_for = (conf.base_url, conf.ca_file, conf.timeout)
        with self._lock:
            client = self._client
            if client is None or self._made_for != made_for or not client.still_open():
                if client is not None:
                    client.close()
                self._client = None
                tls = ssl.create_default_context(cafile=conf.ca_file or None)
                tls.set_alpn_protocols(["h2"])
                client = Connection(Origin.of(conf.base_url), tls, conf.timeout)
                self._client, self._made_for = client, made_for
            try:
                return client.post(path, headers, body, conf.timeout)
            except BaseException:
                # Whatever broke (a timeout mid-answer, a reset, a protocol error), this
                # connection's state is not to be trusted with the next push.
                client.close()
                self._client = None
                raise

    def _forget(self) -> None:
        # Not close(): that would end the parent's TLS session on the shared socket.
        self._client = None
        self._made_for = None
        self._lock = threading.Lock()
