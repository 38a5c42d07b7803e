"""Strict readers for settings that must not be guessed."""

import os

from django.core.exceptions import ImproperlyConfigured


def strict_bool(name: str, *, default: bool) -> bool:
    """Read a boolean that is exactly ``true`` or ``false``.

    Why: ``DEBUG=flase`` silently meaning False (or "yes" meaning True) hides a typo in
    the one setting that decides whether secrets and tracebacks leak.
    """
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {raw!r}")
    return value == "true"


def read_secret(name: str, *, default: str | None) -> str:
    """Read a secret from ``NAME`` or from the file named in ``NAME_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    value = os.environ.get(name)
    if value:
        return value
    if default is None:
        raise ImproperlyConfigured(f"{name} must be set (or {name}_FILE) when DEBUG is not true")
    return default
