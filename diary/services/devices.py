"""Patients' push tokens."""

from django.db import IntegrityError, transaction

from diary.models import (
    Device,
    Patient,
)

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
    device.patient = patient
    device.disabled_at = None
    device.save(update_fields=["patient", "disabled_at", "updated_at"])
    return device, False


def remove_device(device: Device) -> None:
    device.delete()
