"""The APNs provider token: a JWT signed here, in the worker, with the team's ``.p8`` key.

https://developer.apple.com/documentation/usernotifications/establishing-a-token-based-connection-to-apns

Apple refuses a token an hour after its ``iat`` (ExpiredProviderToken) and refuses new ones
signed more often than every 20 minutes (TooManyProviderTokenUpdates), so one token is kept
per process and re-signed only when it has reached ``APNS_TOKEN_REFRESH_SECONDS``.
"""

import hashlib
import threading
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


class InvalidKey(ValueError):
    """The key cannot sign: not a PEM EC private key (the ``.p8`` Apple gives out)."""


@dataclass(frozen=True)
class _Signed:
    identity: tuple  # (sha256 of the key, key id, team id): a rotated key signs anew
    token: str
    issued_at: int


class ProviderToken:
    """One per process; thread-safe (a threaded worker's sends share it)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._signed: _Signed | None = None
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}

    def get(self, *, key: str, key_id: str, team_id: str, refresh_seconds: int) -> str:
        """The current token, signed anew when it is older than ``refresh_seconds`` or the
        key, key id or team id changed."""
        digest = hashlib.sha256(key.encode()).hexdigest()
        identity = (digest, key_id, team_id)
        now = int(time.time())
        with self._lock:
            signed = self._signed
            if (
                signed is None
                or signed.identity != identity
                or now - signed.issued_at >= refresh_seconds
                # A clock set back (or a token from the future) must not keep a token alive.
                or now < signed.issued_at
            ):
                token = jwt.encode(
                    {"iss": team_id, "iat": now},
                    self._private_key(digest, key),
                    algorithm="ES256",
                    headers={"kid": key_id},
                )
                signed = self._signed = _Signed(identity, token, now)
            return signed.token

    def expire(self, token: str) -> None:
        """Apple said this token expired (our clock, or a suspended process): sign anew on
        the next send rather than wait out the refresh interval."""
        with self._lock:
            if self._signed is not None and self._signed.token == token:
                self._signed = None

    def _private_key(self, digest: str, pem: str) -> ec.EllipticCurvePrivateKey:
        # Parsing the PEM costs more than signing: once per key, not once per token.
        if digest not in self._keys:
            try:
                loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise InvalidKey("APNS_KEY is not a PEM private key") from exc
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise InvalidKey("APNS_KEY is not an EC (P-256) private key")
            self._keys = {digest: loaded}
        return self._keys[digest]
