"""The demo's loop in a real browser, as a newcomer follows it after ``make run``: nurse Nia
opens the outbox, follows Ana's reminder link to the web check-in, answers with a red flag,
and sees her own page arrive in the outbox, its link opening the alert.

No provider is configured: the local outbox keeps every SMS and e-mail. The worker's sends
are its task's function called here (there is no broker in this test); everything else is
the live server. Browser set-up in ``tests/browser.py``.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services as notify
from notifications.models import Delivery, DeliveryStatus, OnCallShift, OutboxMessage, Purpose
from notifications.tasks import send_deliveries
from tests.browser import assert_accessible, chromium_context, console_errors, expect, screenshot
from tests.dashboard import PASSWORD
from tests.factories import PatientFactory, make_procedure

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def browser(tmp_path):
    with chromium_context(tmp_path / "profile", viewport=LAPTOP) as context:
        yield context


@pytest.fixture
def demo(settings, live_server, monkeypatch):
    """``make run``'s set-up: no provider, the local outbox on, links to this server."""
    for name in ("FCM_PROJECT_ID", "APNS_TOPIC", "TWILIO_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.OUTBOX_CHANNEL = True
    settings.SITE_URL = live_server.url
    settings.WEB_CHECKIN_URL = f"{live_server.url}/c"
    # The queue boundary: what the web and beat hand the broker is sent below, by hand.
    monkeypatch.setattr(send_deliveries._get_current_object(), "apply_async", lambda *a, **k: None)
    return settings


def worker_sends_what_is_due() -> None:
    """What the main and alerts workers would do with what they were handed."""
    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    send_deliveries(list(pending.values_list("pk", flat=True)))


def test_nia_follows_ana_s_reminder_answers_with_a_red_flag_and_sees_her_page(
    browser, live_server, demo, north, nurse_nia
):
    north.emergency_number = "999"
    north.save(update_fields=["emergency_number"])
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save(update_fields=["email"])
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=north,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=4),
        ends_at=now + timedelta(hours=8),
    )
    ana = PatientFactory(clinic=north, display_name="Ana Silva", timezone="Europe/London")
    make_procedure(ana, performed_at=now - timedelta(hours=2, minutes=3))
    notify.tick()  # beat: the open 2 h check-in's reminder
    worker_sends_what_is_due()

    page = browser.new_page()
    errors = console_errors(page)
    page.goto(f"{live_server.url}/dashboard/outbox/")
    page.get_by_label("Username").fill("nia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Outbox", level=1)).to_be_visible()
    reminder = page.locator("tr.outbox-message[data-channel='sms']")
    expect(reminder).to_contain_text("Time for your check-in")
    assert_accessible(page)
    screenshot(page, "outbox-reminder.png")

    reminder.get_by_role("link", name="Open link").click()
    page.locator("#q-pain_score").get_by_role("radio", name="6", exact=True).check()
    bladder = page.get_by_role("group", name="Any new loss of control of your bladder or bowels?")
    bladder.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")

    worker_sends_what_is_due()  # the alerts worker pages Nia
    page.goto(f"{live_server.url}/dashboard/outbox/")
    nias_page = page.locator("tr.outbox-message[data-channel='email']")
    expect(nias_page).to_contain_text("Emergency alert")
    expect(nias_page).to_contain_text("nia@north.example.org")
    screenshot(page, "outbox-page-to-nia.png")
    nias_page.get_by_role("link", name="Open link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alert for Ana Silva")
    assert errors == []

    [kept_page] = OutboxMessage.objects.filter(delivery__purpose=Purpose.ALERT_PAGE)
    assert kept_page.address == "nia@north.example.org"
