"""/metrics (backend/metrics_view.py): off without a token, refused with a wrong one; the
counters move when Ana reports and the alert state is read from the database at scrape."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dashboard import report

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. 'diary_findings_total{severity="emergency"}'."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> str:
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        return answer.content.decode()

    return get


def test_without_a_token_set_there_is_no_metrics_endpoint(client, settings):
    settings.METRICS_TOKEN = ""

    assert client.get("/metrics").status_code == 404


def test_a_wrong_or_missing_token_is_refused(client, settings):
    settings.METRICS_TOKEN = TOKEN

    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer not-it"})
    assert wrong.status_code == 401


def test_ana_s_red_flag_moves_the_entry_and_finding_counters_and_opens_an_alert(
    scrape, anas_block, nurse_nia
):
    before = scrape()
    report(anas_block, 20, 4, bowel_bladder_change=True)
    after = scrape()

    assert (
        value(after, "diary_entries_recorded_total")
        == value(before, "diary_entries_recorded_total") + 1
    )
    emergency = 'diary_findings_total{severity="emergency"}'
    assert value(after, emergency) == value(before, emergency) + 1
    assert value(after, 'diary_alerts_open{severity="emergency",state="open"}') == 1
    assert value(after, 'diary_alert_oldest_unacknowledged_seconds{severity="emergency"}') >= 0
    assert 'diary_queue_depth{queue="celery"}' in after or "diary_queue_depth" not in after


def test_the_oldest_unacknowledged_alert_s_age_is_read_at_scrape(scrape, anas_block, time_machine):
    report(anas_block, 20, 4, bowel_bladder_change=True)
    time_machine.move_to(timezone.now() + timedelta(minutes=11))

    age = value(scrape(), 'diary_alert_oldest_unacknowledged_seconds{severity="emergency"}')

    assert 600 < age < 700
