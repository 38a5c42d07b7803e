"""A local stand-in for FCM and APNs for bench/dispatch, and plain client loops to measure it.

``python -m bench.dispatch_receiver serve --port P`` answers every
``POST /v1/projects/<project>/messages:send`` with 200 ``{"name": "projects/bench/messages/N"}``
over kept-alive HTTP/1.1, and keeps (arrival time, collapse id, token) for each; it also
answers ``POST /token`` as Google's OAuth2 token endpoint would. Two control
requests: ``GET /_count`` (how many so far) and ``POST /_dump`` (all of them, then forget them).

With ``--apns-port Q --ca-file F --apns-key-file K``, the same process is APNs too: HTTP/2
over TLS on Q (the protocol code of the tests' receiver, tests/notifications/apns_h2.py),
its certificate from a CA made at start and written to F (the worker's ``APNS_CA_FILE``),
each push's provider token checked against the public half of the ``.p8`` key K (403
``InvalidProviderToken`` otherwise, as Apple answers). Its pushes count with FCM's in one
tally, so a run with both platforms is measured as one stream of reminders.

A bare asyncio protocol, not a web framework: it must never be what limits the reminders
per second, which the ``load`` command checks (a plain client loop posting FCM-shaped
bodies back to back, as fast as the receiver answers them).
"""

import argparse
import asyncio
import http.client
import json
import multiprocessing
import signal
import sys
import time
from pathlib import Path

HOST = "127.0.0.1"
SEND_SUFFIX = b"/messages:send"
APNS_PATH = "/3/device/"
APNS_KEY_ID = "BENCHKEY01"
APNS_TEAM_ID = "BENCHTEAM1"
MAX_HEADER_BYTES = 64 * 1024


class Arrivals:
    """What reached the receiver since the last dump."""

    def __init__(self, nginx=None, token_check=None):
        # When nginx serves APNs (bench/dispatch_nginx.py): its log, and Apple's token check.
        self.nginx, self.token_check = nginx, token_check
        self._forget()

    def _forget(self) -> None:
        self.times: list[float] = []
        self.collapse_ids: list[str] = []
        self.tokens: list[str] = []
        self.bad = 0  # bodies that were not an FCM message
        self.total = 0
        self.tokens_minted = 0
        self.apns = 0  # of ``times``, how many came by APNs
        self.refused = 0  # APNs pushes whose provider token failed the check

    def _arrived(self, at: float, collapse_id: str, token: str) -> None:
        self.times.append(at)
        self.collapse_ids.append(collapse_id)
        self.tokens.append(token)

    def catch_up(self) -> None:
        """Take in what nginx logged, when nginx is the APNs server."""
        if self.nginx is not None:
            self.absorb(self.nginx.new_lines())

    def keep(self, body: bytes) -> None:
        self.total += 1
        arrived = time.time()
        try:
            message = json.loads(body)["message"]
            collapse_id, token = message["data"]["collapse_id"], message["token"]
        except (ValueError, KeyError, TypeError):
            self.bad += 1
            return
        self._arrived(arrived, collapse_id, token)

    def keep_apns(self, path: str, body: bytes) -> bool:
        """An APNs push (``/3/device/<token>``): the app's keys sit beside ``aps``."""
        self.total += 1
        arrived = time.time()
        try:
            collapse_id = json.loads(body)["collapse_id"]
            token = path.removeprefix(APNS_PATH)
        except (ValueError, KeyError, TypeError):
            self.bad += 1
            return False
        self._arrived(arrived, collapse_id, token)
        self.apns += 1
        return True

    def absorb(self, pushes) -> None:
        """APNs pushes that nginx logged, into the same tally."""
        for arrived, device, collapse_id, provider_token in pushes:
            self.total += 1
            if not self.token_check.is_good(provider_token):
                self.refused += 1
                continue
            self._arrived(arrived, collapse_id, device)
            self.apns += 1

    def dump(self) -> bytes:
        data = {
            "times": self.times,
            "collapse_ids": self.collapse_ids,
            "tokens": self.tokens,
            "bad": self.bad,
            "tokens_minted": self.tokens_minted,
            "apns": self.apns,
            "refused": self.refused,
        }
        self._forget()
        return json.dumps(data).encode()


class FcmProtocol(asyncio.Protocol):
    """One kept-alive connection: parse requests as they come, answer each at once."""

    def __init__(self, arrivals: Arrivals):
        self.arrivals = arrivals
        self.buffer = bytearray()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and self._one_request():
            pass

    def _one_request(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEADER_BYTES:
                self.transport.close()
                self.transport = None
            return False
        head = bytes(self.buffer[:end]).split(b"\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        if len(self.buffer) < end + 4 + length:
            return False
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        method, path = head[0].split(b" ")[:2]
        if method == b"POST" and path.endswith(SEND_SUFFIX):
            self.arrivals.keep(body)
            number = self.arrivals.total
            self._answer(200, b'{"name": "projects/bench/messages/%d"}' % number)
        elif method == b"POST" and path == b"/token":
            # Google's OAuth2 token endpoint, for FCM_SERVICE_ACCOUNT_FILE runs: a worker
            # trades its signed grant here once an hour (once per run, in practice).
            self.arrivals.tokens_minted += 1
            self._answer(200, b'{"access_token": "ya29.bench", "expires_in": 3600}')
        elif path == b"/_count":
            self.arrivals.catch_up()
            self._answer(200, b'{"count": %d}' % len(self.arrivals.times))
        elif method == b"POST" and path == b"/_dump":
            self.arrivals.catch_up()
            self._answer(200, self.arrivals.dump())
        else:
            self._answer(404, b'{"error": {"status": "NOT_FOUND"}}')
        if headers.get(b"connection", b"").lower() == b"close":
            self.transport.close()
            self.transport = None
        return True

    def _answer(self, status: int, body: bytes) -> None:
        reason = b"OK" if status == 200 else b"Not Found"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (status, reason, len(body), body)
        )


class ApnsProtocol(asyncio.Protocol):
    """One worker's kept HTTP/2 connection: every push answered 200 with an ``apns-id`` if
    its provider token is good, 403 ``InvalidProviderToken`` if not, as Apple answers."""

    def __init__(self, arrivals: Arrivals, tokens):
        from tests.notifications.apns_h2 import H2Server

        self.arrivals, self.tokens = arrivals, tokens
        self.server = H2Server()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.server.data_to_send())

    def data_received(self, data: bytes) -> None:
        from tests.notifications.apns_h2 import bearer_of

        for request in self.server.receive(data):
            if not self.tokens.is_good(bearer_of(request.headers)):
                self.arrivals.refused += 1
                reply = b'{"reason": "InvalidProviderToken"}'
                self.server.answer(request.stream_id, 403, "refused", reply)
            elif self.arrivals.keep_apns(request.headers.get(":path", ""), request.body):
                self.server.answer(request.stream_id, 200, f"APNS-{self.arrivals.total}")
            else:
                self.server.answer(request.stream_id, 400, "bad", b'{"reason": "BadPayload"}')
        self.transport.write(self.server.data_to_send())
        if self.server.closed:
            self.transport.close()


def apns_public_key(key_file: str):
    from cryptography.hazmat.primitives import serialization

    with open(key_file, "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None).public_key()


async def serve(
    port: int, apns_port: int = 0, ca_file: str = "", apns_key_file: str = "", apns_server="h2"
) -> None:
    loop = asyncio.get_running_loop()
    arrivals = Arrivals()
    servers = []
    if apns_port:
        import trustme

        from tests.notifications.apns_h2 import ProviderTokenCheck, server_tls

        ca = trustme.CA()
        tokens = ProviderTokenCheck(apns_public_key(apns_key_file), APNS_KEY_ID, APNS_TEAM_ID)
        if apns_server == "nginx":
            from bench.dispatch_nginx import NginxApns

            nginx = NginxApns(Path(ca_file).parent / "nginx", HOST, apns_port)
            arrivals = Arrivals(nginx=nginx, token_check=tokens)
            nginx.start(ca)
            await _until_listening(apns_port)
        else:
            servers.append(
                await loop.create_server(
                    lambda: ApnsProtocol(arrivals, tokens),
                    HOST,
                    apns_port,
                    ssl=server_tls(ca),
                    backlog=1024,
                )
            )
        # Written last: the bench takes the file's presence to mean APNs is up.
        ca.cert_pem.write_to_path(ca_file)
    servers.append(
        await loop.create_server(lambda: FcmProtocol(arrivals), HOST, port, backlog=1024)
    )
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set_result, None)
    apns_note = f", APNs on {apns_port}" if apns_port else ""
    print(f"listening on {HOST}:{port}{apns_note}", flush=True)
    try:
        await stop
    finally:
        for one in servers:
            one.close()
        if arrivals.nginx is not None:
            arrivals.nginx.stop()


async def _until_listening(port: int, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return


# --- Control, from the bench ----------------------------------------------------------


def control(port: int, method: str, path: str) -> dict:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


def count(port: int) -> int:
    return control(port, "GET", "/_count")["count"]


def dump(port: int) -> dict:
    return control(port, "POST", "/_dump")


# --- The plain client loop ----------------------------------------------------------------

SAMPLE_TOKEN = "bench-" + "x" * 150


def sample_body(number: int) -> bytes:
    """An FCM v1 request body of the size and shape FcmTransport sends."""
    collapse_id = f"checkin-{number}-1-checkin_reminder"
    return json.dumps(
        {
            "message": {
                "token": SAMPLE_TOKEN,
                "notification": {
                    "title": "Pain diary",
                    "body": "Time for your check-in: Day 3 after your block.",
                },
                "data": {
                    "url": f"http://127.0.0.1:8000/c/{number:022d}",  # a web check-in link
                    "collapse_id": collapse_id,
                },
                "android": {"collapse_key": collapse_id, "priority": "high", "ttl": "43200s"},
                "apns": {
                    "headers": {"apns-collapse-id": collapse_id, "apns-expiration": "1900000000"}
                },
            }
        }
    ).encode()


def apns_poster(apns: dict):
    """POST one APNs-shaped push over a kept HTTP/2 connection (httpx, as the transport)."""
    import ssl

    import httpx
    import jwt
    from cryptography.hazmat.primitives import serialization

    with open(apns["key_file"], "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    token = jwt.encode(
        {"iss": APNS_TEAM_ID, "iat": int(time.time())},
        key,
        algorithm="ES256",
        headers={"kid": APNS_KEY_ID},
    )
    client = httpx.Client(
        http1=False, http2=True, verify=ssl.create_default_context(cafile=apns["ca_file"])
    )
    url = f"https://{HOST}:{apns['port']}{APNS_PATH}{SAMPLE_TOKEN}"
    headers = {"authorization": f"bearer {token}", "apns-topic": "bench", "apns-push-type": "alert"}

    def post(body):
        message = json.loads(body)["message"]
        push = {"aps": {"alert": message["notification"]}, **message["data"]}
        return client.post(url, json=push, headers=headers).status_code

    return post


def _client(port: int, library: str, start_at: float, end_at: float, results, apns) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    path = "/v1/projects/bench/messages:send"
    url = f"http://{HOST}:{port}{path}"
    headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
    done = 0
    if library == "httpx-h2":
        post = apns_poster(apns)
    elif library == "requests":
        import requests

        session = requests.Session()

        def post(body):
            return session.post(url, data=body, headers=headers, timeout=10).status_code
    else:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)

        def post(body):
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            response.read()
            return response.status

    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < end_at:
        if post(sample_body(done)) == 200:
            done += 1
    results.put((done, time.monotonic() - start_at, time.process_time()))


def load(port: int, processes: int, seconds: float, library: str, apns=None) -> dict:
    """``processes`` clients posting back to back for ``seconds``: requests per second.
    ``httpx-h2`` posts APNs pushes (``apns``: its port, CA file and key file)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.monotonic() + 0.3
    clients = [
        context.Process(
            target=_client, args=(port, library, start_at, start_at + seconds, results, apns)
        )
        for _ in range(processes)
    ]
    for client in clients:
        client.start()
    try:
        outcomes = [results.get(timeout=seconds + 30) for _ in clients]
    finally:
        for client in clients:
            client.join(timeout=5)
            if client.is_alive():
                client.kill()
    done = sum(o[0] for o in outcomes)
    elapsed = max(o[1] for o in outcomes)
    return {"requests": done, "elapsed_s": elapsed, "per_s": done / elapsed, "library": library}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="bench.dispatch_receiver", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve")
    serve_parser.add_argument("--port", type=int, required=True)
    serve_parser.add_argument("--apns-port", type=int, default=0)
    serve_parser.add_argument("--ca-file", default="", help="where the APNs CA is written")
    serve_parser.add_argument("--apns-key-file", default="", help="the .p8 key the JWT is from")
    serve_parser.add_argument(
        "--apns-server",
        choices=("h2", "nginx"),
        default="h2",
        help="who answers APNs: this process (Python h2) or nginx (bench/dispatch_nginx.py)",
    )
    load_parser = commands.add_parser("load")
    load_parser.add_argument("--port", type=int, required=True)
    load_parser.add_argument("--processes", type=int, default=1)
    load_parser.add_argument("--seconds", type=float, default=3.0)
    load_parser.add_argument(
        "--library", choices=("http.client", "requests", "httpx-h2"), default="requests"
    )
    load_parser.add_argument("--apns-port", type=int, default=0)
    load_parser.add_argument("--ca-file", default="")
    load_parser.add_argument("--apns-key-file", default="")
    args = parser.parse_args(argv)
    if args.command == "serve":
        asyncio.run(
            serve(args.port, args.apns_port, args.ca_file, args.apns_key_file, args.apns_server)
        )
    else:
        apns = {"port": args.apns_port, "ca_file": args.ca_file, "key_file": args.apns_key_file}
        print(json.dumps(load(args.port, args.processes, args.seconds, args.library, apns)))


if __name__ == "__main__":
    main(sys.argv[1:])
