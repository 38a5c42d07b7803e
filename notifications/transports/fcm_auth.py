"""The FCM HTTP v1 access token: minted here, in the worker, from a service-account key.

google-auth signs the JWT grant with the key and trades it at the key's ``token_uri`` for
an OAuth2 access token (an hour's life); the token is kept per process and traded again
when google-auth counts it as about to expire (a few minutes early) or FCM answers 401.

The trade happens inside a send, so it is held to the send's time bound: one try, no
google-auth retries (its back-off sleeps between them), and a total deadline of one
``NOTIFY_HTTP_TIMEOUT``; the push itself then gets what is left of twice that, so a send
that had to mint a token still ends inside its lease (DELIVERY_SEND_LEASE_SECONDS).
"""

import json
import os
import threading
import time

import google.auth.exceptions
import google.auth.transport.urllib3
import urllib3
from google.oauth2 import service_account

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"


class TokenUnavailable(Exception):
    """No access token: the key file is unusable, or the token endpoint said no or was
    unreachable. ``error_code`` is safe to log (``invalid_grant``, ``timeout``…)."""

    def __init__(self, error_code: str, *, key_problem: bool = False):
        super().__init__(error_code)
        self.error_code = error_code
        self.key_problem = key_problem


class _OneTry:
    """google-auth's urllib3 transport, allowed one request within one deadline.

    A refused answer is raised at once rather than returned: returned, google-auth would
    sleep and try again, past the send's time bound.
    """

    def __init__(self, http: urllib3.PoolManager, timeout: float):
        self._inner = google.auth.transport.urllib3.Request(http)
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout, total=timeout)

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        response = self._inner(
            url, method=method, body=body, headers=headers, timeout=self._timeout, **kwargs
        )
        if response.status != 200:
            raise TokenUnavailable(_oauth_error(response.status, response.data))
        return response


def _oauth_error(status: int, data: bytes) -> str:
    """The OAuth error code of a refusal (``invalid_grant``), or its HTTP status."""
    try:
        code = json.loads(data).get("error")
    except (ValueError, AttributeError):
        code = None
    return str(code) if isinstance(code, str) and code else f"token-http-{status}"


class AccessToken:
    """One per process; thread-safe. The credentials are read again when the key file
    changes (a rotated key is used without a restart)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._credentials = None
        self._read: tuple | None = None  # (path, mtime) the credentials came from
        self._http = urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
        os.register_at_fork(after_in_child=self._after_fork)

    def get(self, key_file: str, *, timeout: float) -> tuple[str, float]:
        """The access token, and the seconds spent minting one (0.0 when kept)."""
        with self._lock:
            credentials = self._load(key_file)
            if credentials.valid:
                return credentials.token, 0.0
            started = time.monotonic()
            try:
                credentials.refresh(_OneTry(self._http, timeout))
            except google.auth.exceptions.TransportError as exc:
                timed_out = _caused_by(exc, urllib3.exceptions.TimeoutError)
                raise TokenUnavailable(
                    "token-timeout" if timed_out else "token-unreachable"
                ) from exc
            except google.auth.exceptions.RefreshError as exc:  # a 200 without a token
                raise TokenUnavailable("token-refused") from exc
            return credentials.token, time.monotonic() - started

    def expire(self, token: str) -> None:
        """FCM refused this token (revoked, or the key was rotated): mint anew next time."""
        with self._lock:
            if self._credentials is not None and self._credentials.token == token:
                self._credentials.token = None

    def _load(self, key_file: str):
        try:
            read = (key_file, os.stat(key_file).st_mtime_ns)
        except OSError as exc:
            raise TokenUnavailable("key-file-unreadable", key_problem=True) from exc
        if read != self._read:
            try:
                self._credentials = service_account.Credentials.from_service_account_file(
                    key_file, scopes=[SCOPE]
                )
            except (ValueError, KeyError, OSError) as exc:
                raise TokenUnavailable("key-file-invalid", key_problem=True) from exc
            self._read = read
        return self._credentials

    def _after_fork(self) -> None:
        self._http.clear()
        self._lock = threading.Lock()


def _caused_by(exc: BaseException, kind: type) -> bool:
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
