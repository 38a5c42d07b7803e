"""A colleague's phone or e-mail that fails for good is switched off and named in the
coverage warnings; a page that comes back undelivered escalates to the next step at once.

Nia is primary and Ravi backup (``rota``); Ana's fever pages Nia by SMS (Twilio on the
local httpserver, with delivery receipts signed the way Twilio signs them) and by e-mail
(the local aiosmtpd server). The clock is frozen at Ana's report, 4.5 h after her block.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from diary.models import StaffMembership
from notifications import breaker, oncall
from notifications.models import Alert, AlertEventKind, AttemptReceipt, Delivery, DeliveryStatus
from tests.notifications.conftest import TWILIO_INVALID_NUMBER, callback, paged, twilio_posts

NIAS_PHONE = "+447700900555"
NIAS_EMAIL = "nia@north.example.org"


@pytest.fixture
def nia_on_call(rota, nurse_nia, north):
    """Nia Jones, primary on call, with a phone and an e-mail."""
    nurse_nia.first_name, nurse_nia.last_name = "Nia", "Jones"
    nurse_nia.save(update_fields=["first_name", "last_name"])
    StaffMembership.objects.filter(user=nurse_nia).update(phone=NIAS_PHONE)
    return nurse_nia


@pytest.fixture
def fever(nia_on_call, receipts_on, block, report, worker):
    """Ana reports a fever (urgent: the primary only); Nia's pages are sent."""
    report(block, 4.5, fever=True)
    worker()
    return Alert.objects.get()


def nias_text() -> Delivery:
    return Delivery.objects.get(channel="sms", address=NIAS_PHONE, step=0)


def fresh(user):
    """The user as stored now, with their membership (the fixture's is cached)."""
    return get_user_model().objects.select_related("membership").get(pk=user.pk)


def membership_of(user) -> StaffMembership:
    return StaffMembership.objects.get(user=user)


def post_receipt(client, receipts_on, delivery, status, code=None):
    form = callback(delivery, status, code)
    return twilio_posts(client, receipts_on.channels.twilio_token, **form).json()["outcome"]


# --- Switched off -----------------------------------------------------------------------


def test_a_page_twilio_refuses_switches_nias_phone_off_and_the_warnings_say_why(
    nia_on_call, receipts_on, block, report, worker, north, clock
):
    receipts_on.script(NIAS_PHONE, TWILIO_INVALID_NUMBER)
    report(block, 4.5, fever=True)
    worker()

    member = membership_of(nia_on_call)
    assert member.phone_disabled_at is not None
    assert "21211" in member.phone_disabled_reason
    assert oncall.working_channels(fresh(nia_on_call)) == ["email"]
    [warning] = [w for w in oncall.coverage_warnings(north, timezone.now()) if "Nia" in w]
    assert warning.startswith(f"Nia Jones's phone {NIAS_PHONE} was switched off: ")
    assert "21211" in warning
    assert warning.endswith("fix it on the staff page.")


def test_a_mailbox_the_server_refuses_switches_nias_e_mail_off(
    nia_on_call, receivers, block, report, worker, north, clock
):
    receivers.smtp.refuse.add(NIAS_EMAIL)
    report(block, 4.5, fever=True)
    worker()

    member = membership_of(nia_on_call)
    assert member.email_disabled_at is not None
    assert member.phone_disabled_at is None
    assert oncall.working_channels(fresh(nia_on_call)) == ["sms"]
    assert any(
        w.startswith(f"Nia Jones's e-mail {NIAS_EMAIL} was switched off: ")
        for w in oncall.coverage_warnings(north, timezone.now())
    )


def test_a_text_refused_while_sms_is_held_by_the_breaker_switches_nothing_off(
    nia_on_call, receipts_on, block, report, worker, settings
):
    settings.BREAKER_THRESHOLD = 1  # this one refusal holds SMS
    receipts_on.script(NIAS_PHONE, TWILIO_INVALID_NUMBER)
    report(block, 4.5, fever=True)
    worker()

    assert breaker.held_since("sms") is not None
    assert membership_of(nia_on_call).phone_disabled_at is None


def test_nia_replying_stop_to_a_page_switches_her_phone_off(fever, client, receipts_on, nurse_nia):
    assert post_receipt(client, receipts_on, nias_text(), "failed", "21610") == "escalated"

    member = membership_of(nurse_nia)
    assert member.phone_disabled_at is not None
    assert "STOP" in member.phone_disabled_reason


def test_a_stop_receipt_while_sms_is_held_switches_nothing_off(
    fever, client, receipts_on, nurse_nia
):
    cache.set(f"{breaker.PREFIX}:sms:open", 1.0, timeout=600)

    post_receipt(client, receipts_on, nias_text(), "failed", "21610")

    assert membership_of(nurse_nia).phone_disabled_at is None


def test_a_phone_out_of_reach_is_not_switched_off(fever, client, receipts_on, nurse_nia):
    post_receipt(client, receipts_on, nias_text(), "undelivered", "30003")

    assert membership_of(nurse_nia).phone_disabled_at is None


# --- Escalation -------------------------------------------------------------------------


def test_an_undelivered_page_pages_the_backup_at_once(fever, client, receipts_on, worker):
    assert post_receipt(client, receipts_on, nias_text(), "undelivered", "30003") == "escalated"

    fever.refresh_from_db()
    assert fever.escalation_step == 1
    assert fever.events.filter(
        kind=AlertEventKind.ESCALATED, detail__contains="was not delivered"
    ).exists()
    worker()
    assert "ravi@north.example.org" in paged(receipts_on.smtp)


def test_twilio_retrying_the_callback_escalates_only_once(fever, client, receipts_on):
    first = post_receipt(client, receipts_on, nias_text(), "undelivered", "30003")
    again = post_receipt(client, receipts_on, nias_text(), "undelivered", "30003")

    assert (first, again) == ("escalated", "ignored")
    fever.refresh_from_db()
    assert fever.escalation_step == 1
    assert Delivery.objects.filter(step=1).count() == 1  # Ravi's e-mail, once


def another_page_of_step_0(alert, user, address, message_sid, **attempt) -> Delivery:
    """One more SMS page of ``alert``'s first step to ``user``, sent (and, with
    ``receipt=``, its receipt already in)."""
    page = Delivery.objects.create(
        patient=alert.patient,
        alert=alert,
        event="triggered",
        step=0,
        staff=user,
        purpose="alert_page",
        channel="sms",
        address=address,
        status=DeliveryStatus.SENT,
        provider_id=message_sid,
        next_attempt_at=alert.created_at,
    )
    at = alert.created_at
    page.attempts_log.create(started_at=at, finished_at=at, outcome="sent", **attempt)
    return page


def test_two_failed_pages_of_one_step_escalate_it_once(
    fever, client, receipts_on, nurse_nia, north
):
    # Nia's second number (a shift phone) also went out at step 0, and fails too.
    second = another_page_of_step_0(fever, nurse_nia, "+447700900556", "SM-second")

    first = post_receipt(client, receipts_on, nias_text(), "undelivered", "30003")
    other = post_receipt(client, receipts_on, second, "undelivered", "30003")

    assert (first, other) == ("escalated", "recorded")
    fever.refresh_from_db()
    assert fever.escalation_step == 1


def test_an_acknowledged_alert_does_not_escalate_on_an_undelivered_page(
    fever, client, receipts_on, nurse_nia
):
    from notifications import alerts

    alerts.acknowledge_alert(fever, nurse_nia)

    assert post_receipt(client, receipts_on, nias_text(), "undelivered", "30003") == "recorded"
    fever.refresh_from_db()
    assert fever.escalation_step == 0


def test_a_page_of_the_step_that_arrived_keeps_the_usual_delay(
    fever, client, receipts_on, nurse_nia, north, clock
):
    # Nia's tablet number got its page of step 0: she has the alert.
    another_page_of_step_0(
        fever, nurse_nia, "+447700900557", "SM-arrived", receipt=AttemptReceipt.DELIVERED
    )

    assert post_receipt(client, receipts_on, nias_text(), "undelivered", "30003") == "recorded"
    fever.refresh_from_db()
    assert fever.escalation_step == 0


# --- Switched back on ---------------------------------------------------------------------


@pytest.fixture
def nias_phone_off(nurse_nia):
    """Nia's phone, switched off after she answered STOP to a page."""
    StaffMembership.objects.filter(user=nurse_nia).update(
        phone=NIAS_PHONE,
        phone_disabled_at=timezone.now(),
        phone_disabled_reason="replied STOP to SMS (Twilio error 21610)",
    )
    return nurse_nia


@pytest.fixture
def mara_by_api(mara):
    from tests.api.test_staff_admin_api import api_as

    return api_as(mara)


def test_mara_says_nias_phone_works_again_through_the_api(nias_phone_off, mara_by_api):
    path = f"/api/v1/staff/{membership_of(nias_phone_off).pk}/works-again/"

    answer = mara_by_api.post(path, {"address": "phone"}, format="json")
    again = mara_by_api.post(path, {"address": "phone"}, format="json")

    assert (answer.status_code, again.status_code) == (200, 200)
    assert (answer.json()["phone"], answer.json()["phone_disabled_at"]) == (NIAS_PHONE, None)
    assert membership_of(nias_phone_off).phone_disabled_reason == ""


def test_works_again_needs_phone_or_email(nias_phone_off, mara_by_api):
    path = f"/api/v1/staff/{membership_of(nias_phone_off).pk}/works-again/"

    answer = mara_by_api.post(path, {"address": "pager"}, format="json")

    assert answer.status_code == 400
    assert "address" in answer.json()["fields"]
    assert membership_of(nias_phone_off).phone_disabled_at is not None


def test_a_new_number_for_nia_starts_enabled(nias_phone_off, mara_by_api):
    path = f"/api/v1/staff/{membership_of(nias_phone_off).pk}/"

    answer = mara_by_api.patch(path, {"phone": "07911 123456"}, format="json")

    assert answer.status_code == 200, answer.content
    member = membership_of(nias_phone_off)
    assert (member.phone, member.phone_disabled_at) == ("+447911123456", None)


def test_a_phone_that_is_no_number_is_a_400_naming_the_field(nias_phone_off, mara_by_api):
    path = f"/api/v1/staff/{membership_of(nias_phone_off).pk}/"

    answer = mara_by_api.patch(path, {"phone": "12"}, format="json")

    assert answer.status_code == 400
    assert "phone" in answer.content.decode()
    assert membership_of(nias_phone_off).phone == NIAS_PHONE


def test_a_new_e_mail_for_nia_starts_enabled(nurse_nia, mara_by_api):
    StaffMembership.objects.filter(user=nurse_nia).update(
        email_disabled_at=timezone.now(), email_disabled_reason="bounced: 5.1.1"
    )
    path = f"/api/v1/staff/{membership_of(nurse_nia).pk}/"

    answer = mara_by_api.patch(path, {"email": "nia.jones@north.example.org"}, format="json")

    assert answer.status_code == 200, answer.content
    assert membership_of(nurse_nia).email_disabled_at is None


def test_the_staff_page_shows_the_switched_off_phone_and_switches_it_back_on(nias_phone_off, mara):
    from tests.dashboard import signed_in

    browser = signed_in(mara)
    page_url = f"/dashboard/staff/{membership_of(nias_phone_off).pk}/"

    shown = browser.get(page_url).content.decode()
    done = browser.post(f"{page_url}works-again/", {"address": "phone"}, follow=True)

    assert "Switched off for pages" in shown and "STOP" in shown
    assert "The phone works again" in shown
    assert done.status_code == 200
    assert "is paged again" in done.content.decode()
    assert membership_of(nias_phone_off).phone_disabled_at is None


def test_the_rota_page_names_the_switched_off_phone(nias_phone_off, mara, north):
    from tests.dashboard import signed_in

    nias_phone_off.first_name, nias_phone_off.last_name = "Nia", "Jones"
    nias_phone_off.save(update_fields=["first_name", "last_name"])

    page = signed_in(mara).get("/dashboard/rota/").content.decode()

    assert f"Nia Jones&#x27;s phone {NIAS_PHONE} was switched off: replied STOP" in page
