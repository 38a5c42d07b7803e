"""Today and the alert board in a busy clinic: a page of the most urgent rows, the rest
counted and a link away, and the same number of queries whatever the clinic's size."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Alert, AlertState
from tests.dashboard import report
from tests.factories import PatientFactory, make_procedure
from web.dashboard import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def cole(dr_cole):
    client = Client()
    client.force_login(dr_cole)
    client.get("/dashboard/")  # the session settles: later requests all read the same
    return client


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def blocks(clinic, count: int, hours_ago: float = 2) -> list:
    """``count`` patients, each with a block ``hours_ago`` (a minute apart) and a reading."""
    now = timezone.now()
    made = []
    for number in range(count):
        patient = PatientFactory(clinic=clinic, display_name=f"Patient {number:03d}")
        block = make_procedure(
            patient, performed_at=now - timedelta(hours=hours_ago, minutes=number)
        )
        report(block, 15, 3)
        # Only alerts and age order these rows: no check-in waiting or missed.
        block.checkins.exclude(status="answered").update(status="upcoming")
        made.append(block)
    return made


def raise_alert(
    block, severity="urgent", state=AlertState.OPEN, minutes_ago=0, rule="numbness_persisting"
) -> Alert:
    alert = Alert.objects.create(
        clinic=block.patient.clinic,
        patient=block.patient,
        procedure=block,
        rule=rule,
        severity=severity,
        state=state,
        reason="Leg numbness persisting beyond the expected window",
    )
    # created_at is auto_now_add: age it afterwards, as the board sorts by it.
    Alert.objects.filter(pk=alert.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    alert.refresh_from_db()
    return alert


# --- Today ----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
def test_today_reads_the_same_queries_for_3_blocks_as_for_30(
    cole, north, count, django_assert_num_queries
):
    for block in blocks(north, count)[::3]:
        raise_alert(block)
    # As pinned in test_pages: 17, whether the page holds 3 rows or a full page of 10; and
    # the audit trail's two rows, the blocks shown and the live alerts shown.
    with django_assert_num_queries(19):
        response = cole.get("/dashboard/")
    assert len(response.context["recent"]) == min(count, queries.TODAY_SHOWN)


def test_today_shows_a_page_of_the_most_urgent_blocks_and_links_to_the_rest(cole, north):
    made = blocks(north, 30)
    newest_alert = raise_alert(made[29], severity="urgent")
    emergency = raise_alert(made[28], severity="emergency")
    taken = raise_alert(made[27], severity="emergency", state=AlertState.ACKNOWLEDGED)

    response = cole.get("/dashboard/")
    page = text(response)

    rows = response.context["recent"]
    assert len(rows) == queries.TODAY_SHOWN == 10
    # Open before taken, emergency before urgent; then the newest blocks.
    assert [row.alerts for row in rows[:3]] == [[emergency], [newest_alert], [taken]]
    assert [row.procedure for row in rows[3:]] == made[:7]
    assert "Blocks in the last 72 hours 30" in page
    assert "Blocks 1 to 10 of 30 (page 1 of 3)" in page
    assert 'href="?page=2#recent-title"' in response.content.decode()
    # Verdicts for the rows shown only.
    assert all(row.verdict is not None for row in rows)

    second = cole.get("/dashboard/?page=2")
    assert [row.procedure for row in second.context["recent"]] == made[7:17]
    assert "Blocks 11 to 20 of 30 (page 2 of 3)" in text(second)
    # A page past the end shows the last; nonsense shows the first.
    assert cole.get("/dashboard/?page=9").context["recent_page"].number == 3
    assert cole.get("/dashboard/?page=x").context["recent_page"].number == 1


def test_a_block_waiting_for_an_answer_comes_before_one_with_missed_check_ins(cole, ana, ben):
    now = timezone.now()
    missed = make_procedure(ana, performed_at=now - timedelta(hours=30))
    waiting = make_procedure(ben, performed_at=now - timedelta(hours=40))
    missed.checkins.filter(due_at__lte=now).update(status="missed")
    waiting.checkins.filter(due_at__lte=now).update(status="missed")
    waiting.checkins.filter(pk=waiting.checkins.first().pk).update(status="due")

    rows = cole.get("/dashboard/").context["recent"]

    assert [row.procedure for row in rows] == [waiting, missed]
    assert rows[0].due == 1


def test_today_lists_the_most_urgent_live_alerts_and_counts_them_all(cole, north):
    made = blocks(north, 12)
    for number, block in enumerate(made):
        raise_alert(block, minutes_ago=number)
    emergency = raise_alert(made[0], severity="emergency", rule="bowel_bladder")

    response = cole.get("/dashboard/")

    shown = response.context["live_alerts"]
    assert len(shown) == queries.TODAY_ALERTS_SHOWN and shown[0] == emergency
    # Then the urgent ones, the longest waiting first.
    assert shown[1].procedure == made[11]
    assert "Alerts not yet resolved 13" in text(response)
    assert "The 5 most urgent of 13; the alert board has them all." in text(response)


# --- The alert board ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("url", ["/dashboard/alerts/", "/dashboard/alerts/board/"])
def test_the_board_reads_the_same_queries_for_3_alerts_as_for_30(
    cole, north, count, url, django_assert_num_queries
):
    for number, block in enumerate(blocks(north, count)):
        state = AlertState.ACKNOWLEDGED if number % 3 == 0 else AlertState.OPEN
        raise_alert(block, state=state)
    # Session, user, membership, clinic; the counts, the most urgent open and acknowledged
    # alerts, the latest resolved; who is on call and the coverage check (with the staff
    # addresses switched off); the session's new expiry (3 with its savepoint); the audit row
    # of the alerts shown.
    with django_assert_num_queries(15):
        response = cole.get(url)
    board = response.context["board"]
    assert len(board.open) == min(board.open_count, queries.BOARD_SHOWN)


def test_the_board_shows_the_most_urgent_open_alerts_and_counts_the_rest(cole, north):
    made = blocks(north, 20)
    for number, block in enumerate(made):
        raise_alert(block, minutes_ago=number)  # the first block's alert is the newest
    emergency = raise_alert(made[5], severity="emergency", rule="bowel_bladder")

    response = cole.get("/dashboard/alerts/")
    page = text(response)

    board = response.context["board"]
    assert len(board.open) == queries.BOARD_SHOWN == 6
    assert board.open[0] == emergency
    assert [a.procedure for a in board.open[1:]] == made[:-6:-1]  # the longest waiting
    assert "Open 21" in page
    assert "15 more open alerts, less urgent or raised later: show all 21 open alerts" in page
    assert "21 open alerts (1 emergency); 0 acknowledged" in page

    everything = cole.get("/dashboard/alerts/?all=1")
    assert len(everything.context["board"].open) == 21
    assert "Showing every live alert." in text(everything)
    poll = re.search(r'hx-get="([^"]+)"', everything.content.decode()).group(1)
    assert poll.endswith("&amp;all=1")


def test_a_change_to_an_alert_not_shown_still_refreshes_the_board(cole, north):
    made = blocks(north, 8)
    alerts = [raise_alert(block, minutes_ago=100 - number) for number, block in enumerate(made)]
    page = cole.get("/dashboard/alerts/").content.decode()
    poll = re.search(r'hx-get="([^"]+)"\s+hx-trigger', page).group(1)
    assert alerts[-1] not in cole.get("/dashboard/alerts/").context["board"].open
    assert cole.get(poll, headers={"HX-Request": "true"}).status_code == 204

    Alert.objects.filter(pk=alerts[-1].pk).update(priority="high", updated_at=timezone.now())

    changed = cole.get(poll, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    assert alerts[-1] in changed.context["board"].open  # a high priority now comes first
