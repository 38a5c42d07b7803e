"""The push payload is part of the contract: a reminder and a page carry the keys the
schema's PushReminderData and PushAlertPageData say, the same through FCM and APNs."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from jsonschema import Draft202012Validator

from notifications import messages
from notifications.models import Purpose
from notifications.transports.push_apns import ApnsTransport
from notifications.transports.push_fcm import FcmTransport
from tests.contract.schema_check import FORMATS, openapi

NINE_AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLOSES_AT = datetime(2026, 3, 2, 11, 30, tzinfo=UTC)


def app_data(message) -> tuple[dict, dict]:
    """What the app reads: FCM's data, and APNs' keys beside aps."""
    now = NINE_AM.timestamp()
    fcm = FcmTransport().payload(message, now=now)["message"]["data"]
    apns = ApnsTransport().payload(message, now=now)
    apns.pop("aps")
    return fcm, apns


def assert_valid(data: dict, component: str) -> None:
    schema = openapi()["components"]["schemas"][component]
    errors = list(Draft202012Validator(schema, format_checker=FORMATS).iter_errors(data))
    assert not errors, [error.message for error in errors]


def anas_reminder(purpose=Purpose.REMINDER, platform="fcm"):
    return messages.reminder_message(
        purpose=purpose,
        checkin_id=42,
        plan_version=1,
        label="2 h after your block",
        address="ana-phone-token",
        platform=platform,
        link="https://diary.example.org/c/7f3a",
        closes_at=CLOSES_AT,
    )


@pytest.mark.parametrize("purpose", [Purpose.REMINDER, Purpose.REREMINDER])
def test_a_reminder_push_carries_kind_check_in_link_collapse_id_and_expiry(purpose):
    fcm, apns = app_data(anas_reminder(purpose))

    assert fcm == apns
    assert fcm == {
        "kind": str(purpose),
        "checkin_id": "42",
        "url": "https://diary.example.org/c/7f3a",
        "collapse_id": f"checkin-42-1-{purpose}",
        "expires_at": "2026-03-02T11:30:00Z",  # when the check-in closes
    }
    assert_valid(fcm, "PushReminderData")


def test_an_alert_page_push_carries_kind_alert_link_collapse_id_and_expiry(settings):
    settings.SITE_URL = "https://diary.example.org"
    alert = SimpleNamespace(pk=7, severity="emergency", clinic=SimpleNamespace(name="North"))
    delivery = SimpleNamespace(address="nia-phone", step=0, event="paged", platform="apns")

    fcm, apns = app_data(messages.alert_page_message(alert=alert, delivery=delivery))

    assert fcm == apns
    assert fcm == {
        "kind": "alert_page",
        "alert_id": "7",
        "url": "https://diary.example.org/dashboard/alerts/7/",
        "collapse_id": "alert-7-0-paged",
        "expires_at": "2026-03-02T10:00:00Z",  # the default hour
    }
    assert_valid(fcm, "PushAlertPageData")
