"""Patients' push tokens."""

import logging

from django.db import IntegrityError, transaction

from diary.models import (
    Device,
    Patient,
)

log = logging.getLogger(__name__)

# --- Devices ------------------------------------------------------------------------


@transaction.atomic
def register_device(*, patient: Patient, platform: str, token: str) -> tuple[Device, bool]:
    """Upsert a push token; a token seen before moves to this patient and is re-enabled."""
    device = Device.objects.select_for_update().filter(platform=platform, token=token).first()
    if device is None:
        try:
            with transaction.atomic():
                return Device.objects.create(patient=patient, platform=platform, token=token), True
        except IntegrityError:
            device = Device.objects.select_for_update().get(platform=platform, token=token)
    if device.patient_id != patient.pk:  # a phone handed on: reminders follow the new patient
        log.info(
            "push token %s moved from patient %s to %s", device.pk, device.patient_id, patient.pk
        )
    device.patient = patient
    device.disabled_at = None
    device.save(update_fields=["patient", "disabled_at", "updated_at"])
    return device, False


def remove_device(device: Device) -> None:
    device.delete()
