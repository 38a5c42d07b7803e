"""What the alerts API shows, and to whom: the events and entries behind an alert, its
findings with their rule set and what the patient was told (rules v2), lists by state and
severity; nothing to Omar of another clinic, nothing to a patient.

Ana reports from her phone and staff read the alerts through the real API.
"""

from notifications.models import Alert, AlertState


def test_alert_detail_shows_the_events_and_the_entry_behind_it(paging, block, report, as_cole):
    report(block, 1, fever=True, temperature_celsius="38.6")
    alert = Alert.objects.get()
    body = as_cole.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert body["rule"] == "fever"
    assert [e["kind"] for e in body["events"]][:2] == ["triggered", "paged"]
    assert len(body["entries"]) == 1 and body["entries"][0]["temperature_celsius"] == "38.6"


def test_staff_list_alerts_by_state_and_severity(paging, block, report, as_cole):
    report(block, 1, saddle_numbness=True)
    report(block, 1.5, site_problem=True)
    assert len(as_cole.get("/api/v1/alerts/?state=open").json()["results"]) == 2
    urgent = as_cole.get("/api/v1/alerts/?severity=urgent").json()["results"]
    assert [a["rule"] for a in urgent] == ["site_problem"]
    assert as_cole.get("/api/v1/alerts/?state=resolved").json()["results"] == []
    assert as_cole.get("/api/v1/alerts/?state=nonsense").status_code == 400


def test_omar_of_south_sees_and_touches_nothing_of_norths_alerts(paging, block, report, as_omar):
    report(block, 1, saddle_numbness=True)
    alert = Alert.objects.get()
    assert as_omar.get("/api/v1/alerts/").json()["results"] == []
    assert as_omar.get(f"/api/v1/alerts/{alert.pk}/").status_code == 404
    assert as_omar.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 404
    alert.refresh_from_db()
    assert alert.state == AlertState.OPEN


def test_a_patient_cannot_read_alerts(paging, block, report, as_ana):
    report(block, 1, saddle_numbness=True)
    assert as_ana.get("/api/v1/alerts/").status_code == 404


def test_an_alert_lists_its_findings_with_their_rule_set_and_what_the_patient_was_told(
    paging, block, report, as_nia
):
    answer = report(block, 2, weakness="left_leg", can_lift_heel=False)
    assert answer["advice"]["message"].startswith("Do not walk without help")
    (finding,) = answer["findings"]
    assert finding["rule"] == "heel_lift_failure"
    assert finding["rule_title"].startswith("Cannot lift the heel")
    assert finding["rule_set"] == {"version": 2, "clinical_version": 2, "source": "default"}
    assert finding["pages_proceduralist"] is False

    (listed,) = as_nia.get("/api/v1/alerts/").json()["results"]
    assert [f["rule"] for f in listed["findings"]] == ["heel_lift_failure"]
    assert listed["patient_advice"]["level"] == "contact_clinic"
    assert listed["patient_advice"]["message"] == answer["advice"]["message"]
    assert listed["patient_advice"]["entry"] == answer["id"]
    detail = as_nia.get(f"/api/v1/alerts/{listed['id']}/").json()
    assert detail["findings"] == listed["findings"]
    assert detail["entries"][0]["advice_message"] == answer["advice"]["message"]


def test_a_clinic_s_own_rules_are_named_as_the_clinic_s(paging, block, report, as_nia, north):
    from diary import rulesets

    rulesets.set_overrides(north, {"fever_celsius": 38.5})
    answer = report(block, 5, fever=True)
    assert answer["findings"][0]["rule_set"] == {
        "version": 1,
        "clinical_version": 2,
        "source": "clinic",
    }
