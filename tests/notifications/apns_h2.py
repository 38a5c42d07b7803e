"""The server side of APNs' protocol, shared by the test receiver (apns_receiver.py, one
thread per connection) and bench/dispatch's receiver process (bench/dispatch_receiver.py,
asyncio): TLS offering only ``h2``, the ``h2`` state machine turned into whole requests,
answers as Apple gives them, and the provider token checked as Apple checks it.

Kept apart from both so that what the tests prove about the APNs transport is what the
bench measures it against.
"""

import ssl
from dataclasses import dataclass

import h2.config
import h2.connection
import h2.events
import jwt
import trustme


def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server TLS context that offers only HTTP/2, as Apple's servers do, with a
    certificate for 127.0.0.1 from ``ca`` (the client's ``APNS_CA_FILE``)."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.set_alpn_protocols(["h2"])
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    return tls


@dataclass
class Request:
    """One whole request: its stream, headers (``:path`` among them) and body."""

    stream_id: int
    headers: dict
    body: bytes


class H2Server:
    """One server connection's ``h2`` state: bytes in, whole requests out, answers queued
    for ``data_to_send``. No I/O of its own, so a thread or an asyncio protocol drives it."""

    def __init__(self):
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        self.conn.initiate_connection()
        self._open: dict[int, Request] = {}
        self.closed = False  # the client sent GOAWAY

    def receive(self, data: bytes) -> list[Request]:
        """Feed bytes read from the socket; the requests they completed, in order."""
        done = []
        for event in self.conn.receive_data(data):
            if isinstance(event, h2.events.RequestReceived):
                self._open[event.stream_id] = Request(event.stream_id, dict(event.headers), b"")
            elif isinstance(event, h2.events.DataReceived):
                self._open[event.stream_id].body += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                done.append(self._open.pop(event.stream_id))
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.closed = True
        return done

    def answer(self, stream_id: int, status: int, apns_id: str, body: bytes = b"") -> None:
        """Apple's answer: the status and an ``apns-id``; a JSON reason on errors."""
        self.conn.send_headers(
            stream_id, [(":status", str(status)), ("apns-id", apns_id)], end_stream=not body
        )
        if body:
            self.conn.send_data(stream_id, body, end_stream=True)

    def data_to_send(self) -> bytes:
        return self.conn.data_to_send()


def bearer_of(headers: dict) -> str:
    return headers.get("authorization", "").removeprefix("bearer ")


class ProviderTokenCheck:
    """Apple's check of the provider token: an ES256 JWT signed by the team's key, with
    that key's id in ``kid`` and the team in ``iss``. A token that passed is remembered
    (a worker sends the same one for up to an hour), so the bench's receiver does not
    spend a signature check per push."""

    def __init__(self, public_key, key_id: str, team_id: str):
        self.public_key, self.key_id, self.team_id = public_key, key_id, team_id
        self._good: set[str] = set()

    def is_good(self, token: str) -> bool:
        if token in self._good:
            return True
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, self.public_key, algorithms=["ES256"])
        except (jwt.PyJWTError, KeyError):
            return False
        good = header.get("kid") == self.key_id and claims.get("iss") == self.team_id
        if good:
            self._good.add(token)
        return good
