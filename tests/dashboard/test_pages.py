"""The staff dashboard through Django's test client: who may see what, what each page says
in words (the same numbers the chart draws), and the alert actions behind the board."""

import json
import re
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Alert, AlertState, OnCallShift
from tests.dashboard import PASSWORD, emergency, report, signed_in, work_diary
from tests.factories import UserFactory, make_procedure
from web.dashboard import access

pytestmark = pytest.mark.django_db


def htmx(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})


@pytest.fixture
def cole(dr_cole):
    return signed_in(dr_cole)


@pytest.fixture
def nia(nurse_nia):
    return signed_in(nurse_nia)


@pytest.fixture
def as_omar_browser(omar):
    return signed_in(omar)


@pytest.fixture
def worked_block(anas_block):
    work_diary(anas_block)
    return anas_block


@pytest.fixture
def bens_emergency(bens_block) -> Alert:
    emergency(bens_block)
    return Alert.objects.get(procedure=bens_block)


def text(response) -> str:
    """The page as a reader hears it: tags dropped, white space collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- Signing in and out ---------------------------------------------------------------------


def test_dr_cole_signs_in_with_his_password_and_lands_on_today(dr_cole, anas_block):
    client = Client()
    page = client.get("/dashboard/login/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()

    response = client.post("/dashboard/login/", {"username": "dr.cole", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert "Ana Silva" in text(client.get("/dashboard/"))


def test_a_wrong_password_is_refused(dr_cole):
    response = Client().post("/dashboard/login/", {"username": "dr.cole", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)


def test_sign_in_attempts_are_rate_limited_like_the_apis_staff_login(dr_cole):
    client = Client()
    for _ in range(5):  # backend.settings_test: "login": "5/min"
        client.post("/dashboard/login/", {"username": "dr.cole", "password": "guess"})

    response = client.post("/dashboard/login/", {"username": "dr.cole", "password": PASSWORD})

    assert response.status_code == 429 and "Too many sign-in attempts" in text(response)
    assert "_auth_user_id" not in client.session


def test_signing_in_from_a_pages_link_opens_the_alert(dr_cole, bens_emergency):
    link = f"/dashboard/alerts/{bens_emergency.pk}/"
    client = Client()
    login = client.get(link)
    assert login["Location"] == f"/dashboard/login/?next={link}"

    page = client.get(login["Location"])
    assert f'name="next" value="{link}"' in page.content.decode()
    response = client.post(
        "/dashboard/login/", {"username": "dr.cole", "password": PASSWORD, "next": link}
    )
    assert response["Location"] == link


def test_someone_without_a_clinic_cannot_sign_in_and_gets_404_if_signed_in_elsewhere(db):
    UserFactory(username="visitor")
    refused = Client().post("/dashboard/login/", {"username": "visitor", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session

    admin_session = signed_in(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert admin_session.get("/dashboard/").status_code == 404
    assert admin_session.get("/dashboard/alerts/").status_code == 404


def test_nobody_signed_in_is_sent_to_the_login_page(db):
    response = Client().get("/dashboard/alerts/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login/?next=/dashboard/alerts/"


def test_a_board_poll_after_the_session_ended_sends_the_whole_page_to_the_login(db):
    response = htmx(Client(), "get", "/dashboard/alerts/board/")
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/dashboard/login/?next=/dashboard/alerts/"


def test_signing_out_ends_the_session_and_clears_the_browsers_cache(cole):
    assert cole.get("/dashboard/logout/").status_code == 405  # POST only

    response = cole.post("/dashboard/logout/")

    assert response.status_code == 302 and response["Location"] == "/dashboard/login/"
    assert response["Clear-Site-Data"] == '"cache"'
    assert "no-store" in response["Cache-Control"]
    assert cole.get("/dashboard/").status_code == 302


def test_the_session_ends_after_30_idle_minutes_and_after_a_shift_in_any_case(cole, settings):
    cole.get("/dashboard/")
    assert cole.session.get_expiry_age() == access.IDLE_SECONDS == 30 * 60

    session = cole.session
    session[access.SIGNED_IN_AT] = time.time() - settings.SESSION_COOKIE_AGE - 1
    session.save()
    response = cole.get("/dashboard/")

    assert response.status_code == 302 and response["Location"].startswith("/dashboard/login/")
    assert cole.get("/dashboard/").status_code == 302  # signed out, not just redirected


def test_an_idle_page_reloads_itself_just_after_the_timeout(cole):
    page = cole.get("/dashboard/").content.decode()
    wait = access.IDLE_SECONDS + 5
    assert f'<meta name="idle-reload-seconds" content="{wait}">' in page  # idle.js
    assert f'<noscript><meta http-equiv="refresh" content="{wait}"></noscript>' in page
    # The board refreshes itself by polling instead.
    board = cole.get("/dashboard/alerts/").content.decode()
    assert 'http-equiv="refresh"' not in board and "idle-reload-seconds" not in board


# --- Caching and CSRF -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/dashboard/procedures/{block}/",
        "/dashboard/alerts/",
        "/dashboard/alerts/board/",
        "/dashboard/alerts/{alert}/",
        "/dashboard/procedures/999999/",
        "/dashboard/login/",
    ],
)
def test_no_dashboard_page_may_be_cached(cole, bens_emergency, url):
    response = cole.get(url.format(block=bens_emergency.procedure_id, alert=bens_emergency.pk))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_nor_the_login_redirect_nor_a_refused_action(db, cole, bens_emergency):
    assert "no-store" in Client().get("/dashboard/")["Cache-Control"]
    refused = cole.get(f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/")
    assert refused.status_code == 405 and "no-store" in refused["Cache-Control"]


def test_an_action_without_the_csrf_token_is_refused(nurse_nia, bens_emergency):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse_nia)

    forged = client.post(f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/")

    assert forged.status_code == 403
    bens_emergency.refresh_from_db()
    assert bens_emergency.state == AlertState.OPEN


def test_htmx_sends_the_token_the_page_put_in_hx_headers(nurse_nia, bens_emergency):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse_nia)
    board = client.get("/dashboard/alerts/").content.decode()
    headers = json.loads(re.search(r"hx-headers='([^']+)'", board).group(1))

    response = client.post(
        f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/",
        headers={"HX-Request": "true", **headers},
    )

    assert response.status_code == 200
    bens_emergency.refresh_from_db()
    assert bens_emergency.state == AlertState.ACKNOWLEDGED


# --- Today ----------------------------------------------------------------------------------


def test_today_shows_each_recent_block_with_its_diary_relief_verdict_and_alerts(
    cole, worked_block, bens_emergency
):
    response = cole.get("/dashboard/")
    page = text(response)

    rows = {row.procedure.patient.display_name: row for row in response.context["recent"]}
    ana = rows["Ana Silva"]
    assert (ana.answered, ana.missed) == (3, 1)
    # Inside the lidocaine window: provisional, leaning positive (rules v2).
    assert ana.relief == 87.5 and ana.verdict.verdict == "provisional"
    assert ana.verdict.leaning == "positive"
    assert "3 answered" in page and "1 missed" in page
    assert "88 % pain 1/10 from 8, at 1 h" in page
    assert "positive" in page
    # Ben has an open emergency: he comes first, with his alert.
    assert list(rows) == ["Ben Okafor", "Ana Silva"]
    assert rows["Ben Okafor"].alerts == [bens_emergency]
    assert "Alerts not yet resolved 1" in page and "Ben Okafor : " in page


def test_today_reads_the_same_number_of_queries_however_many_blocks_it_shows(
    cole, ana, ben, django_assert_num_queries
):
    now = timezone.now()

    def blocks(hours_ago):
        for patient in (ana, ben):
            for hours in hours_ago:
                work_diary(make_procedure(patient, performed_at=now - timedelta(hours=hours)))

    blocks((2, 30))
    cole.get("/dashboard/")  # the session settles
    # Session, user, membership, clinic, the blocks ranked, those shown, their check-ins
    # counted and their alerts, the most urgent live alerts and their count, the session's
    # new expiry (3 with its savepoint), and the verdicts: the shown blocks' entries at once,
    # their open check-ins, the clinic's rules (and the defaults they fall back to).
    with django_assert_num_queries(18):  # 17 reads and the audit row of the blocks shown
        assert len(cole.get("/dashboard/").context["recent"]) == 4
    blocks((5, 50))
    with django_assert_num_queries(18):
        assert len(cole.get("/dashboard/").context["recent"]) == 8


def test_today_has_the_next_24_hours_but_nothing_older_than_72_hours(cole, ana, ben, dr_cole):
    now = timezone.now()
    make_procedure(ana, performed_at=now + timedelta(hours=20), levels="L3-L4")
    make_procedure(ben, performed_at=now - timedelta(hours=73))
    make_procedure(ben, performed_at=now + timedelta(hours=25))

    response = cole.get("/dashboard/")

    assert response.context["recent"] == []
    [coming] = response.context["coming"]
    assert coming.procedure.levels == "L3-L4"
    assert "Coming up in the next 24 hours 1" in text(response)


# --- A block --------------------------------------------------------------------------------


def test_the_procedure_page_reads_out_the_readings_verdict_and_its_reasons(cole, worked_block):
    response = cole.get(f"/dashboard/procedures/{worked_block.pk}/")
    page = text(response)

    assert response.status_code == 200
    assert "Ana Silva" in page and "diagnostic medial branch block, L4-L5 left" in page
    assert "Verdict provisional, leaning positive" in page
    for reason in response.context["verdict"].reasons:
        assert reason in page
    assert "Peak relief 87.5 % at 30 min" in page
    # The readings, as text: minutes after the block, pain and computed relief.
    for minutes, pain, relief in ((15, 3, "62.5 %"), (30, 1, "87.5 %"), (60, 1, "87.5 %")):
        assert f"{minutes} min" in page and f"{pain}/10 {relief}" in page
    assert "Missed check-ins (1): 45 min" in page
    assert "numb left leg" in page


def test_the_chart_gets_the_verdicts_numbers_and_a_spoken_summary(cole, worked_block):
    response = cole.get(f"/dashboard/procedures/{worked_block.pk}/")
    html = response.content.decode()

    data = json.loads(
        re.search(r'<script id="relief-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert data["readings"] == [
        {"x": 15, "y": 62.5, "pain": 3},
        {"x": 30, "y": 87.5, "pain": 1},
        {"x": 60, "y": 87.5, "pain": 1},
    ]
    assert data["threshold"] == 80 and data["window"] == [0, 180]
    assert [m["x"] for m in data["missed"]] == [45]
    summary = (
        "Relief peaked at 87.5 % 30 min after the block and was at or above the 80 % "
        "threshold for 30 min; the expected lidocaine window is the first 3 h; "
        "1 missed check-in."
    )
    assert f'role="img" aria-label="{summary}"' in html
    assert "chart-4.5.1.umd.min.js" in html and "relief-chart.js" in html


def test_the_procedure_page_has_the_symptoms_alerts_other_blocks_and_rfa_readiness(
    cole, ben, bens_emergency, dr_cole
):
    earlier = make_procedure(
        ben, performed_at=timezone.now() - timedelta(days=20), anesthetic="bupivacaine"
    )
    response = cole.get(f"/dashboard/procedures/{bens_emergency.procedure_id}/")
    page = text(response)

    assert "Symptoms reported" in page and "bowel or bladder change" in page
    assert "EMERGENCY" in page.upper() and bens_emergency.reason in page
    assert "Ben Okafor's alerts 1" in page
    assert f'href="/dashboard/alerts/{bens_emergency.pk}/"' in response.content.decode()
    assert "Other blocks 1" in page
    assert f'href="/dashboard/procedures/{earlier.pk}/"' in response.content.decode()
    assert "Ready for radiofrequency ablation? not yet" in page
    for reason in response.context["readiness"].reasons:
        assert reason in page


# --- The alert board ------------------------------------------------------------------------


def test_the_board_shows_open_alerts_most_severe_then_oldest_first(nia, ana, bens_emergency):
    anas = make_procedure(ana, performed_at=timezone.now() - timedelta(hours=6))
    report(anas, 5 * 60, 2, numbness="left_leg")  # still numb after 4 h: urgent

    board = nia.get("/dashboard/alerts/").context["board"]

    assert [(a.patient.display_name, a.severity) for a in board.open] == [
        ("Ben Okafor", "emergency"),
        ("Ana Silva", "urgent"),
    ]


def test_the_board_warns_when_nobody_is_on_call(nia, north):
    page = text(nia.get("/dashboard/alerts/"))
    assert "On-call coverage" in page and "No primary on call in the next 24 hours" in page
    assert "primary nobody" in page


def test_the_board_names_who_is_on_call(nia, nurse_nia, north):
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=north,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    assert "On call now: primary nia" in text(nia.get("/dashboard/alerts/"))


def test_the_board_polls_itself_and_hears_no_change_when_nothing_changed(nia, bens_block):
    page = nia.get("/dashboard/alerts/").content.decode()
    poll = re.search(r'hx-get="([^"]+)"\s+hx-trigger="every 5s"', page).group(1)

    assert htmx(nia, "get", poll).status_code == 204

    emergency(bens_block)
    changed = htmx(nia, "get", poll)
    assert changed.status_code == 200
    assert "Ben Okafor" in text(changed)
    assert 'id="board-status" hx-swap-oob="innerHTML"' in changed.content.decode()


def test_acknowledging_on_the_board_moves_the_alert_out_of_the_open_list(
    nia, nurse_nia, bens_emergency
):
    response = htmx(nia, "post", f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/")

    assert response.status_code == 200
    board = response.context["board"]
    assert board.open == [] and board.acknowledged == [bens_emergency]
    assert "acknowledged by nia" in text(response)
    bens_emergency.refresh_from_db()
    assert (bens_emergency.state, bens_emergency.acknowledged_by) == ("acknowledged", nurse_nia)


def test_acknowledging_without_javascript_returns_to_where_it_was_asked(nia, bens_emergency):
    url = f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/"
    back = nia.post(url, {"next": "/dashboard/alerts/"})
    assert back.status_code == 302 and back["Location"] == "/dashboard/alerts/"

    elsewhere = nia.post(url, {"next": "https://evil.example.org/"})
    assert elsewhere["Location"] == f"/dashboard/alerts/{bens_emergency.pk}/"


def test_resolving_needs_a_note(nia, bens_emergency):
    url = f"/dashboard/alerts/{bens_emergency.pk}/resolve/"

    on_board = htmx(nia, "post", url, {"note": "   "})
    on_its_page = nia.post(url, {"note": ""})

    assert on_board.status_code == 422 and on_its_page.status_code == 422
    assert "Say how the alert was resolved (required)." in text(on_board)
    assert "Say how the alert was resolved (required)." in text(on_its_page)
    bens_emergency.refresh_from_db()
    assert bens_emergency.state == AlertState.OPEN


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("done\x00x", "The note cannot contain a NUL character."),
        ("x" * 2001, "The note can be at most 2000 characters (it has 2001)."),
    ],
)
def test_a_note_the_record_cannot_keep_whole_is_refused_not_cut(nia, bens_emergency, note, message):
    url = f"/dashboard/alerts/{bens_emergency.pk}/resolve/"

    on_board = htmx(nia, "post", url, {"note": note})
    on_its_page = nia.post(url, {"note": note})

    assert on_board.status_code == 422 and on_its_page.status_code == 422
    assert message in text(on_board) and message in text(on_its_page)
    bens_emergency.refresh_from_db()
    assert bens_emergency.state == AlertState.OPEN


def test_resolving_with_a_note_closes_the_alert(nia, nurse_nia, bens_emergency):
    note = "Called Ben: at A&E, seen by the on-call registrar."
    response = htmx(nia, "post", f"/dashboard/alerts/{bens_emergency.pk}/resolve/", {"note": note})

    assert response.context["board"].resolved == [bens_emergency]
    bens_emergency.refresh_from_db()
    assert (bens_emergency.state, bens_emergency.resolution_note) == ("resolved", note)
    assert bens_emergency.resolved_by == nurse_nia


def test_the_alert_page_has_the_reason_the_entries_and_what_happened(nia, bens_emergency):
    page = text(nia.get(f"/dashboard/alerts/{bens_emergency.pk}/"))

    assert bens_emergency.reason in page
    assert "The diary entries behind it" in page and "bowel or bladder change" in page
    assert "What happened" in page and "Triggered" in page
    assert "Acknowledge" in page and "Resolution note (required)" in page
    # Rules v2: the rule in words, what Ben read on his phone, and how to call him.
    assert "New loss of bowel or bladder control, or not passing urine" in page
    assert "The patient was told" in page and "Go to the emergency department now" in page
    assert "Patient's phone" in page


def test_an_alert_from_an_entry_kept_offline_says_the_symptom_is_older_than_the_page(
    cole, bens_block
):
    # Recorded 50 min 30 s after the block, two hours ago: 1 h 9 min before it was sent.
    report(bens_block, 50, 4, bowel_bladder_change=True)
    alert = Alert.objects.get(procedure=bens_block)

    page = text(cole.get(f"/dashboard/alerts/{alert.pk}/"))

    assert "Reported late The patient recorded this 1 h 9 min before it reached the clinic" in page


def test_an_alert_sent_as_it_was_recorded_is_not_marked_late(cole, bens_block):
    report(bens_block, 118, 4, bowel_bladder_change=True)  # two minutes ago
    alert = Alert.objects.get(procedure=bens_block)

    assert "Reported late" not in text(cole.get(f"/dashboard/alerts/{alert.pk}/"))


# --- Omar, of South, gets nothing of North's -------------------------------------------------


def test_omar_gets_404_for_norths_block_and_alert(as_omar_browser, worked_block, bens_emergency):
    alert = bens_emergency.pk
    for url in (
        f"/dashboard/procedures/{worked_block.pk}/",
        f"/dashboard/alerts/{alert}/",
    ):
        response = as_omar_browser.get(url)
        assert response.status_code == 404 and "Ana" not in text(response)
    for action in ("acknowledge", "resolve"):
        refused = as_omar_browser.post(f"/dashboard/alerts/{alert}/{action}/", {"note": "mine"})
        assert refused.status_code == 404
    bens_emergency.refresh_from_db()
    assert bens_emergency.state == AlertState.OPEN


def test_omar_sees_none_of_norths_patients_on_today_or_the_board(
    as_omar_browser, worked_block, bens_emergency
):
    for url in ("/dashboard/", "/dashboard/alerts/", "/dashboard/alerts/board/"):
        page = text(as_omar_browser.get(url))
        assert "Ana Silva" not in page and "Ben Okafor" not in page
        assert "North" not in page
    board = as_omar_browser.get("/dashboard/alerts/").context["board"]
    assert board.open == board.acknowledged == board.resolved == []


# --- Who was paged, in words ------------------------------------------------------------------


def test_the_alert_page_says_who_was_paged_how_and_what_became_of_it(
    cole, nurse_nia, bens_block, settings
):
    settings.EMAIL_HOST = "mail.north.example.org"  # e-mail is a configured staff channel
    nurse_nia.first_name, nurse_nia.email = "Nia", "nia@north.example.org"
    nurse_nia.save(update_fields=["first_name", "email"])
    now = timezone.now()
    OnCallShift.objects.create(
        clinic=bens_block.patient.clinic,
        user=nurse_nia,
        role="primary",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
    )
    alert = Alert.objects.get(pk=emergency(bens_block).findings.get().alert_events.get().alert_id)

    page = text(cole.get(f"/dashboard/alerts/{alert.pk}/"))

    assert "Paged Nia, on call (primary), by e-mail: waiting to be sent" in page
    assert "first call: on call (primary)" in page
    assert "step 0" not in page.lower() and "bowel_bladder" not in page


def test_an_action_on_the_full_board_keeps_it_full(nurse_nia, bens_emergency):
    nia = signed_in(nurse_nia)

    answer = nia.post(
        f"/dashboard/alerts/{bens_emergency.pk}/acknowledge/",
        headers={
            "HX-Request": "true",
            "HX-Current-URL": "http://testserver/dashboard/alerts/?all=1",
        },
    )

    assert answer.status_code == 200
    assert answer.context["board"].showing_all is True
