"""A local APNs: HTTP/2 over TLS (a throwaway CA from trustme), built on the ``h2`` state
machine (tests/notifications/apns_h2.py, which bench/dispatch's receiver shares) so a test
can do what Apple's servers do: check the provider token's ES256 signature, answer 410 or
429, or drop the connection in the middle of a batch."""

import json
import socket
import ssl
import threading
from dataclasses import dataclass, field

import jwt
import trustme

from tests.notifications.apns_h2 import H2Server, ProviderTokenCheck, bearer_of, server_tls

DROP = "drop"  # close the TCP connection instead of answering
STALL = "stall"  # answer nothing until the receiver stops


@dataclass(frozen=True)
class Pushed:
    """One request APNs got, and on which connection (1 for the first)."""

    path: str
    headers: dict
    body: dict
    connection: int

    @property
    def token_claims(self) -> dict:
        return jwt.decode(self.jwt, options={"verify_signature": False})

    @property
    def jwt(self) -> str:
        return bearer_of(self.headers)


@dataclass
class ApnsReceiver:
    """Answers 200 with an ``apns-id`` unless ``script(…)`` says otherwise: answers are
    ``(status, {"reason": …})``, ``DROP`` or ``STALL``, used in order, one per request."""

    public_key: object  # the team key's public half: tokens it cannot verify get 403
    key_id: str
    team_id: str
    ca: trustme.CA = field(default_factory=trustme.CA)
    pushes: list = field(default_factory=list)
    scripted: list = field(default_factory=list)
    connections: int = 0
    alpn: list = field(default_factory=list)

    def script(self, *answers) -> None:
        self.scripted.extend(answers)

    def start(self) -> None:
        self._stop = threading.Event()
        self._tls = server_tls(self.ca)
        self._tokens = ProviderTokenCheck(self.public_key, self.key_id, self.team_id)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            number = self.connections
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int) -> None:
        try:
            tls = self._tls.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError):
            sock.close()
            return
        self.alpn.append(tls.selected_alpn_protocol())
        server = H2Server()
        tls.sendall(server.data_to_send())
        try:
            while not self._stop.is_set():
                data = tls.recv(65535)
                if not data:
                    return
                for request in server.receive(data):
                    if not self._answer(server, request, number):
                        return
                if server.closed:
                    return
                tls.sendall(server.data_to_send())
        except OSError:
            return
        finally:
            tls.close()

    def _answer(self, server: H2Server, request, number: int) -> bool:
        headers = request.headers
        pushed = Pushed(headers[":path"], headers, json.loads(request.body or b"{}"), number)
        self.pushes.append(pushed)
        answer = self.scripted.pop(0) if self.scripted else None
        if answer == DROP:
            return False
        if answer == STALL:
            self._stop.wait(10)
            return False
        status, reply = answer or (200, None)
        if status == 200 and not self._tokens.is_good(pushed.jwt):
            status, reply = 403, {"reason": "InvalidProviderToken"}
        body = json.dumps(reply).encode() if reply else b""
        server.answer(request.stream_id, status, f"APNS-{len(self.pushes):04d}", body)
        return True
