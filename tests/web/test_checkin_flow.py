"""The patient answers from the link in a reminder, with no app and no JavaScript: plain GETs
and form POSTs with CSRF, as a browser with scripts off sends them."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from diary.models import CheckInStatus, DiaryEntry, PatientStatus
from notifications import alerts
from notifications.models import Alert, Delivery, Purpose
from tests.web.conftest import BLOCK, NOW, client_id_of, csrf_of

pytestmark = pytest.mark.django_db


def open_form(browser, link):
    """Follow the link to its check-in's form."""
    landing = browser.get(link)
    assert landing.status_code == 302, landing.content[:500]
    page = browser.get(landing["Location"])
    assert page.status_code == 200
    return landing["Location"], page


def answers(page, **fields):
    return {
        "csrfmiddlewaretoken": csrf_of(page),
        "client_id": client_id_of(page),
        "pain_score": "3",
        **fields,
    }


# --- Ana: an expected answer -------------------------------------------------------------


def test_ana_answers_her_2_h_check_in_from_the_sms_link_and_is_told_what_to_expect(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    h2 = block.checkins.get(key="h2")
    form_url, page = open_form(browser, link_to(ana, h2))

    assert form_url.endswith(f"/checkins/{h2.pk}/")
    assert b"2 h after your block" in page.content
    assert b"not the soreness where the needle went in" in page.content

    sent = browser.post(
        form_url,
        answers(
            page,
            activity="bending to tie shoes",
            activity_ok="yes",
            numbness="left_leg",
            can_lift_heel="yes",
        ),
    )

    assert sent.status_code == 303
    told = browser.get(sent["Location"])
    assert told.status_code == 200
    assert b"Numbness or weakness in the leg is expected" in told.content
    assert b"Your next check-in:" in told.content
    entry = DiaryEntry.objects.get()
    assert (entry.checkin_id, entry.pain_score, entry.numbness) == (h2.pk, 3, "left_leg")
    assert (entry.activity, entry.activity_ok, entry.can_lift_heel) == (
        "bending to tie shoes",
        True,
        True,
    )
    # Shown and left blank, or not shown: unknown, never "no".
    assert entry.weakness is None and entry.bowel_bladder_change is None
    assert entry.advice_level == "expected"
    h2.refresh_from_db()
    assert h2.status == CheckInStatus.ANSWERED


def test_a_double_tap_a_refresh_and_the_back_button_store_one_entry(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))
    body = answers(page)

    first = browser.post(form_url, body)
    with time_machine.travel(NOW + timedelta(seconds=2), tick=False):
        second = browser.post(form_url, body)  # the same form, sent again
    refreshed = browser.get(first["Location"])
    back = browser.get(form_url)

    assert first["Location"] == second["Location"]
    assert refreshed.status_code == 200
    assert DiaryEntry.objects.count() == 1
    assert b"You have answered this check-in" in back.content


def test_an_answer_out_of_range_is_a_clear_error_and_nothing_is_stored(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))

    sent = browser.post(form_url, answers(page, pain_score="11", reported_relief_percent="140"))

    assert sent.status_code == 400
    assert b"Please check your answers" in sent.content
    assert b'href="#q-pain_score"' in sent.content
    assert b'href="#q-reported_relief_percent"' in sent.content
    assert DiaryEntry.objects.count() == 0


def test_a_form_posted_without_its_csrf_token_is_refused(browser, ana, block_of, link_to):
    block = block_of(ana)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))
    body = answers(page)
    del body["csrfmiddlewaretoken"]

    assert browser.post(form_url, body).status_code == 403
    assert DiaryEntry.objects.count() == 0


# --- Ben: an emergency -------------------------------------------------------------------


def test_ben_reports_bladder_symptoms_and_sees_the_emergency_screen_and_nia_is_paged(
    browser, ben, block_of, link_to, nia_on_call, django_capture_on_commit_callbacks
):
    block = block_of(ben, side="right")
    form_url, page = open_form(browser, link_to(ben, block.checkins.get(key="h2")))

    with django_capture_on_commit_callbacks(execute=False):
        sent = browser.post(form_url, answers(page, bowel_bladder_change="yes"))
    told = browser.get(sent["Location"])

    assert b"advice-emergency" in told.content
    assert b'href="tel:999"' in told.content
    assert b"Call 999" in told.content
    assert b'href="tel:+442079460001"' in told.content  # the clinic's phone
    assert b"Go to the emergency department now" in told.content
    alert = Alert.objects.get()
    assert (alert.patient_id, alert.severity, alert.rule) == (ben.pk, "emergency", "bowel_bladder")
    pages = Delivery.objects.filter(alert=alert, purpose=Purpose.ALERT_PAGE)
    assert {d.address for d in pages} == {"nia@north.example.org"}


def test_an_urgent_finding_says_the_clinic_was_told_and_gives_its_phone(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))

    sent = browser.post(form_url, answers(page, fever="yes", temperature_celsius="38.6"))
    told = browser.get(sent["Location"])

    assert b"Your clinic has been told" in told.content
    assert b'href="tel:+442079460001"' in told.content
    assert DiaryEntry.objects.get().temperature_celsius == Decimal("38.6")


def test_the_answer_page_says_whether_the_clinic_has_seen_the_report(
    browser, ana, block_of, link_to, nurse_nia
):
    block = block_of(ana)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))
    sent = browser.post(form_url, answers(page, fever="yes", temperature_celsius="38.6"))

    assert b"Your report has been sent to your clinic." in browser.get(sent["Location"]).content

    alert = Alert.objects.get(patient=ana)
    alerts.acknowledge_alert(alert, nurse_nia)
    seen = browser.get(sent["Location"]).content.decode()
    assert "Your clinic has seen your report (" in seen
    assert nurse_nia.username not in seen


# --- The follow-up ------------------------------------------------------------------------


def test_a_follow_up_check_in_asks_still_numb_first_and_needs_its_answers(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    block.checkins.filter(key="h2").update(follow_up=True)
    form_url, page = open_form(browser, link_to(ana, block.checkins.get(key="h2")))

    text = page.content.decode()
    first_question = text.index("<legend>", text.index('class="checkin"'))
    assert text[first_question:].startswith(
        "<legend>Is your leg still numb or weak? Can you lift your heel off the bed?"
    )
    assert text.count('name="numbness"') == 4  # asked once, under the follow-up question

    missing = browser.post(form_url, answers(page))
    assert missing.status_code == 400
    sent = browser.post(
        form_url, answers(page, numbness="none", weakness="none", can_lift_heel="yes")
    )
    assert sent.status_code == 303


# --- Links that do not open ----------------------------------------------------------------


def test_an_expired_link_says_so_and_gives_the_clinics_phone(browser, ana, block_of, link_to):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))
    last_closes = block.checkins.order_by("-closes_at").first().closes_at

    with time_machine.travel(last_closes + timedelta(hours=2, minutes=1), tick=False):
        page = browser.get(link)

    assert page.status_code == 410
    assert b"This link has expired" in page.content
    assert b'href="tel:+442079460001"' in page.content
    assert b"Traceback" not in page.content


def test_a_revoked_link_stops_working(browser, ana, block_of, link_to, as_cole):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))

    revoked = as_cole.post(f"/api/v1/patients/{ana.pk}/revoke-access/")

    assert revoked.json() == {"links_revoked": 1}
    page = browser.get(link)
    assert page.status_code == 410
    assert b"Your clinic has stopped this link." in page.content


def test_a_link_reused_after_its_block_was_cancelled_opens_nothing(
    browser, ana, block_of, link_to, as_cole
):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))
    as_cole.post(f"/api/v1/procedures/{block.pk}/cancel/")

    page = browser.get(link)

    assert page.status_code == 410
    assert b"was cancelled" in page.content


def test_a_paused_patients_link_waits_until_the_diary_resumes(browser, ana, block_of, link_to):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))
    ana.status = PatientStatus.PAUSED
    ana.save(update_fields=["status"])

    assert browser.get(link).status_code == 403

    ana.status = PatientStatus.ACTIVE
    ana.save(update_fields=["status"])
    assert browser.get(link).status_code == 302


def test_an_unknown_link_is_a_page_not_a_stack_trace_and_is_limited_per_address(
    browser, ana, block_of, link_to
):
    """Five refused links a minute from one address (the test settings' rate); a working
    link is never counted, so patients sharing a hospital's address are not locked out."""
    block = block_of(ana)
    good = link_to(ana, block.checkins.get(key="h2"))

    tries = [browser.get(f"/c/guessed-token-{n:06d}xxxx") for n in range(6)]

    assert [t.status_code for t in tries] == [404] * 5 + [429]
    assert b"We do not know this link" in tries[0].content
    assert b"Traceback" not in tries[0].content
    assert b"Please wait a minute" in tries[5].content
    assert browser.get(good).status_code == 302


def test_a_link_opens_only_its_own_patients_check_ins(browser, ana, ben, block_of, link_to):
    block_of(ana)
    bens = block_of(ben)
    landing = browser.get(link_to(ana))

    other = browser.get(f"{landing.request['PATH_INFO']}/checkins/{bens.checkins.first().pk}/")

    assert other.status_code == 404


# --- The patient's own page -----------------------------------------------------------------


def test_the_patients_page_shows_next_check_ins_in_local_time_the_chart_and_instructions(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    h2 = block.checkins.get(key="h2")
    link = link_to(ana)
    form_url = f"{link}/checkins/{h2.pk}/"
    page = browser.get(form_url)
    browser.post(form_url, answers(page))

    home = browser.get(link)

    text = home.content.decode()
    assert home.status_code == 200
    assert "Hello, Ana Silva" in text
    assert "3 h after your block" in text
    # 11:00 UTC in June is 12:00 in London: the patient's own clock.
    assert "Wednesday 10 June, 12:00" in text
    assert "<svg" in text and 'class="dot"' in text
    assert "do not walk without help until you can lift your heel" in text
    assert 'href="tel:+442079460001"' in text
    assert home["Cache-Control"].startswith("max-age=0") or "no-store" in home["Cache-Control"]
    assert home["Referrer-Policy"] == "same-origin"
    assert "default-src 'none'" in home["Content-Security-Policy"]
    assert "script-src 'self'" in home["Content-Security-Policy"]


def test_a_reading_outside_the_schedule_is_kept_without_a_check_in(browser, ana, block_of, link_to):
    block_of(ana)
    link = link_to(ana)
    between = BLOCK + timedelta(hours=2, minutes=40)  # 2 h closed at 2:30, 3 h opens at 2:55
    with time_machine.travel(between, tick=False):
        page = browser.get(f"{link}/reading/")
        sent = browser.post(f"{link}/reading/", answers(page, severe_back_pain="no"))

    assert sent.status_code == 303
    entry = DiaryEntry.objects.get()
    assert (entry.checkin_id, entry.severe_back_pain) == (None, False)
    assert entry.recorded_at == between


def test_a_link_opened_late_leads_to_the_check_in_open_now(browser, ana, block_of, link_to):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))

    with time_machine.travel(BLOCK + timedelta(hours=3), tick=False):
        landing = browser.get(link)

    assert landing["Location"].endswith(f"/checkins/{block.checkins.get(key='h3').pk}/")


def test_a_check_in_closed_less_than_the_grace_ago_still_takes_the_reading_unscheduled(
    browser, ana, block_of, link_to
):
    block = block_of(ana)
    h8 = block.checkins.get(key="h8")  # the next one is tomorrow's
    link = link_to(ana, h8)
    late = h8.closes_at + timedelta(minutes=30)
    with time_machine.travel(late, tick=False):
        form_url, page = open_form(browser, link)
        browser.post(form_url, answers(page))

    assert form_url.endswith(f"/checkins/{h8.pk}/")
    entry = DiaryEntry.objects.get()
    assert entry.checkin_id is None  # closed: it answers nothing, the reading is kept
    assert entry.recorded_at == late


def test_before_any_block_the_start_link_says_the_check_ins_will_come(browser, ana, link_to):
    page = browser.get(link_to(ana))

    assert page.status_code == 200
    assert b"has not added your procedure yet" in page.content


def test_each_request_of_a_check_in_costs_a_fixed_few_queries(
    browser, ana, block_of, link_to, django_assert_num_queries
):
    """Pinned (bench/checkin): the link is read with its check-in and block, so the form
    costs that one query; the landing adds the check-ins still to come; the POST the API's
    block lookup, the entry and the check-in's answer; the answer page the entry and the
    check-ins still to come."""
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))

    # Each request adds its audit row: one INSERT of who read or wrote what.
    with django_assert_num_queries(3):
        landing = browser.get(link)
    with django_assert_num_queries(2):
        page = browser.get(landing["Location"])
    # 5 statements and the test's savepoint around them; on PostgreSQL the entry, its audit
    # row and the check-in's answer are one statement (diary.services.entry_statement).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 7):
        sent = browser.post(landing["Location"], answers(page))
    with django_assert_num_queries(4):
        browser.get(sent["Location"])
