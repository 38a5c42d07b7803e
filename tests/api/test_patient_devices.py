"""Push tokens of Ana's and Ben's phones: registered, moved between patients, removed."""

import pytest
from django.utils import timezone

from diary.models import Device

pytestmark = pytest.mark.filterwarnings("error::django.core.paginator.UnorderedObjectListWarning")

DEVICES = "/api/v1/me/devices/"


def register(client, token, platform="fcm"):
    return client.post(DEVICES, {"platform": platform, "token": token}, format="json")


def device_ids(client):
    response = client.get(DEVICES)
    assert response.status_code == 200
    return [d["id"] for d in response.json()["results"]]


@pytest.mark.parametrize("platform", ["fcm", "apns"])
def test_ana_registers_her_phone(as_ana, ana, platform):
    response = register(as_ana, "token-of-anas-phone", platform)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "platform", "token", "created_at"}
    assert (body["platform"], body["token"]) == (platform, "token-of-anas-phone")
    assert Device.objects.get(pk=body["id"]).patient == ana


def test_registering_the_same_token_again_updates_the_one_device(as_ana):
    first = register(as_ana, "token-of-anas-phone")

    again = register(as_ana, "token-of-anas-phone")

    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json()["id"] == first.json()["id"]
    assert Device.objects.count() == 1


def test_the_same_token_on_the_other_platform_is_another_device(as_ana):
    android = register(as_ana, "same-string", "fcm")

    ios = register(as_ana, "same-string", "apns")

    assert (android.status_code, ios.status_code) == (201, 201)
    assert android.json()["id"] != ios.json()["id"]


def test_a_phone_handed_from_ana_to_ben_moves_to_ben(as_ana, as_ben, ben):
    anas = register(as_ana, "token-of-the-shared-phone").json()

    response = register(as_ben, "token-of-the-shared-phone")

    assert response.status_code == 200, response.content
    assert response.json()["id"] == anas["id"]
    assert Device.objects.get(pk=anas["id"]).patient == ben
    assert device_ids(as_ana) == []
    assert device_ids(as_ben) == [anas["id"]]


def test_re_registering_a_disabled_token_enables_it_again(as_ana):
    device_id = register(as_ana, "token-that-bounced").json()["id"]
    Device.objects.filter(pk=device_id).update(disabled_at=timezone.now())

    assert register(as_ana, "token-that-bounced").status_code == 200

    assert Device.objects.get(pk=device_id).disabled_at is None


def test_ana_removes_her_phone(as_ana):
    device_id = register(as_ana, "token-of-anas-phone").json()["id"]

    response = as_ana.delete(f"{DEVICES}{device_id}/")

    assert response.status_code == 204
    assert not Device.objects.filter(pk=device_id).exists()


def test_ben_cannot_remove_anas_phone(as_ana, as_ben):
    device_id = register(as_ana, "token-of-anas-phone").json()["id"]

    response = as_ben.delete(f"{DEVICES}{device_id}/")

    assert response.status_code == 404
    assert Device.objects.filter(pk=device_id).exists()
    assert device_ids(as_ana) == [device_id]


def test_removing_a_phone_that_does_not_exist_is_not_found(as_ana):
    assert as_ana.delete(f"{DEVICES}999999/").status_code == 404


def test_ana_lists_only_her_own_phones_a_page_at_a_time(as_ana, as_ben):
    mine = [register(as_ana, f"anas-phone-{n}").json()["id"] for n in range(3)]
    register(as_ben, "bens-phone")

    first = as_ana.get(DEVICES, {"page_size": 2}).json()
    second = as_ana.get(first["next"]).json()

    assert first["count"] == 3
    assert sorted(d["id"] for d in first["results"] + second["results"]) == sorted(mine)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"platform": "gcm", "token": "t"}, "platform", id="unknown-platform"),
        pytest.param({"platform": "FCM", "token": "t"}, "platform", id="wrong-case-platform"),
        pytest.param({"platform": None, "token": "t"}, "platform", id="null-platform"),
        pytest.param({"token": "t"}, "platform", id="missing-platform"),
        pytest.param({"platform": "fcm"}, "token", id="missing-token"),
        pytest.param({"platform": "fcm", "token": ""}, "token", id="empty-token"),
        pytest.param({"platform": "fcm", "token": 7}, "token", id="number-token"),
        pytest.param({"platform": "fcm", "token": "x" * 513}, "token", id="too-long-token"),
        pytest.param({"platform": "fcm", "token": "t\x00"}, "token", id="nul-in-token"),
        pytest.param({"platform": "fcm", "token": "t", "patient": 1}, "patient", id="unknown-key"),
        pytest.param({"platform": "fcm", "token": "t", "id": 1}, "id", id="read-only-key"),
    ],
)
def test_a_bad_registration_is_refused_naming_the_field(as_ana, body, field):
    response = as_ana.post(DEVICES, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Device.objects.exists()
