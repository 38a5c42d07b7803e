"""Who the phone is, what it may read, and what it may not: Ben never sees Ana's diary."""

import pytest

from diary import services

# A paginated list must have a stable order, or a page can repeat or skip rows.
pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")

ME = "/api/v1/me/"
PROCEDURE_FIELDS = {"id", "performed_at", "kind", "levels", "side", "anesthetic", "steroid"}


def test_ana_reads_who_she_is_and_how_to_reach_her_clinic(as_ana, ana):
    response = as_ana.get(ME)

    assert response.status_code == 200
    # Exactly these: no phone, e-mail or anticoagulant flag leaks into the app.
    assert response.json() == {
        "id": ana.id,
        "display_name": "Ana Silva",
        "timezone": "Europe/London",
        "language": "en",
        "checkin_time": "10:00:00",
        "quiet_start": "22:00:00",
        "quiet_end": "08:00:00",
        "channel_order": "push,sms,email",
        "clinic": {"name": "North", "phone": "+442079460001"},
    }


def test_ana_lists_her_own_blocks_and_not_bens(as_ana, anas_block, bens_block):
    response = as_ana.get(f"{ME}procedures/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (block,) = body["results"]
    assert set(block) == {*PROCEDURE_FIELDS, "status"}
    assert block["id"] == anas_block.id
    assert block["kind"] == "diagnostic_mbb"
    assert block["levels"] == "L4-L5"
    assert block["side"] == "left"
    assert block["anesthetic"] == "lidocaine"
    assert block["steroid"] is False
    assert block["status"] == "performed"


@pytest.fixture
def anas_things(as_ana, ana, anas_block, entry_for):
    """Ids of Ana's block, check-in, entry and phone: what Ben must not reach."""
    entry = as_ana.post(f"{ME}entries/", entry_for(anas_block), format="json").json()
    device, _ = services.register_device(patient=ana, platform="fcm", token="anas-phone")
    return {
        "procedures": anas_block.id,
        "checkins": anas_block.checkins.first().id,
        "entries": entry["id"],
        "devices": device.id,
    }


@pytest.mark.parametrize("kind", ["procedures", "checkins", "entries", "devices"])
def test_bens_lists_never_contain_anas_things(as_ben, bens_block, anas_things, kind):
    response = as_ben.get(f"{ME}{kind}/")

    assert response.status_code == 200
    ids = [item["id"] for item in response.json()["results"]]
    assert anas_things[kind] not in ids


@pytest.mark.parametrize("kind", ["procedures", "checkins", "entries"])
def test_ben_gets_not_found_for_anas_things_by_id(as_ben, as_ana, anas_things, kind):
    assert as_ana.get(f"{ME}{kind}/{anas_things[kind]}/").status_code == 200

    assert as_ben.get(f"{ME}{kind}/{anas_things[kind]}/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/patients/",
        "/api/v1/patients/{ana}/",
        "/api/v1/procedures/",
        "/api/v1/procedures/{block}/",
        "/api/v1/procedures/{block}/entries/",
    ],
)
def test_a_patients_token_on_a_staff_endpoint_finds_nothing(as_ana, ana, anas_block, path):
    response = as_ana.get(path.format(ana=ana.id, block=anas_block.id))

    assert response.status_code == 404


def test_a_staff_token_on_the_phone_app_finds_nothing(as_cole):
    assert as_cole.get(ME).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        ME,
        f"{ME}procedures/",
        f"{ME}checkins/",
        f"{ME}entries/",
        f"{ME}devices/",
        "/api/v1/patients/",
        "/api/v1/procedures/",
    ],
)
@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param("not-a-real-token", id="unknown-token"),
        pytest.param("two words", id="malformed-header"),
    ],
)
def test_without_a_valid_token_the_answer_is_unauthorized(bearer, ana, path, token):
    response = bearer(token).get(path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_posting_an_entry_without_a_token_stores_nothing(anon, anas_block, entry_for):
    response = anon.post(f"{ME}entries/", entry_for(anas_block), format="json")

    assert response.status_code == 401
    assert not anas_block.entries.exists()
