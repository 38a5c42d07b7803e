"""What the patient changes from the phone app: their check-in time, quiet hours, time
zone, language and the order of the channels that reach them."""

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from diary.models import Patient
from diary.services.people import update_patient

# Fields of the patient's own record they may change (the rest is the clinic's).
OWN_FIELDS = ("checkin_time", "quiet_start", "quiet_end", "timezone", "language")


def channel_orders():
    """The keeper of the channel order (``settings.DIARY_CHANNEL_ORDER``): it lives with
    the deliveries it steers, in notifications, which the diary never imports."""
    return import_string(settings.DIARY_CHANNEL_ORDER)


@transaction.atomic
def update_own_settings(patient: Patient, *, channel_order: str | None = None, **changes):
    """Change what the patient may change; check-ins are re-planned as for a change by
    staff (a new time zone, check-in time or quiet hours)."""
    unknown = set(changes) - set(OWN_FIELDS)
    if unknown:
        raise ValueError(f"not the patient's to change: {sorted(unknown)}")
    patient = update_patient(patient, **changes)
    if channel_order is not None:
        channel_orders().write(patient, channel_order)
    return patient
