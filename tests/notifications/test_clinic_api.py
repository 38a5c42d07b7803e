"""North's settings page: how fast an unacknowledged alert escalates, the paging
system's webhook, who to call when nobody is on call, and the clinic's clinical rules.
Everyone at North reads it; only Mara, the clinic admin, changes it; Omar, of South,
sees and changes South's alone. The webhook secret is never read back.
"""

import pytest

from diary import services as diary_services
from diary.models import Clinic, RuleSet
from diary.services import DiaryError
from notifications import clinic_settings
from notifications.models import AlertSettings
from tests.factories import StaffFactory

CLINIC = "/api/v1/clinic/"
SECRET = "north-paging-secret-0123456789"


@pytest.fixture
def mara(north):
    return StaffFactory(user__username="mara", clinic=north, is_admin=True).user


@pytest.fixture
def as_mara(mara, bearer):
    return bearer(diary_services.issue_staff_token(mara))


@pytest.fixture(autouse=True)
def email_on(clean_channel_env, settings):
    """E-mail is the one channel the server can send on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _paging_hosts_resolve(paging_hosts_resolve):
    pass


def north_rule_sets() -> list[tuple[int, dict]]:
    return list(
        RuleSet.objects.filter(clinic__name="North")
        .order_by("version")
        .values_list("version", "overrides")
    )


def test_nia_reads_north_s_defaults(as_nia):
    response = as_nia.get(CLINIC)

    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("rules", "coverage_warnings")} == {
        "name": "North",
        "timezone": "Europe/London",
        "phone": "+442079460001",
        "emergency_number": "112",
        "erasure_deletes_readings": False,
        "emergency_delay_seconds": 300,
        "urgent_delay_seconds": 900,
        "webhook_url": "",
        "webhook_secret_set": False,
        "webhook_include_rule": True,
        "pagerduty_routing_key_set": False,
        "fallback_phone": "",
        "fallback_email": "",
        "max_escalation_steps": 5,
        "ack_reminder_seconds": 7200,
        "rule_overrides": {},
    }
    assert body["rules"]["version"] == "default v2"
    assert body["rules"]["values"]["fever_celsius"] == 38.0
    assert body["coverage_warnings"] == ["No primary on call in the next 24 hours (Europe/London)."]
    assert not AlertSettings.objects.exists()  # reading saves nothing


def test_mara_sets_the_numbers_patients_are_told_to_call(as_mara, north):
    response = as_mara.patch(
        CLINIC, {"phone": "+442079460999", "emergency_number": "999"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["phone"], response.json()["emergency_number"]) == (
        "+442079460999",
        "999",
    )
    north.refresh_from_db()
    assert (north.phone, north.emergency_number) == ("+442079460999", "999")


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "020 7946 0999"), ("emergency_number", "9-9-9"), ("emergency_number", "")],
)
def test_a_number_patients_cannot_dial_is_refused_by_name(as_mara, north, field, value):
    response = as_mara.patch(CLINIC, {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    north.refresh_from_db()
    assert (north.phone, north.emergency_number) == ("+442079460001", "112")


def test_nia_cannot_change_the_settings(as_nia):
    response = as_nia.patch(CLINIC, {"urgent_delay_seconds": 60})

    assert response.status_code == 403
    assert response.json()["message"] == "Only clinic admins can change the clinic's settings."
    assert not AlertSettings.objects.exists()


def test_mara_shortens_the_escalation_delays(as_mara, north):
    response = as_mara.patch(CLINIC, {"emergency_delay_seconds": 60, "urgent_delay_seconds": 600})

    assert response.status_code == 200
    body = response.json()
    assert (body["emergency_delay_seconds"], body["urgent_delay_seconds"]) == (60, 600)
    stored = AlertSettings.objects.get(clinic=north)
    assert (stored.emergency_delay_seconds, stored.urgent_delay_seconds) == (60, 600)
    assert north_rule_sets() == []  # the rules were not touched


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"emergency_delay_seconds": 4}, "emergency_delay_seconds"),
        ({"urgent_delay_seconds": 86401}, "urgent_delay_seconds"),
        ({"urgent_delay_seconds": "600"}, "urgent_delay_seconds"),
        ({"urgent_delay_seconds": True}, "urgent_delay_seconds"),
        ({"emergency_delay_seconds": 60.5}, "emergency_delay_seconds"),
        ({"webhook_url": "ftp://pager.north.example/hook"}, "webhook_url"),
        ({"webhook_url": "pager.north.example"}, "webhook_url"),
        ({"webhook_secret": "too-short"}, "webhook_secret"),
        ({"fallback_phone": "07700 900123"}, "fallback_phone"),
        ({"fallback_email": "duty desk"}, "fallback_email"),
        ({"timezone": "Europe/Paris"}, "timezone"),
        ({"webhook_secret_set": True}, "webhook_secret_set"),
        ({"webhook_include_rule": "false"}, "webhook_include_rule"),
        ({"pagerduty_routing_key": "R0123456789abcdef0123456789abcd"}, "pagerduty_routing_key"),
        (
            {"pagerduty_routing_key": "e93facc0-4764-012d-7bfb-002500d5d1a6"},
            "pagerduty_routing_key",
        ),
        ({"pagerduty_routing_key": "e93facc04764012d7bfb002500d5d1a!"}, "pagerduty_routing_key"),
        ({"pagerduty_routing_key": 12345}, "pagerduty_routing_key"),
        ({"pagerduty_routing_key_set": True}, "pagerduty_routing_key_set"),
        ({"escalate_after": 60}, "escalate_after"),
        ({"rule_overrides": [1, 2]}, "rule_overrides"),
        ({"name": "South"}, "name"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(as_mara, south, changes, field):
    response = as_mara.patch(CLINIC, changes)

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not AlertSettings.objects.exists()
    assert Clinic.objects.get(timezone="Europe/London").name == "North"


def test_delays_at_the_edges_are_accepted(as_mara):
    response = as_mara.patch(CLINIC, {"emergency_delay_seconds": 5, "urgent_delay_seconds": 86400})

    assert response.status_code == 200


def test_mara_renames_the_clinic(as_mara, north):
    response = as_mara.patch(CLINIC, {"name": "North Spine Clinic"})

    assert response.status_code == 200
    assert response.json()["name"] == "North Spine Clinic"
    north.refresh_from_db()
    assert north.name == "North Spine Clinic"


# --- The webhook and its secret -----------------------------------------------------


def test_mara_points_alerts_at_the_paging_system_and_the_secret_is_never_read_back(
    as_mara, as_nia, north
):
    response = as_mara.patch(
        CLINIC,
        {
            "webhook_url": "https://pager.north.example/hooks/diary",
            "webhook_secret": SECRET,
            "fallback_phone": "+442079460002",
            "fallback_email": "duty@north.example",
        },
    )

    assert response.status_code == 200
    stored = AlertSettings.objects.get(clinic=north)
    assert stored.webhook_secret == SECRET
    assert stored.webhook_url == "https://pager.north.example/hooks/diary"
    assert (stored.fallback_phone, stored.fallback_email) == ("+442079460002", "duty@north.example")
    read_back = [response, as_mara.get(CLINIC), as_nia.get(CLINIC), as_nia.get("/api/v1/oncall/")]
    for answer in read_back:
        assert answer.status_code == 200
        assert SECRET not in answer.content.decode()
        assert 'webhook_secret"' not in answer.content.decode()
    assert response.json()["webhook_secret_set"] is True
    assert as_nia.get(CLINIC).json()["webhook_secret_set"] is True


def test_changing_the_url_keeps_the_secret_and_an_empty_one_removes_it(as_mara, north):
    as_mara.patch(CLINIC, {"webhook_url": "https://old.north.example/", "webhook_secret": SECRET})

    as_mara.patch(CLINIC, {"webhook_url": "https://pager.north.example/hook"})
    assert AlertSettings.objects.get(clinic=north).webhook_secret == SECRET

    response = as_mara.patch(CLINIC, {"webhook_secret": ""})
    assert response.json()["webhook_secret_set"] is False
    assert AlertSettings.objects.get(clinic=north).webhook_secret == ""


# --- PagerDuty, and the rule in the webhook's body ------------------------------------

PAGERDUTY_KEY = "e93facc04764012d7bfb002500d5d1a6"


def test_mara_sets_north_s_pagerduty_key_and_it_is_never_read_back(as_mara, as_nia, north):
    response = as_mara.patch(CLINIC, {"pagerduty_routing_key": PAGERDUTY_KEY})

    assert response.status_code == 200, response.content
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == PAGERDUTY_KEY
    for answer in (response, as_mara.get(CLINIC), as_nia.get(CLINIC)):
        assert PAGERDUTY_KEY not in answer.content.decode()
        assert PAGERDUTY_KEY[-8:] not in answer.content.decode()
        assert 'pagerduty_routing_key"' not in answer.content.decode()
        assert answer.json()["pagerduty_routing_key_set"] is True


def test_a_pasted_key_is_trimmed_and_an_empty_one_stops_pagerduty(as_mara, north):
    as_mara.patch(CLINIC, {"pagerduty_routing_key": f"  {PAGERDUTY_KEY}\n"}, format="json")
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == PAGERDUTY_KEY

    as_mara.patch(CLINIC, {"urgent_delay_seconds": 600})
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == PAGERDUTY_KEY

    response = as_mara.patch(CLINIC, {"pagerduty_routing_key": ""})
    assert response.json()["pagerduty_routing_key_set"] is False
    assert AlertSettings.objects.get(clinic=north).pagerduty_routing_key == ""


def test_nia_cannot_set_the_pagerduty_key(as_nia):
    response = as_nia.patch(CLINIC, {"pagerduty_routing_key": PAGERDUTY_KEY})

    assert response.status_code == 403
    assert not AlertSettings.objects.exists()


def test_a_bad_key_given_to_the_service_is_refused_by_name(north, mara):
    with pytest.raises(DiaryError) as refused:
        clinic_settings.update_alert_settings(
            north, by=mara, pagerduty_routing_key="not-a-pagerduty-key"
        )

    assert refused.value.field == "pagerduty_routing_key"
    assert "32 letters and digits" in refused.value.message
    assert not AlertSettings.objects.exists()


def test_mara_leaves_the_rule_out_of_the_webhook_and_back_in(as_mara, north):
    response = as_mara.patch(CLINIC, {"webhook_include_rule": False}, format="json")

    assert response.status_code == 200
    assert response.json()["webhook_include_rule"] is False
    assert AlertSettings.objects.get(clinic=north).webhook_include_rule is False

    as_mara.patch(CLINIC, {"webhook_include_rule": True}, format="json")
    assert AlertSettings.objects.get(clinic=north).webhook_include_rule is True


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://pager.north.example/hook", "Must be an https:// URL."),
        ("https://127.0.0.1/hook", "alerts can only be posted to a public one"),
        ("https://169.254.169.254/latest/meta-data/", "alerts can only be posted to a public one"),
        ("https://[::1]:8443/hook", "alerts can only be posted to a public one"),
        ("https://10.0.0.7/hook", "alerts can only be posted to a public one"),
        ("https://no-such-host.invalid/hook", "cannot be found"),
    ],
)
def test_a_webhook_inside_the_network_is_refused_at_save(as_mara, settings, url, message):
    # Off, as in production: the test settings allow the tests' local receiver.
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False

    response = as_mara.patch(CLINIC, {"webhook_url": url})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["webhook_url"]
    assert message in response.json()["fields"]["webhook_url"][0]
    assert not AlertSettings.objects.exists()


# --- Clinical rule overrides --------------------------------------------------------


def test_mara_raises_the_fever_threshold_and_a_new_rule_set_version_appears(as_mara, mara):
    response = as_mara.patch(CLINIC, {"rule_overrides": {"fever_celsius": 38.5}})

    assert response.status_code == 200
    body = response.json()
    assert body["rule_overrides"] == {"fever_celsius": 38.5}
    assert body["rules"]["version"] == "North v1"
    assert body["rules"]["values"]["fever_celsius"] == 38.5
    assert north_rule_sets() == [(1, {"fever_celsius": 38.5})]
    assert RuleSet.objects.get(clinic__name="North").created_by == mara


def test_a_patch_replaces_the_overrides_and_the_same_ones_again_add_no_version(as_mara):
    as_mara.patch(CLINIC, {"rule_overrides": {"fever_celsius": 38.5}})
    as_mara.patch(CLINIC, {"rule_overrides": {"positive_relief_percent": 50}})
    as_mara.patch(CLINIC, {"rule_overrides": {"positive_relief_percent": 50}})  # form resent
    back_to_defaults = as_mara.patch(CLINIC, {"rule_overrides": {}})

    assert north_rule_sets() == [
        (1, {"fever_celsius": 38.5}),
        (2, {"positive_relief_percent": 50}),
        (3, {}),
    ]
    body = back_to_defaults.json()
    assert body["rules"]["version"] == "North v3"
    assert body["rules"]["values"]["fever_celsius"] == 38.0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"shoe_size": 42}, "rule_overrides.shoe_size"),
        ({"fever_celsius": 41}, "rule_overrides.fever_celsius"),
        ({"min_readings_in_window": 2.5}, "rule_overrides.min_readings_in_window"),
        ({"anticoagulant_raise": "yes"}, "rule_overrides.anticoagulant_raise"),
        ({"expected_numbness_hours": 24}, "rule_overrides.never_normal_numbness_hours"),
    ],
)
def test_a_bad_override_is_refused_naming_it_and_nothing_is_saved(as_mara, overrides, field):
    response = as_mara.patch(CLINIC, {"urgent_delay_seconds": 60, "rule_overrides": overrides})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert north_rule_sets() == []
    assert not AlertSettings.objects.exists()  # the delay in the same PATCH was rolled back


@pytest.mark.parametrize(
    "override",
    [
        '"positive_relief_percent": 1e400',  # a whole number: int(inf) overflowed
        '"max_reading_gap_minutes": -1e400',
        '"fever_celsius": 1e400',
    ],
)
def test_an_override_too_large_for_a_float_is_refused_naming_it(as_mara, override):
    # Written out by hand: json.dumps would send Infinity, which the parser refuses anyway.
    body = '{"rule_overrides": {' + override + "}}"
    response = as_mara.patch(CLINIC, body, content_type="application/json")

    assert response.status_code == 400
    name = override.split('"')[1]
    assert list(response.json()["fields"]) == [f"rule_overrides.{name}"]
    assert north_rule_sets() == []


# --- Omar, of South -----------------------------------------------------------------


def test_omar_reads_and_changes_south_s_settings_only(as_omar, as_mara, south, north):
    as_mara.patch(CLINIC, {"urgent_delay_seconds": 120, "webhook_secret": SECRET})

    read = as_omar.get(CLINIC).json()
    assert (read["name"], read["timezone"]) == ("South", "America/New_York")
    assert read["urgent_delay_seconds"] == 900
    assert read["webhook_secret_set"] is False

    assert as_omar.patch(CLINIC, {"urgent_delay_seconds": 300}).status_code == 200
    assert clinic_settings.alert_settings_of(north).urgent_delay_seconds == 120
    assert clinic_settings.alert_settings_of(south).urgent_delay_seconds == 300


def test_ana_the_patient_finds_no_settings(as_ana):
    assert as_ana.get(CLINIC).status_code == 404
    assert as_ana.patch(CLINIC, {"urgent_delay_seconds": 60}).status_code == 404


def test_mara_caps_the_escalation_steps_within_bounds(as_mara, north):
    answer = as_mara.patch(CLINIC, {"max_escalation_steps": 3}, format="json")
    refused = as_mara.patch(CLINIC, {"max_escalation_steps": 1}, format="json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["max_escalation_steps"] == 3
    assert refused.status_code == 400
    assert AlertSettings.objects.get(clinic=north).max_escalation_steps == 3


def test_mara_sets_the_acknowledged_reminder_or_turns_it_off(as_mara, north):
    hour = as_mara.patch(CLINIC, {"ack_reminder_seconds": 3600}, format="json")
    too_soon = as_mara.patch(CLINIC, {"ack_reminder_seconds": 60}, format="json")
    never = as_mara.patch(CLINIC, {"ack_reminder_seconds": 0}, format="json")

    assert (hour.status_code, too_soon.status_code, never.status_code) == (200, 400, 200)
    assert AlertSettings.objects.get(clinic=north).ack_reminder_seconds == 0
