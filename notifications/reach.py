"""Gathers, in a few queries, how each patient can be reached right now."""

from collections import defaultdict

from diary.models import Device, Patient
from notifications.models import ContactPreference
from notifications.routing import Reachability
from notifications.transports import get_transport

CHANNELS = ("push", "sms", "email")


def enabled_channels() -> set[str]:
    """Channels whose provider is configured; the others are skipped, not failed."""
    return {channel for channel in CHANNELS if get_transport(channel).is_configured()}


def reachability(patient_ids) -> dict[int, Reachability]:
    """Each patient's channel order, working devices, phone and e-mail: three queries."""
    patient_ids = set(patient_ids)
    preferences = {
        p.patient_id: p for p in ContactPreference.objects.filter(patient_id__in=patient_ids)
    }
    push = get_transport("push")
    devices = defaultdict(list)
    for device_id, patient_id, platform, token in Device.objects.filter(
        patient_id__in=patient_ids, disabled_at__isnull=True
    ).values_list("id", "patient_id", "platform", "token"):
        if push.is_configured(platform):  # an iPhone is unreachable without APNs set up
            devices[patient_id].append((device_id, platform, token))
    found = {}
    for patient in Patient.objects.filter(pk__in=patient_ids).only("id", "phone", "email"):
        preference = preferences.get(patient.pk) or ContactPreference()
        found[patient.pk] = Reachability(
            channel_order=preference.channel_order,
            devices=sorted(devices[patient.pk]),
            phone="" if preference.sms_disabled_at else patient.phone,
            email="" if preference.email_disabled_at else patient.email,
        )
    return found
