"""The production settings plus the bench's no-op endpoint.

Everything else comes from the environment exactly as in production, so the bench
measures the same middleware, authentication, throttling and database set-up.
"""

import os

from backend.settings import *  # noqa: F403
from backend.settings import CACHES

ROOT_URLCONF = "bench.urls"

# A prefix per run: the throttle's per-patient history from an earlier run (same
# patient ids in a re-created database) must not leak into this one.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_PREFIX", "bench")
