"""The web check-in in a real browser at a phone's size (390 x 844), with JavaScript on and
off, and axe-core on every page: Ana answers from her SMS link and is told what to expect;
Ben reports bladder symptoms, sees the emergency screen, and Nia's page goes out; links that
expired, were revoked or outlived their block say what to do; Lucía reads it all in Spanish.

Browser set-up in ``tests/browser.py``. ``SCREENSHOTS=1`` also saves the phone pages to
``docs/screenshots/`` (for the README).
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from diary import services
from diary.models import DiaryEntry, PatientLink
from notifications.models import Delivery, DeliveryStatus, OnCallShift, Purpose
from notifications.tasks import send_deliveries
from tests.browser import (
    assert_accessible,
    chromium_context,
    console_errors,
    expect,
    screenshot,
)
from tests.factories import PatientFactory, make_procedure

PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request, tmp_path):
    """A phone's browser; each test runs with JavaScript on and with it off."""
    with chromium_context(
        tmp_path / "profile", viewport=PHONE, javascript=request.param, is_mobile=True
    ) as context:
        context.javascript = request.param
        yield context


def accessible(page) -> None:
    if page.context.javascript:  # axe runs as a script; its run with JavaScript on covers it
        assert_accessible(page)


def shot(page, name: str) -> None:
    if page.context.javascript:  # the pictures are of the pages as most phones show them
        screenshot(page, name)


@pytest.fixture
def north_999(north):
    north.emergency_number = "999"
    north.save(update_fields=["emergency_number"])
    return north


def patient_with_block(clinic, name, *, side="left", **fields):
    patient = PatientFactory(clinic=clinic, display_name=name, timezone="Europe/London", **fields)
    # Performed 2 h 3 min ago: the 2 h check-in is open.
    performed_at = timezone.now() - timedelta(hours=2, minutes=3)
    block = make_procedure(patient, performed_at=performed_at, side=side)
    return patient, block


def sms_link(live_server, patient, block) -> str:
    (token,) = services.issue_links([(patient.pk, block.checkins.get(key="h2").pk)])
    return f"{live_server.url}/c/{token}"


def answer_pain(page, score: str) -> None:
    page.locator("#q-pain_score").get_by_role("radio", name=score, exact=True).check()


def test_ana_opens_her_sms_link_answers_and_is_told_what_to_expect(phone, live_server, north_999):
    ana, block = patient_with_block(north_999, "Ana Silva")
    page = phone.new_page()

    page.goto(sms_link(live_server, ana, block))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your check-in: 2 h after your block")
    accessible(page)
    shot(page, "checkin-form.png")
    answer_pain(page, "3")
    numb = page.get_by_role("group", name="Is either leg numb?")
    numb.get_by_role("radio", name="Left leg").check()
    heel = page.get_by_role("group", name="Lying down, can you lift your heel off the bed?")
    heel.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.get_by_text("Numbness or weakness in the leg is expected")).to_be_visible()
    expect(page.get_by_text("Your next check-in:")).to_be_visible()
    accessible(page)
    shot(page, "checkin-expected.png")
    entry = DiaryEntry.objects.get()
    assert (entry.pain_score, entry.numbness, entry.can_lift_heel) == (3, "left_leg", True)

    page.get_by_role("link", name="Your diary").click()
    expect(page.get_by_role("heading", name="Hello, Ana Silva")).to_be_visible()
    expect(page.get_by_role("img", name="Your pain since the block, from 0 to 10")).to_be_visible()
    accessible(page)
    shot(page, "checkin-home.png")


def test_ben_reports_bladder_symptoms_sees_the_emergency_screen_and_nia_is_paged(
    phone,
    live_server,
    north_999,
    nurse_nia,
    smtp_settings,
    smtp_server,
):
    nurse_nia.email = "nia@north.example.org"
    nurse_nia.save(update_fields=["email"])
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=north_999,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=4),
        ends_at=now + timedelta(hours=8),
    )
    ben, block = patient_with_block(north_999, "Ben Okafor", side="right")
    page = phone.new_page()
    page.goto(sms_link(live_server, ben, block))

    answer_pain(page, "6")
    bladder = page.get_by_role("group", name="Any new loss of control of your bladder or bowels?")
    bladder.get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Send my answers").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    call = page.get_by_role("link", name="Call 999")
    expect(call).to_have_attribute("href", "tel:999")
    expect(page.get_by_role("link", name="+442079460001").first).to_be_visible()
    accessible(page)
    shot(page, "checkin-emergency.png")

    pages = Delivery.objects.filter(purpose=Purpose.ALERT_PAGE)
    send_deliveries(list(pages.values_list("pk", flat=True)))  # the alerts worker's task
    assert [d.status for d in pages] == [DeliveryStatus.SENT]
    [email] = smtp_server.messages
    assert email["To"] == "nia@north.example.org"
    assert "Emergency alert" in email.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("spoil", "heading", "words"),
    [
        ("expire", "This link does not work", "This link has expired"),
        ("revoke", "This link does not work", "Your clinic has stopped this link."),
        ("cancel", "This link does not work", "was cancelled"),
    ],
)
def test_a_link_that_no_longer_works_says_what_to_do(
    phone, live_server, north_999, spoil, heading, words
):
    ana, block = patient_with_block(north_999, "Ana Silva")
    link = sms_link(live_server, ana, block)
    if spoil == "expire":
        PatientLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    elif spoil == "revoke":
        services.revoke_access(ana)
    else:
        services.cancel_procedure(block)
    page = phone.new_page()

    response = page.goto(link)

    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(words)).to_be_visible()
    expect(page.get_by_role("link", name="+442079460001").first).to_have_attribute(
        "href", "tel:+442079460001"
    )
    accessible(page)


def test_lucia_reads_every_word_in_spanish(phone, live_server, north_999):
    lucia, block = patient_with_block(north_999, "Lucía Romero", language="es")
    page = phone.new_page()
    page.goto(sms_link(live_server, lucia, block))

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Su registro: 2 h después del bloqueo"
    )
    accessible(page)
    answer_pain(page, "2")
    page.get_by_role("button", name="Enviar mis respuestas").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias")
    expect(page.get_by_text("Su registro se ha guardado.")).to_be_visible()
    body = page.locator("body").inner_text()
    for english in ("Thank you", "Your next check-in", "Pain diary", "Your diary"):
        assert english not in body
    assert re.search(r"Su próximo registro:", body)
    accessible(page)
    shot(page, "checkin-spanish.png")


def test_the_page_loads_nothing_from_another_host_and_breaks_no_policy(
    phone, live_server, north_999
):
    ana, block = patient_with_block(north_999, "Ana Silva")
    requested = []
    page = phone.new_page()
    page.on("request", lambda request: requested.append(request.url))
    problems = console_errors(page)

    page.goto(sms_link(live_server, ana, block))
    page.get_by_role("button", name="Send my answers").wait_for()

    assert requested and all(url.startswith(live_server.url) for url in requested)
    assert problems == []


def test_ana_stops_e_mail_reminders_from_the_link_in_one(phone, live_server, north_999):
    from notifications import unsubscribe
    from notifications.models import ContactPreference

    ana, _ = patient_with_block(north_999, "Ana Silva", email="ana@example.org")
    page = phone.new_page()
    errors = console_errors(page)
    token = unsubscribe.token_for(ana.pk)
    page.goto(f"{live_server.url}/email/unsubscribe/{token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop e-mail reminders?")
    accessible(page)
    shot(page, "email-unsubscribe.png")
    assert not ContactPreference.objects.filter(patient=ana, email_disabled_at__isnull=False)

    page.get_by_role("button", name="Stop e-mail reminders").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail reminders are off")
    accessible(page)
    assert ContactPreference.objects.get(patient=ana).email_disabled_reason == "unsubscribed"
    assert errors == []


def test_a_cut_unsubscribe_link_says_so(phone, live_server, north_999):
    page = phone.new_page()
    answer = page.goto(f"{live_server.url}/email/unsubscribe/12:not-a-signature/")
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    accessible(page)
