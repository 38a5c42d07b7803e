"""The staff list endpoints read a fixed number of queries however big the clinic is: a
page's rows come with what they show (no query per row), and the count is one query."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.dashboard import emergency
from tests.factories import PatientFactory, make_procedure

pytestmark = pytest.mark.django_db


def clinic_of(clinic, dr_cole, count: int) -> list:
    """``count`` patients, each with a block and a red-flag entry that raised an alert
    (with its event, finding and entry, which the alerts list shows)."""
    now = timezone.now()
    blocks = []
    for number in range(count):
        patient = PatientFactory(clinic=clinic, display_name=f"Patient {number:03d}")
        block = make_procedure(
            patient, proceduralist=dr_cole, performed_at=now - timedelta(hours=3, minutes=number)
        )
        emergency(block)
        blocks.append(block)
    return blocks


# Token, count, page, and the audit row with the page's ids; the alerts list also reads the
# page's events in one more query, joined to their findings, the findings' entries and rule
# sets, and the actors (it was 4 queries more, one a relation, before
# notifications.api.alert_serializers.alerts_for_api).
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/procedures/?page_size=50", 4),
        ("/api/v1/patients/?page_size=50", 4),
        ("/api/v1/alerts/?page_size=50", 5),
    ],
)
@pytest.mark.parametrize("count", [3, 30])
def test_a_list_reads_the_same_queries_for_3_blocks_as_for_30(
    as_cole, north, dr_cole, url, queries, count, django_assert_num_queries
):
    clinic_of(north, dr_cole, count)

    with django_assert_num_queries(queries):
        response = as_cole.get(url)

    assert response.status_code == 200
    assert response.data["count"] == count and len(response.data["results"]) == count


def test_a_page_links_to_the_next_and_counts_the_whole_list(as_cole, north, dr_cole):
    blocks = clinic_of(north, dr_cole, 4)

    first = as_cole.get("/api/v1/procedures/?page_size=3").data
    assert first["count"] == 4 and first["next"].endswith("/api/v1/procedures/?page=2&page_size=3")
    # Newest first, as before.
    assert [row["id"] for row in first["results"]] == [b.pk for b in blocks[:3]]
    second = as_cole.get(first["next"]).data
    assert [row["id"] for row in second["results"]] == [blocks[3].pk]
