import uuid

from django.utils import timezone


def entry(block, **overrides):
    body = {
        "client_id": str(uuid.uuid4()),
        "procedure": block.id,
        "recorded_at": timezone.now().isoformat(),
        "pain_score": 2,
    }
    body.update(overrides)
    return body


def test_ana_records_an_entry_and_gets_relief_against_her_baseline(as_ana, anas_block):
    response = as_ana.post("/api/v1/me/entries/", entry(anas_block), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["relief_percent"] == 75.0
    assert 119 <= body["minutes_after_block"] <= 120
    assert body["checkin"] is not None  # matched to the open 2 h check-in


def test_retry_returns_the_original_and_a_changed_retry_conflicts(as_ana, anas_block):
    body = entry(anas_block)
    first = as_ana.post("/api/v1/me/entries/", body, format="json")
    again = as_ana.post("/api/v1/me/entries/", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    changed = as_ana.post("/api/v1/me/entries/", {**body, "pain_score": 9}, format="json")
    assert changed.status_code == 409
    assert "client_id" in changed.json()["fields"]


def test_a_retry_that_spells_out_the_defaults_is_still_the_same_entry(as_ana, anas_block):
    body = entry(anas_block)
    first = as_ana.post("/api/v1/me/entries/", body, format="json")
    explicit = {**body, "note": "", "checkin": None}
    again = as_ana.post("/api/v1/me/entries/", explicit, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_a_no_to_a_question_first_left_unasked_is_another_entry(as_ana, anas_block):
    """Rule set v2: a question not asked is unknown, so answering it "no" says more."""
    body = entry(anas_block)
    assert as_ana.post("/api/v1/me/entries/", body, format="json").status_code == 201
    answered = {**body, "numbness": "none", "fever": False}
    assert as_ana.post("/api/v1/me/entries/", answered, format="json").status_code == 409
