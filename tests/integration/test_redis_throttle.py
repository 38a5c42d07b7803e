"""Enrolment attempts are counted in Redis, so every web process shares one count.

Each test uses its own key prefix in the Redis database and deletes only its own keys
afterwards: clearing the cache would flush the whole database, which may be shared.
"""

import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

ENROLL = "/api/v1/enroll/"
LIMIT = 5  # settings_test: "enroll": "5/min"


@pytest.fixture
def redis_cache(redis_url):
    """The default cache in Redis under a prefix of this test's own; yields the prefix."""
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    server = redis.Redis.from_url(redis_url)
    config = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    try:
        with override_settings(CACHES=config):
            caches.close_all()  # override_settings reset the handler; drop old clients too
            yield prefix
    finally:
        caches.close_all()
        keys = list(server.scan_iter(match=f"{prefix}:*"))
        if keys:
            server.delete(*keys)
        server.close()


def enrol(client, code="WRONG-CODE9"):
    return client.post(ENROLL, {"code": code}, format="json")


def throttle_keys(redis_url, prefix):
    server = redis.Redis.from_url(redis_url)
    try:
        return [k.decode() for k in server.scan_iter(match=f"{prefix}:*throttle_enroll*")]
    finally:
        server.close()


def test_the_test_settings_allow_five_enrolment_attempts_a_minute():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["enroll"] == f"{LIMIT}/min"


def test_the_cache_really_is_redis_during_these_tests(redis_cache):
    assert isinstance(caches["default"], RedisCache)
    cache.set("probe", 1)
    assert cache.get("probe") == 1


def test_two_phones_from_one_address_share_one_count_of_attempts(redis_url, redis_cache):
    first_phone, second_phone = APIClient(), APIClient()
    answers = [enrol(first_phone).status_code for _ in range(3)]
    answers += [enrol(second_phone).status_code for _ in range(2)]
    assert answers == [400] * LIMIT

    assert enrol(second_phone).status_code == 429
    blocked = enrol(first_phone)
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) <= 60


def test_the_count_lives_in_redis_where_another_process_sees_it(redis_url, redis_cache):
    phone = APIClient()
    for _ in range(LIMIT):
        enrol(phone)

    keys = throttle_keys(redis_url, redis_cache)
    assert keys == [f"{redis_cache}:1:throttle_enroll_127.0.0.1"]

    # Another web process: its own cache client, the same Redis.
    another_process = RedisCache(redis_url, {"KEY_PREFIX": redis_cache})
    history = another_process.get("throttle_enroll_127.0.0.1")
    assert len(history) == LIMIT
    server = redis.Redis.from_url(redis_url)
    assert 0 < server.ttl(keys[0]) <= 60
    server.close()


def test_a_fresh_cache_client_still_refuses_the_sixth_attempt(redis_url, redis_cache):
    for _ in range(LIMIT):
        enrol(APIClient())
    caches.close_all()
    del caches["default"]  # the next request builds a new client, as a new process would
    assert enrol(APIClient()).status_code == 429


def test_a_phone_at_another_address_has_its_own_count(redis_url, redis_cache):
    for _ in range(LIMIT):
        enrol(APIClient())
    assert enrol(APIClient()).status_code == 429
    elsewhere = APIClient(REMOTE_ADDR="203.0.113.7")
    assert enrol(elsewhere).status_code == 400
    assert sorted(throttle_keys(redis_url, redis_cache)) == [
        f"{redis_cache}:1:throttle_enroll_127.0.0.1",
        f"{redis_cache}:1:throttle_enroll_203.0.113.7",
    ]


def test_even_the_right_code_is_refused_once_the_limit_is_reached(redis_url, redis_cache, ana):
    from diary import services

    code, _ = services.issue_enrollment_code(ana)
    for _ in range(LIMIT):
        enrol(APIClient())
    assert enrol(APIClient(), code).status_code == 429
    assert enrol(APIClient(REMOTE_ADDR="203.0.113.8"), code).status_code == 201
