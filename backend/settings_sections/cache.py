"""The cache, which holds only throttle counts: Redis when set, else local memory."""

from backend.settings_sections.base import REDIS_URL, env

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache holds only throttle counts: a Redis that is down or unreachable must
            # cost a request half a second at most (diary.api.throttles then counts locally),
            # never hang a patient's report.
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_TIMEOUT_SECONDS", default=0.5),
                "socket_timeout": env.float("CACHE_TIMEOUT_SECONDS", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
