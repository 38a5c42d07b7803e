"""Redis down must never cost a patient's report: with the production cache settings
pointing at a Redis of the test's own, stopped mid-test, red-flag entries are still stored,
triaged and advised (201), and enrolment is still limited, per process."""

import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from diary.api import throttles
from diary.models import DiaryEntry
from notifications.models import Alert
from tests.integration.processes import private_redis

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def stopped_cache(tmp_path):
    """The default cache as production has it (Redis, short timeouts), its server stopped."""
    with private_redis(tmp_path / "redis") as server:
        config = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
        with override_settings(CACHES=config):
            caches.close_all()
            server.stop()
            try:
                yield server
            finally:
                caches.close_all()


def test_red_flags_reported_while_redis_is_down_are_stored_triaged_and_advised(
    stopped_cache, as_ana, anas_block
):
    before = sum(throttles.FALLBACKS.values())
    for _ in range(3):
        body = {
            "client_id": str(uuid.uuid4()),
            "procedure": anas_block.id,
            "recorded_at": timezone.now().isoformat(),
            "pain_score": 4,
            "bowel_bladder_change": True,
        }
        response = as_ana.post("/api/v1/me/entries/", body, format="json")
        assert response.status_code == 201, response.content[:300]
        assert response["Content-Type"] == "application/json"
        assert response.json()["advice"]["level"] == "emergency"

    assert DiaryEntry.objects.filter(bowel_bladder_change=True).count() == 3
    assert Alert.objects.get(procedure=anas_block).severity == "emergency"
    assert sum(throttles.FALLBACKS.values()) - before >= 3  # each was counted locally


def test_enrolment_stays_limited_in_this_process_while_redis_is_down(stopped_cache):
    client = APIClient()
    answers = [
        client.post("/api/v1/enroll/", {"code": f"WRONG-{n:04d}"}, format="json").status_code
        for n in range(6)
    ]
    assert answers[:5] == [400] * 5  # settings_test: enroll 5/min
    assert answers[5] == 429
