"""The rota week and the clinic's settings from the dashboard: Mara (clinic admin) changes
them, everyone else at North reads them, Omar of South sees only South's."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from diary.models import RuleSet
from notifications.models import AlertSettings, OnCallShift
from tests.dashboard import signed_in

pytestmark = pytest.mark.django_db

# A Wednesday; North keeps London time (UTC+1 in June).
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def as_mara_page(mara):
    return signed_in(mara)


def shift_body(user, **fields):
    return {
        "user": user.pk,
        "role": "primary",
        "starts_at": "2026-06-10T20:00",
        "ends_at": "2026-06-11T08:00",
        **fields,
    }


# --- The rota -------------------------------------------------------------------------


def test_mara_puts_nia_on_the_night_shift_in_clinic_time(as_mara_page, nurse_nia):
    sent = as_mara_page.post("/dashboard/rota/shifts/new/", shift_body(nurse_nia))

    assert sent.status_code == 302, sent.content[:2000]
    assert sent["Location"] == "/dashboard/rota/?week=2026-06-08"
    shift = OnCallShift.objects.get()
    assert (shift.user, shift.role) == (nurse_nia, "primary")
    assert shift.starts_at == datetime(2026, 6, 10, 19, 0, tzinfo=UTC)  # 20:00 in London
    week = as_mara_page.get(sent["Location"]).content.decode()
    assert "Wed 10 Jun" in week and "nia" in week


def test_a_shift_ending_before_it_starts_is_refused_by_name(as_mara_page, nurse_nia):
    sent = as_mara_page.post(
        "/dashboard/rota/shifts/new/", shift_body(nurse_nia, ends_at="2026-06-10T19:00")
    )

    assert sent.status_code == 400
    assert 'href="#id_ends_at"' in sent.content.decode()
    assert not OnCallShift.objects.exists()


def test_the_week_shows_gaps_and_warnings(as_mara_page):
    page = as_mara_page.get("/dashboard/rota/").content.decode()

    assert "Needs attention in the next 24 hours" in page
    assert "No primary on call" in page
    assert page.count('<span class="missed">nobody</span>') == 7


def test_mara_changes_and_removes_a_shift(as_mara_page, nurse_nia, ravi, north):
    shift = OnCallShift.objects.create(
        clinic=north,
        user=nurse_nia,
        role="primary",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=8),
    )

    changed = as_mara_page.post(
        f"/dashboard/rota/shifts/{shift.pk}/", shift_body(ravi, role="backup")
    )
    assert changed.status_code == 302
    shift.refresh_from_db()
    assert (shift.user, shift.role) == (ravi, "backup")

    as_mara_page.post(f"/dashboard/rota/shifts/{shift.pk}/delete/")
    assert not OnCallShift.objects.exists()


def test_nia_reads_the_rota_but_does_not_change_it(nurse_nia, mara, north):
    nia = signed_in(nurse_nia)

    assert nia.get("/dashboard/rota/").status_code == 200
    assert "Only a clinic admin changes the rota." in nia.get("/dashboard/rota/").content.decode()
    assert nia.post("/dashboard/rota/shifts/new/", shift_body(nurse_nia)).status_code == 403
    assert not OnCallShift.objects.exists()


def test_omar_cannot_touch_norths_shifts(omar, nurse_nia, north):
    shift = OnCallShift.objects.create(
        clinic=north, user=nurse_nia, role="primary", starts_at=NOW, ends_at=NOW + timedelta(1)
    )
    south = signed_in(omar)

    assert "nia" not in south.get("/dashboard/rota/").content.decode()
    assert south.get(f"/dashboard/rota/shifts/{shift.pk}/").status_code == 404
    assert south.post(f"/dashboard/rota/shifts/{shift.pk}/delete/").status_code == 404
    assert south.post("/dashboard/rota/shifts/new/", shift_body(nurse_nia)).status_code == 400
    assert OnCallShift.objects.count() == 1


# --- The clinic's settings -------------------------------------------------------------


def settings_body(**fields):
    return {
        "name": "North",
        "phone": "+442079460001",
        "emergency_number": "999",
        "emergency_delay_seconds": "300",
        "urgent_delay_seconds": "900",
        "webhook_url": "",
        "webhook_secret": "",
        "webhook_include_rule": "on",  # ticked, as the page renders it by default
        "fallback_phone": "",
        "fallback_email": "",
        **fields,
    }


def test_mara_sets_the_emergency_number_the_delays_and_a_rule(as_mara_page, north):
    sent = as_mara_page.post(
        "/dashboard/clinic/",
        settings_body(urgent_delay_seconds="600", rule_positive_relief_percent="70"),
    )

    assert sent.status_code == 302, sent.content[:3000]
    north.refresh_from_db()
    assert north.emergency_number == "999"
    assert AlertSettings.objects.get(clinic=north).urgent_delay_seconds == 600
    newest = RuleSet.objects.filter(clinic=north).first()
    assert newest.overrides == {"positive_relief_percent": 70}
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert "positive_relief_percent = 70" in page  # the history of versions
    assert "Clinic settings saved." in page


def test_mara_caps_escalation_at_three_steps_from_the_clinic_page(as_mara_page, north):
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert 'name="max_escalation_steps" value="5"' in page

    sent = as_mara_page.post("/dashboard/clinic/", settings_body(max_escalation_steps="3"))

    assert sent.status_code == 302, sent.content[:3000]
    assert AlertSettings.objects.get(clinic=north).max_escalation_steps == 3


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"rule_fever_celsius": "45"}, "rule_fever_celsius", ""),
        ({"rule_positive_relief_percent": "lots"}, "rule_positive_relief_percent", ""),
        ({"emergency_number": "9-9-9"}, "emergency_number", "Digits only"),
        ({"urgent_delay_seconds": "1"}, "urgent_delay_seconds", ""),
        ({"fallback_phone": "0207"}, "fallback_phone", ""),
        (
            {"pagerduty_routing_key": "not-a-key"},
            "pagerduty_routing_key",
            "A PagerDuty integration key is 32 letters and digits",
        ),
    ],
)
def test_a_wrong_setting_is_named_and_nothing_changes(as_mara_page, north, fields, field, words):
    sent = as_mara_page.post("/dashboard/clinic/", settings_body(**fields))

    assert sent.status_code == 400
    page = sent.content.decode()
    assert f'href="#id_{field}"' in page
    assert words in page
    north.refresh_from_db()
    assert north.emergency_number == "112"
    assert not RuleSet.objects.filter(clinic=north).exists()


def test_dr_cole_reads_the_settings_but_cannot_change_them(dr_cole, north):
    cole = signed_in(dr_cole)

    page = cole.get("/dashboard/clinic/").content.decode()
    assert "Only a clinic admin changes these" in page
    refused = cole.post("/dashboard/clinic/", settings_body(emergency_number="911"))
    assert refused.status_code == 403
    north.refresh_from_db()
    assert north.emergency_number == "112"


def test_the_webhook_secret_is_never_shown(as_mara_page, north, paging_hosts_resolve):
    as_mara_page.post(
        "/dashboard/clinic/",
        settings_body(
            webhook_url="https://pager.north.example.org/hook",
            webhook_secret="a-very-secret-value-123",
        ),
    )

    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert AlertSettings.objects.get(clinic=north).webhook_secret == "a-very-secret-value-123"
    assert "a-very-secret-value-123" not in page


NORTHS_PAGERDUTY_KEY = "e93facc04764012d7bfb002500d5d1a6"


def test_mara_sends_north_s_alerts_to_pagerduty_and_the_key_is_never_shown(as_mara_page, north):
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert "None is set: PagerDuty is not used." in page

    sent = as_mara_page.post(
        "/dashboard/clinic/", settings_body(pagerduty_routing_key=NORTHS_PAGERDUTY_KEY)
    )

    assert sent.status_code == 302, sent.content[:3000]
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == NORTHS_PAGERDUTY_KEY
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert "A key is set: alerts go to PagerDuty." in page
    assert NORTHS_PAGERDUTY_KEY not in page
    # Saved again with the key's box left empty: the key stays.
    as_mara_page.post("/dashboard/clinic/", settings_body(urgent_delay_seconds="600"))
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == NORTHS_PAGERDUTY_KEY


def test_mara_stops_pagerduty_from_the_clinic_page(as_mara_page, north):
    AlertSettings.objects.create(clinic=north, pagerduty_routing_key=NORTHS_PAGERDUTY_KEY)

    sent = as_mara_page.post("/dashboard/clinic/", settings_body(remove_pagerduty_routing_key="on"))

    assert sent.status_code == 302, sent.content[:3000]
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == ""


def test_mara_leaves_the_rule_out_of_the_webhook_from_the_clinic_page(as_mara_page, north):
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert 'id="id_webhook_include_rule" checked' in page

    body = settings_body()
    del body["webhook_include_rule"]  # the box unticked: a browser sends nothing for it
    sent = as_mara_page.post("/dashboard/clinic/", body)

    assert sent.status_code == 302, sent.content[:3000]
    assert AlertSettings.objects.get(clinic=north).webhook_include_rule is False
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert 'id="id_webhook_include_rule" checked' not in page


def test_mara_sets_the_clinic_s_erasure_policy_from_the_clinic_page(as_mara_page, north):
    page = as_mara_page.get("/dashboard/clinic/").content.decode()
    assert "Erasing a patient deletes their readings too" in page
    assert 'id="id_erasure_deletes_readings" checked' not in page  # kept, de-identified

    sent = as_mara_page.post("/dashboard/clinic/", settings_body(erasure_deletes_readings="on"))

    assert sent.status_code == 302, sent.content[:3000]
    north.refresh_from_db()
    assert north.erasure_deletes_readings is True
    as_mara_page.post("/dashboard/clinic/", settings_body())  # the box unticked again
    north.refresh_from_db()
    assert north.erasure_deletes_readings is False
