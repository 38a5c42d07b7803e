"""Enrollment codes and bearer tokens: generated at random, stored only as a keyed hash."""

import hashlib
import hmac
import secrets

from django.conf import settings

# No 0/O, 1/I/L, 5/S or 2/Z: a code is read aloud or typed from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"
CODE_LENGTH = 10  # 27**10 ≈ 2**47 codes: guessing needs far more tries than throttling allows


def new_enrollment_code() -> str:
    """A code such as ``KXT4R-9WPHA`` (the dash is for reading; it is optional when typed)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(typed: str) -> str:
    """What the patient typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in typed.upper() if ch not in " -")


def hash_secret(value: str) -> str:
    """Keyed hash, so a copy of the database alone cannot be used to test guesses."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def hash_code(code: str) -> str:
    return hash_secret("enroll:" + normalize_code(code))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # 256 random bits need no key; unkeyed, tokens survive a SECRET_KEY rotation.
    return hashlib.sha256(token.encode()).hexdigest()
