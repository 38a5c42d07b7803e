""" "Has the clinic seen my report?": Ana's entry that raised an alert says so in plain,
calm words as the nurse acknowledges and resolves it, in her language, with no staff name."""

from zoneinfo import ZoneInfo

import pytest

from notifications.models import Alert

ENTRIES = "/api/v1/me/entries/"


@pytest.fixture
def reported(as_ana, anas_block, entry_for):
    response = as_ana.post(ENTRIES, entry_for(anas_block, bowel_bladder_change=True), format="json")
    assert response.status_code == 201
    return response.json()


def status_of(client, entry) -> dict:
    return client.get(f"{ENTRIES}{entry['id']}/").json()["clinic_status"]


def test_ana_is_told_her_report_went_to_the_clinic_then_that_it_was_seen_and_dealt_with(
    as_ana, as_nia, reported, nurse_nia
):
    assert reported["clinic_status"] == {
        "state": "sent",
        "at": None,
        "message": "Your report has been sent to your clinic.",
    }
    alert = Alert.objects.get(pk=reported["alert"]["id"])

    assert as_nia.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    seen = status_of(as_ana, reported)
    alert.refresh_from_db()
    at_home = alert.acknowledged_at.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M")
    assert seen == {
        "state": "seen",
        "at": alert.acknowledged_at.isoformat().replace("+00:00", "Z"),
        "message": f"Your clinic has seen your report ({at_home}).",
    }
    assert nurse_nia.username not in str(seen)

    as_nia.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "Called her."}, format="json")
    done = status_of(as_ana, reported)
    assert (done["state"], done["message"]) == (
        "dealt_with",
        "Your clinic has dealt with your report.",
    )
    assert "Called her" not in str(done)


def test_the_words_are_in_the_patients_language(as_ana, ana, reported):
    ana.language = "es"
    ana.save(update_fields=["language"])

    message = status_of(as_ana, reported)["message"]

    assert message != "Your report has been sent to your clinic."
    assert "clínica" in message


def test_an_entry_with_nothing_of_concern_has_no_clinic_status(as_ana, anas_block, entry_for):
    body = as_ana.post(ENTRIES, entry_for(anas_block), format="json").json()

    assert body["clinic_status"] is None
