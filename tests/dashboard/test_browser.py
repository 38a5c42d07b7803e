"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright against
pytest-django's live server. Dr Cole reads a block's chart and verdict; nurse Nia watches a
new emergency arrive on the alert board without reloading, and takes it; Omar gets nothing
of North's.

Browser set-up in ``tests/browser.py``.

``SCREENSHOTS=1`` also saves the three main pages to ``docs/screenshots/``.
"""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications import alerts
from notifications.models import Alert, AlertState, OnCallShift
from notifications.services import tick
from notifications.tasks import send_deliveries
from tests.browser import (
    SCREENSHOTS_DIR,
    assert_accessible,
    chromium_context,
    console_errors,
    expect,
)
from tests.dashboard import PASSWORD, emergency, report, work_diary
from tests.factories import PatientFactory, make_procedure

TABLET = {"width": 1024, "height": 768}
# The board polls every 5 s: a new alert shows within one poll; this allows three.
WITHIN_SECONDS = 15_000

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chromium(tmp_path):
    with chromium_context(tmp_path / "chromium-profile", viewport=TABLET) as context:
        yield context


@pytest.fixture(autouse=True)
def _queue_boundary(monkeypatch):
    """Pages to staff are queued after commit; this test has no worker, so they are recorded
    at the queue boundary instead of written to a broker folder a dev worker might read."""
    queued = []
    monkeypatch.setattr(
        send_deliveries._get_current_object(), "apply_async", lambda *a, **k: queued.append(a)
    )
    return queued


def sign_in(chromium, live_server, username):
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.errors = console_errors(page)
    page.goto(f"{live_server.url}/dashboard/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    return page


def test_dr_cole_opens_a_block_and_sees_its_chart_and_verdict(chromium, live_server, anas_block):
    work_diary(anas_block)
    page = sign_in(chromium, live_server, "dr.cole")

    page.get_by_role("link", name="Ana Silva").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Silva")
    chart = page.locator("canvas#relief-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", "Relief peaked at 87.5 % " + _rest_of_summary())
    # The vendored Chart.js is a deferred script: on a loaded machine the canvas is visible
    # (server-rendered) before the script has run, so wait for the chart, then read it.
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && Chart.getChart('relief-chart') !== undefined"
    )
    # Chart.js drew the readings, the threshold and the missed 45-minute check-in.
    drawn = page.evaluate(
        """() => Chart.getChart("relief-chart").data.datasets
                   .map(set => set.data.map(point => [point.x, point.y]))"""
    )
    assert drawn == [[[15, 62.5], [30, 87.5], [60, 87.5]], [[0, 80], [240, 80]], [[45, 0]], []]
    verdict = page.locator("section", has=page.get_by_role("heading", name="Verdict"))
    expect(verdict.locator(".verdict")).to_have_text("provisional, leaning positive")
    expect(verdict).to_contain_text("could do a previously painful activity")
    readings = page.locator("table.readings")
    expect(readings).to_contain_text("87.5 %")
    expect(readings.locator("tbody tr")).to_have_count(3)
    assert page.errors == []  # nothing refused by the Content-Security-Policy
    assert_accessible(page)
    page.get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    assert_accessible(page)


def _rest_of_summary() -> str:
    return (
        "30 min after the block and was at or above the 80 % threshold for 30 min; "
        "the expected lidocaine window is the first 3 h; 1 missed check-in."
    )


def test_nia_sees_a_new_emergency_arrive_without_reloading_and_acknowledges_it(
    chromium, live_server, nurse_nia, bens_block
):
    page = sign_in(chromium, live_server, "nia")
    page.get_by_role("link", name="Alert board").click()
    open_list = page.locator("#board")
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    page.evaluate("() => { window.sameDocument = true; }")  # lost on any reload

    emergency(bens_block)  # Ben's phone reports a bowel or bladder change now

    card = open_list.locator("ul[data-list=open] > li", has_text="Ben Okafor")
    expect(card).to_be_visible(timeout=WITHIN_SECONDS)
    expect(card.locator(".badge")).to_have_text("emergency")
    expect(page.locator("#board-status")).to_contain_text("1 open alert (1 emergency)")
    assert page.evaluate("() => window.sameDocument") is True
    assert_accessible(page)

    card.get_by_role("button", name="Acknowledge").click()

    expect(open_list.locator("ul[data-list=open]")).to_have_count(0)
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    taken = open_list.locator("ul[data-list=acknowledged] > li", has_text="Ben Okafor")
    expect(taken).to_contain_text("acknowledged by nia")
    assert page.evaluate("() => window.sameDocument") is True
    alert = Alert.objects.get(procedure=bens_block)
    assert (alert.state, alert.acknowledged_by) == (AlertState.ACKNOWLEDGED, nurse_nia)
    assert page.errors == []  # htmx's polling and swaps within the Content-Security-Policy


def test_a_resolve_note_being_typed_survives_the_boards_refresh(
    chromium, live_server, nurse_nia, bens_block, ben
):
    emergency(bens_block)
    page = sign_in(chromium, live_server, "nia")
    page.goto(f"{live_server.url}/dashboard/alerts/")
    note = page.get_by_label("Resolution note")
    note.fill("Called Ben, on his way to A&E")

    later = make_procedure(ben, performed_at=timezone.now() - timedelta(hours=5), side="left")
    report(later, 5 * 60, 3, numbness="left_leg")  # a second alert changes the board

    expect(page.locator("ul[data-list=open] > li")).to_have_count(2, timeout=WITHIN_SECONDS)
    expect(page.locator(f"#note-{Alert.objects.get(procedure=bens_block).pk}")).to_have_value(
        "Called Ben, on his way to A&E"
    )


def test_omar_gets_nothing_of_norths(chromium, live_server, omar, anas_block, bens_block):
    work_diary(anas_block)
    emergency(bens_block)
    alert = Alert.objects.get(procedure=bens_block)
    page = sign_in(chromium, live_server, "omar")

    expect(page.locator("main")).not_to_contain_text("Ana Silva")
    expect(page.get_by_text("No alerts to resolve.")).to_be_visible()
    page.get_by_role("link", name="Alert board").click()
    expect(page.locator("#board")).not_to_contain_text("Ben Okafor")
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    for path in (f"procedures/{anas_block.pk}/", f"alerts/{alert.pk}/"):
        response = page.goto(f"{live_server.url}/dashboard/{path}")
        assert response.status == 404
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()


# --- Screenshots for the README (SCREENSHOTS=1) ---------------------------------------------


@pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1", reason="set SCREENSHOTS=1 to save them")
def test_save_screenshots_of_the_three_main_pages(
    chromium, live_server, north, dr_cole, nurse_nia, ana, ben, anas_block, bens_block
):
    for user, first, last in ((dr_cole, "Ellen", "Cole"), (nurse_nia, "Nia", "Evans")):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=north,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=10),
    )
    work_diary(anas_block)
    report(anas_block, 90, 1, activity="walking to the shop", activity_ok=True)
    report(anas_block, 120, 2)
    emergency(bens_block)
    cara = PatientFactory(clinic=north, display_name="Cara Byrne")
    caras = make_procedure(cara, performed_at=now - timedelta(hours=6), anesthetic="bupivacaine")
    for minutes, pain in ((15, 6), (30, 5), (60, 5), (120, 4)):
        report(caras, minutes, pain)
    report(caras, 5 * 60, 4, numbness="left_leg")  # still numb after 4 h: urgent
    dev = PatientFactory(clinic=north, display_name="Dev Patel")
    devs = make_procedure(dev, performed_at=now - timedelta(hours=30), levels="L5-S1")
    report(devs, 20, 2)
    report(devs, 45, 1, fever=True, temperature_celsius=Decimal("38.6"))
    alerts.acknowledge_alert(Alert.objects.get(procedure=devs), nurse_nia)
    finn = PatientFactory(clinic=north, display_name="Finn Walsh")
    finns = make_procedure(finn, performed_at=now - timedelta(hours=28), side="right")
    report(finns, 20 * 60, 3, site_problem=True)
    alerts.resolve_alert(
        Alert.objects.get(procedure=finns), nurse_nia, "Photo of the site checked: no infection."
    )
    tick()  # beat's tick: check-ins now open become due, as on a running system
    # As if raised a while ago, so the ages read like a real shift.
    for procedure, minutes in ((bens_block, 3), (caras, 25), (devs, 70), (finns, 200)):
        Alert.objects.filter(procedure=procedure).update(
            created_at=now - timedelta(minutes=minutes)
        )
    make_procedure(
        PatientFactory(clinic=north, display_name="Eve Marsh"),
        performed_at=now + timedelta(hours=18),
        levels="L3-L4,L4-L5",
        side="bilateral",
    )

    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    page = sign_in(chromium, live_server, "dr.cole")
    page.screenshot(path=SCREENSHOTS_DIR / "today.png", full_page=True)
    page.goto(f"{live_server.url}/dashboard/procedures/{anas_block.pk}/")
    page.wait_for_function(
        "() => typeof Chart !== 'undefined' && Chart.getChart('relief-chart') !== undefined"
    )
    page.screenshot(path=SCREENSHOTS_DIR / "procedure.png", full_page=True)
    page.goto(f"{live_server.url}/dashboard/alerts/")
    page.screenshot(path=SCREENSHOTS_DIR / "alert-board.png", full_page=True)
