"""The "start your diary" message: staff send a patient the link to the web check-in, by SMS
or e-mail, through the outbox like any reminder (so it is retried, logged and swept)."""

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from diary.models import Patient, PatientStatus
from diary.services import DiaryError
from notifications.models import Channel, ContactPreference, Delivery, Purpose
from notifications.reach import enabled_channels
from notifications.services import enqueue

START_LINK_CHANNELS = (Channel.SMS, Channel.EMAIL)
_NAMES = {Channel.SMS: "phone number", Channel.EMAIL: "e-mail address"}


@transaction.atomic
def send_start_link(patient: Patient, channel: str) -> Delivery:
    """Queue the patient's start link on ``channel`` (sms or email); a clear DiaryError
    when it cannot go: the patient is not active, has no such address, or it is off."""
    if patient.status != PatientStatus.ACTIVE:
        raise DiaryError("status", "This patient's diary is not active; resume it first.")
    address = patient.phone if channel == Channel.SMS else patient.email
    if not address:
        raise DiaryError("channel", f"This patient has no {_NAMES[channel]} on file.")
    preference = ContactPreference.objects.filter(patient=patient).first()
    if preference is not None and getattr(preference, f"{channel}_disabled_at"):
        raise DiaryError("channel", f"This patient's {channel} stopped working; correct it first.")
    if channel not in enabled_channels():
        raise DiaryError("channel", f"{channel} is not configured on this server.")
    now = timezone.now()
    delivery = Delivery.objects.create(
        patient=patient,
        purpose=Purpose.START_LINK,
        channel=channel,
        address=address,
        next_attempt_at=now,
        lease_until=now + timedelta(seconds=settings.DELIVERY_ENQUEUE_LEASE_SECONDS),
    )
    transaction.on_commit(partial(enqueue, [delivery]))
    return delivery
