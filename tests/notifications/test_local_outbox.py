"""The local outbox (notifications/outbox.py): with no provider configured, push, SMS and
e-mail are kept instead of sent, listed on the dashboard's outbox page of the clinic they
belong to, and announced in one console line that holds no address but its tail.

The clock is frozen ten seconds before Ana's 2 h check-in falls due (notifications/conftest).
"""

import logging

import pytest
from django.conf import settings

from notifications.models import Delivery, DeliveryStatus, OutboxMessage
from tests.dashboard import signed_in
from tests.notifications.conftest import ANAS_NUMBER, TWO_HOURS

pytestmark = pytest.mark.django_db


@pytest.fixture
def local_outbox(settings, clean_channel_env):
    """No provider at all, as on a newcomer's laptop, and the outbox on."""
    settings.OUTBOX_CHANNEL = True
    settings.EMAIL_HOST = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    return settings


def test_the_outbox_is_off_outside_debug_unless_set():
    # backend/settings_test.py runs with DEBUG=false, as production does.
    assert settings.DEBUG is False
    assert settings.OUTBOX_CHANNEL is False


def test_ana_s_reminder_is_kept_with_its_link_and_one_line_names_only_its_tail(
    clock, block, local_outbox, beat, worker, caplog
):
    beat()
    clock.move_to(TWO_HOURS)
    with caplog.at_level(logging.INFO, logger="notifications.outbox"):
        worker()

    [delivery] = Delivery.objects.all()
    assert (delivery.channel, delivery.status) == ("sms", DeliveryStatus.SENT)
    [kept] = OutboxMessage.objects.all()
    assert (kept.clinic, kept.delivery, kept.channel) == (block.patient.clinic, delivery, "sms")
    assert kept.address == ANAS_NUMBER
    assert kept.url.startswith(f"{settings.WEB_CHECKIN_URL}/")
    [line] = [r.getMessage() for r in caplog.records if r.name == "notifications.outbox"]
    assert line.startswith(f"outbox kept sms #{kept.pk} to …0123: Time for your check-in")
    assert ANAS_NUMBER not in line
    # Outside DEBUG a console line never carries the link: it opens Ana's diary.
    assert kept.url not in line


def test_in_debug_the_console_line_carries_the_link_to_click(
    clock, block, local_outbox, beat, worker, caplog
):
    local_outbox.DEBUG = True
    beat()
    clock.move_to(TWO_HOURS)
    with caplog.at_level(logging.INFO, logger="notifications.outbox"):
        worker()

    [kept] = OutboxMessage.objects.all()
    [line] = [r.getMessage() for r in caplog.records if r.name == "notifications.outbox"]
    assert line.endswith(f" {kept.url}")


def test_nia_sees_north_s_kept_messages_and_omar_sees_none_of_them(
    clock, block, local_outbox, beat, worker, nurse_nia, omar
):
    beat()
    clock.move_to(TWO_HOURS)
    worker()
    [kept] = OutboxMessage.objects.all()

    nia = signed_in(nurse_nia).get("/dashboard/outbox/")
    omars = signed_in(omar).get("/dashboard/outbox/")

    assert nia.status_code == 200
    assert f'href="{kept.url}"' in nia.text
    assert '<a href="/dashboard/outbox/" aria-current="page">Outbox</a>' in nia.text
    assert omars.status_code == 200
    assert kept.url not in omars.text
    assert "Nothing kept yet" in omars.text


def test_without_the_outbox_there_is_no_outbox_page_and_no_link_to_it(nurse_nia):
    client = signed_in(nurse_nia)

    assert client.get("/dashboard/outbox/").status_code == 404
    assert "/dashboard/outbox/" not in client.get("/dashboard/").text


def test_the_outbox_page_is_for_signed_in_staff_only(local_outbox, client):
    answer = client.get("/dashboard/outbox/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/dashboard/login/")


def test_with_the_outbox_on_no_channel_warns_and_one_line_says_where_messages_go(
    local_outbox, caplog
):
    from notifications import config

    with caplog.at_level(logging.INFO, logger="notifications"):
        config.warn_about_missing_channels()

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "INFO",
            "Local outbox on: push, SMS and e-mail are kept, not sent; "
            f"see {settings.SITE_URL}/dashboard/outbox/",
        )
    ]
