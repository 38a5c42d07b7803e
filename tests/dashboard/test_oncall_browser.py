"""The on-call loop in a real browser: Mara (clinic admin) puts nurse Nia on the rota from a
tablet; Ben reports an emergency; Nia opens the alert from her page on a phone-sized screen
and acknowledges it. axe-core on every page either of them sees.

Browser set-up in ``tests/browser.py``; ``SCREENSHOTS=1`` saves the pages for the README.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from notifications.messages import alert_url
from notifications.models import Alert, AlertState, OnCallShift
from tests.browser import (
    assert_accessible,
    chromium_context,
    console_errors,
    expect,
    screenshot,
)
from tests.dashboard import PASSWORD, emergency

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """Pages are queued after commit; nothing here runs a worker, so the queue is a list."""
    from notifications.tasks import send_deliveries

    monkeypatch.setattr(send_deliveries._get_current_object(), "apply_async", lambda *a, **k: None)


def sign_in(page, live_server, username, then=""):
    page.goto(
        f"{live_server.url}/dashboard/login/?next={then}"
        if then
        else f"{live_server.url}/dashboard/login/"
    )
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_mara_puts_nia_on_the_rota_and_nia_acknowledges_from_her_phone(
    tmp_path, live_server, mara, nurse_nia, bens_block, settings
):
    settings.EMAIL_HOST = "mail.north.example.org"  # Nia can be paged by e-mail
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save(update_fields=["email"])

    with chromium_context(tmp_path / "tablet", viewport=TABLET) as tablet:
        page = tablet.new_page()
        errors = console_errors(page)
        sign_in(page, live_server, "mara")
        page.get_by_role("link", name="Rota").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("On-call rota")
        expect(page.get_by_text("No primary on call")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Who").select_option(label="nia")
        page.get_by_label("Role").select_option("primary")
        zone = ZoneInfo(bens_block.patient.clinic.timezone)  # the form takes clinic time
        start = timezone.now() - timedelta(hours=1)
        local = start.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        page.get_by_label("Starts (clinic time)").fill(local)
        end = (start + timedelta(hours=12)).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        page.get_by_label("Ends (clinic time)").fill(end)
        page.get_by_role("button", name="Add the shift").click()
        expect(page.get_by_role("status")).to_contain_text("Shift saved: nia.")
        assert_accessible(page)
        screenshot(page, "rota.png")
        page.get_by_role("link", name="Clinic").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("settings")
        assert_accessible(page)
        assert errors == []
    assert OnCallShift.objects.filter(user=nurse_nia, role="primary").exists()

    emergency(bens_block)  # Ben's phone reports a bowel or bladder change
    alert = Alert.objects.get()

    with chromium_context(tmp_path / "phone", viewport=PHONE, is_mobile=True) as phone:
        page = phone.new_page()
        errors = console_errors(page)
        # The page Nia received links to the alert; she signs in on the way.
        sign_in(page, live_server, "nia", then=alert_url(alert.pk).split("8000", 1)[-1])
        expect(page.get_by_role("heading", level=1)).to_contain_text("Alert for Ben Okafor")
        expect(page.get_by_text("Paged nia, on call (primary), by e-mail")).to_be_visible()
        expect(page.get_by_role("link", name=bens_block.patient.phone)).to_have_attribute(
            "href", f"tel:{bens_block.patient.phone}"
        )
        assert_accessible(page)
        # Nothing wider than the phone: no sideways scrolling of the whole page.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "alert-phone.png")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.get_by_role("term").filter(has_text="Acknowledged")).to_be_visible()
        assert errors == []

    alert.refresh_from_db()
    assert (alert.state, alert.acknowledged_by) == (AlertState.ACKNOWLEDGED, nurse_nia)
