"""nginx as bench/dispatch's APNs: HTTP/2 over TLS at C speed, beside the Python receiver.

Why: Apple's servers do not run on the worker's two cores, but the bench's receiver does.
The Python ``h2`` receiver (tests/notifications/apns_h2.py, what the tests prove the
transport against) spent about 1 ms of CPU per push, most of it decoding the provider
token's Huffman-coded header (h2 never indexes ``authorization``), so a mixed run measured
the receiver as much as the worker. nginx answers each ``POST /3/device/<token>`` with 200
and an ``apns-id``, offers only what its TLS listener negotiates (``h2`` by ALPN), and
writes one access-log line per push: arrival time, device token, ``apns-collapse-id`` and
the bearer token. The receiver process reads those lines into the same tally as FCM's
arrivals and checks each distinct provider token against the ``.p8`` key's public half, as
Apple would; a push whose token fails is counted ``refused`` (nginx has already answered
it 200, so a refused token shows in the bench's report, not in the worker's retries).

Needs Debian's ``nginx-light`` (or ``nginx``): ``apt-get install nginx-light``, and
preferably ``libnginx-mod-http-headers-more-filter`` (see HEADERS_MORE).
"""

import shutil
import signal
import subprocess
from pathlib import Path

# '|' cannot occur in any of the logged values (a device token is hex, a collapse id is
# the bench's own ``checkin-…``, a JWT is base64url and dots).
LOG_FORMAT = "$msec|$uri|$http_apns_collapse_id|$http_authorization"
# Debian's libnginx-mod-http-headers-more-filter: with it, an answer carries what Apple's
# does (``:status`` and ``apns-id``), not nginx's Server, Date and Content-Type as well,
# which the worker would otherwise spend HPACK decoding on for every push.
HEADERS_MORE = Path("/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so")
CONFIG = """\
{load_module}
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    log_format apns '{log_format}';
    # A worker keeps its connection for the whole run, as Apple lets providers do.
    keepalive_timeout 3600s;
    keepalive_requests 10000000;
    server {{
        listen {host}:{port} ssl http2;
        ssl_certificate {dir}/cert.pem;
        ssl_certificate_key {dir}/key.pem;
        location /3/device/ {{
            access_log {dir}/apns-access.log apns;
            add_header apns-id $request_id always;
            {clear_headers}
            return 200;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"""


def available() -> bool:
    return shutil.which("nginx") is not None


class NginxApns:
    """One nginx master and worker, started and stopped by the receiver process."""

    def __init__(self, directory: Path, host: str, port: int):
        self.directory, self.host, self.port = directory, host, port
        self.log = directory / "apns-access.log"
        self.process: subprocess.Popen | None = None
        self._offset = 0
        self._partial = b""

    def start(self, ca) -> None:
        """Serve with a certificate from ``ca`` (trustme), the worker's APNS_CA_FILE."""
        self.directory.mkdir(parents=True, exist_ok=True)
        cert = ca.issue_cert(self.host, "localhost")
        cert.private_key_pem.write_to_path(str(self.directory / "key.pem"))
        with open(self.directory / "cert.pem", "wb") as chain:
            for pem in cert.cert_chain_pems:
                chain.write(pem.bytes())
        config = self.directory / "nginx.conf"
        apple_headers = HEADERS_MORE.exists()
        config.write_text(
            CONFIG.format(
                dir=self.directory,
                host=self.host,
                port=self.port,
                log_format=LOG_FORMAT,
                load_module=f"load_module {HEADERS_MORE};" if apple_headers else "",
                clear_headers=(
                    "more_clear_headers Server Date Content-Type Content-Length;"
                    if apple_headers
                    else ""
                ),
            )
        )
        self.log.write_bytes(b"")
        self.process = subprocess.Popen(
            ["nginx", "-p", str(self.directory), "-c", str(config), "-e", "stderr"],
            stdout=subprocess.DEVNULL,
        )

    def new_lines(self) -> list[tuple[float, str, str, str]]:
        """Pushes logged since the last call: (arrival time, device token, collapse id,
        provider token)."""
        with open(self.log, "rb") as handle:
            handle.seek(self._offset)
            data = self._partial + handle.read()
        self._offset += len(data) - len(self._partial)
        *lines, self._partial = data.split(b"\n")
        pushes = []
        for line in lines:
            at, uri, collapse_id, authorization = line.decode().split("|", 3)
            token = uri.removeprefix("/3/device/")
            pushes.append((float(at), token, collapse_id, authorization.removeprefix("bearer ")))
        return pushes

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
