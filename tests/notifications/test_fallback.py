"""A permanent failure (a dead push token, a number Twilio rejects, a mailbox the server
refuses) stops that address for good and hands the reminder to the next channel in the
patient's order, which then arrives. A patient with two phones is not texted while the
other phone's push still stands.

The clock is frozen ten seconds before Ana's 2 h check-in (11:00 UTC, 10 June 2026).
"""

from datetime import timedelta

import pytest

from diary import services as diary
from notifications import services as notify
from notifications.models import (
    AttemptOutcome,
    ContactPreference,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Purpose,
)
from tests.notifications.conftest import (
    ANAS_EMAIL,
    ANAS_NUMBER,
    ANAS_PHONE_TOKEN,
    ANAS_TABLET_TOKEN,
    FCM_UNREGISTERED,
    TWILIO_INVALID_NUMBER,
    TWO_HOURS,
    Enqueued,
)

SECONDS = timedelta(seconds=1)


@pytest.fixture
def reminder_due(clock, block, beat):
    """Beat queues Ana's 2 h reminder; the clock then stands at 11:00."""

    def run():
        beat()
        clock.move_to(TWO_HOURS)

    return run


def rows() -> list[tuple[str, str, str]]:
    return list(Delivery.objects.order_by("id").values_list("channel", "address", "status"))


def test_a_dead_push_token_disables_the_phone_and_ana_is_texted_instead(
    clock, reminder_due, anas_phone, receivers, worker, enqueued, beat
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    reminder_due()

    [(push_id, outcome)] = worker().items()

    assert outcome == "failed"
    anas_phone.refresh_from_db()
    assert anas_phone.disabled_at == TWO_HOURS
    [attempt] = DeliveryAttempt.objects.filter(delivery_id=push_id)
    assert (attempt.outcome, attempt.status_code) == (AttemptOutcome.FAILED, 404)
    assert "UNREGISTERED" in attempt.provider_response
    text = Delivery.objects.get(channel="sms")
    assert (text.purpose, text.address, text.status) == (
        Purpose.REMINDER,
        ANAS_NUMBER,
        DeliveryStatus.PENDING,
    )
    assert enqueued[-1] == Enqueued(ids=[text.id], countdown=0.0)

    assert worker() == {text.id: "sent"}
    [sms] = receivers.texts
    assert (sms.address, sms.status) == (ANAS_NUMBER, 201)

    # The next reminder goes straight to SMS: the dead phone is not tried again.
    clock.move_to(TWO_HOURS + timedelta(hours=1) - 10 * SECONDS)
    beat()
    assert Delivery.objects.filter(checkin__key="h3").get().channel == "sms"
    assert len(receivers.pushes) == 1


def test_a_number_twilio_rejects_disables_sms_and_ana_is_emailed_instead(
    reminder_due, receivers, worker
):
    receivers.script(ANAS_NUMBER, TWILIO_INVALID_NUMBER)
    reminder_due()

    assert list(worker().values()) == ["failed"]

    contact = ContactPreference.objects.get(patient__display_name="Ana Silva")
    assert contact.sms_disabled_at == TWO_HOURS
    assert "21211" in contact.sms_disabled_reason
    assert rows() == [
        ("sms", ANAS_NUMBER, DeliveryStatus.FAILED),
        ("email", ANAS_EMAIL, DeliveryStatus.PENDING),
    ]

    assert list(worker().values()) == ["sent"]
    [email] = receivers.emails
    assert email["To"] == ANAS_EMAIL


def test_a_mailbox_the_server_refuses_disables_email_and_ana_is_texted_instead(
    ana, reminder_due, receivers, worker
):
    notify.update_contact(notify.contact_of(ana), channel_order="email,sms")
    receivers.smtp.refuse.add(ANAS_EMAIL)
    reminder_due()

    assert list(worker().values()) == ["failed"]

    contact = notify.contact_of(ana)
    assert contact.email_disabled_at == TWO_HOURS
    assert contact.email_disabled_reason.startswith("email failed")
    assert receivers.emails == []

    assert list(worker().values()) == ["sent"]
    assert rows() == [
        ("email", ANAS_EMAIL, DeliveryStatus.FAILED),
        ("sms", ANAS_NUMBER, DeliveryStatus.SENT),
    ]
    assert [t.address for t in receivers.texts] == [ANAS_NUMBER]


@pytest.mark.parametrize("dead", [ANAS_PHONE_TOKEN, ANAS_TABLET_TOKEN])
def test_one_dead_token_of_two_phones_does_not_text_ana_while_the_other_push_stands(
    reminder_due, anas_phone, anas_tablet, receivers, worker, dead
):
    receivers.script(dead, FCM_UNREGISTERED)
    reminder_due()

    outcomes = worker()

    assert sorted(outcomes.values()) == ["failed", "sent"]
    assert worker() == {}
    assert sorted(rows()) == sorted(
        [
            ("push", dead, DeliveryStatus.FAILED),
            (
                "push",
                ({ANAS_PHONE_TOKEN, ANAS_TABLET_TOKEN} - {dead}).pop(),
                DeliveryStatus.SENT,
            ),
        ]
    )
    assert receivers.texts == []
    assert receivers.emails == []


def test_when_both_phones_are_dead_ana_is_texted_once(
    reminder_due, anas_phone, anas_tablet, receivers, worker
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    receivers.script(ANAS_TABLET_TOKEN, FCM_UNREGISTERED)
    reminder_due()

    assert sorted(worker().values()) == ["failed", "failed"]
    assert list(worker().values()) == ["sent"]

    assert sorted(rows()) == sorted(
        [
            ("push", ANAS_PHONE_TOKEN, DeliveryStatus.FAILED),
            ("push", ANAS_TABLET_TOKEN, DeliveryStatus.FAILED),
            ("sms", ANAS_NUMBER, DeliveryStatus.SENT),
        ]
    )
    assert [t.address for t in receivers.texts] == [ANAS_NUMBER]


def test_when_every_channel_refuses_ana_the_reminder_stops_there(
    reminder_due, anas_phone, receivers, worker
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    receivers.script(ANAS_NUMBER, TWILIO_INVALID_NUMBER)
    receivers.smtp.refuse.add(ANAS_EMAIL)
    reminder_due()

    for _ in range(3):
        assert list(worker().values()) == ["failed"]
    assert worker() == {}

    assert rows() == [
        ("push", ANAS_PHONE_TOKEN, DeliveryStatus.FAILED),
        ("sms", ANAS_NUMBER, DeliveryStatus.FAILED),
        ("email", ANAS_EMAIL, DeliveryStatus.FAILED),
    ]
    assert receivers.emails == []


def test_the_re_reminder_skips_what_failed_for_good_at_the_first_reminder(
    clock, reminder_due, anas_phone, receivers, worker, beat
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    reminder_due()
    worker()
    worker()

    clock.move_to(TWO_HOURS + timedelta(minutes=15) - 10 * SECONDS)
    beat()
    clock.move_to(TWO_HOURS + timedelta(minutes=15))
    worker()

    again = Delivery.objects.get(purpose=Purpose.REREMINDER)
    assert (again.channel, again.status) == ("sms", DeliveryStatus.SENT)
    assert len(receivers.pushes) == 1
    assert len(receivers.texts) == 2


def test_a_phone_registered_again_after_its_token_died_is_used_again(
    clock, ana, reminder_due, anas_phone, receivers, worker, beat
):
    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    reminder_due()
    worker()

    diary.register_device(patient=ana, platform="fcm", token=ANAS_PHONE_TOKEN)
    clock.move_to(TWO_HOURS + timedelta(hours=1) - 10 * SECONDS)
    beat()

    assert Delivery.objects.get(checkin__key="h3").channel == "push"


# --- Two workers at once (PostgreSQL: real row locks, one connection per worker) -----------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_both_phones_dying_at_the_same_moment_in_two_workers_still_texts_ana_once(
    requires_postgres, clock, block, anas_phone, anas_tablet, receivers, enqueued, monkeypatch
):
    import threading

    from django.db import connection

    receivers.script(ANAS_PHONE_TOKEN, FCM_UNREGISTERED)
    receivers.script(ANAS_TABLET_TOKEN, FCM_UNREGISTERED)
    notify.tick()
    clock.move_to(TWO_HOURS)
    pushes = list(Delivery.objects.order_by("id"))
    assert len(pushes) == 2

    # Hold each worker just before it decides on a fallback, until both have marked their
    # own push failed: the moment each could think the other phone is still being tried.
    both_failed = threading.Barrier(2, timeout=10)
    decide = notify._fall_back

    def in_step(failed):
        both_failed.wait()
        return decide(failed)

    monkeypatch.setattr(notify, "_fall_back", in_step)
    outcomes = {}

    def work(delivery_id):
        try:
            outcomes[delivery_id] = notify.send_delivery(delivery_id)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(d.id,)) for d in pushes]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(15)

    assert sorted(outcomes.values()) == ["failed", "failed"]
    assert list(Delivery.objects.filter(channel="sms").values_list("address", flat=True)) == [
        ANAS_NUMBER
    ]
