"""Request-rate limits that a cache outage cannot turn into refused patients.

The counts live in the cache (Redis in production). When it cannot be reached, a throttle
falls back to a count of this process's own (local memory) instead of failing the request:
a patient's red-flag report must be stored, triaged and advised while Redis is down, and a
login or enrolment guesser still meets a limit, if a per-process one. Each fallback is
logged and counted (``FALLBACKS``).
"""

import logging
from collections import Counter

import redis
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from diary.models import Patient

log = logging.getLogger(__name__)

# What the cache raises when its server is down or slow (redis-py wraps socket errors, but
# a refused connection can surface as OSError on some paths).
CACHE_ERRORS = (redis.RedisError, OSError)
_LOCAL = LocMemCache("throttle-fallback", {"MAX_ENTRIES": 100_000})
FALLBACKS: Counter = Counter()  # scope -> requests counted locally since the process started


class LocalFallbackMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            scope = getattr(self, "scope", None) or type(self).__name__
            FALLBACKS[scope] += 1
            log.warning("throttle %s: cache unreachable (%s); counting locally", scope, error)
            self.cache = _LOCAL
            return super().allow_request(request, view)


class PatientRateThrottle(LocalFallbackMixin, SimpleRateThrottle):
    """Per-patient request rate, keyed apart from staff users (their ids overlap)."""

    scope = "patient"

    def get_cache_key(self, request, view):
        if not isinstance(request.user, Patient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ScopedThrottle(LocalFallbackMixin, ScopedRateThrottle):
    """DRF's per-scope rate (enrol, login), falling back to a local count."""
