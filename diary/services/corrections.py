"""A patient corrects an entry they have just sent (a wrong button, a second thought).

The correction is a new entry with the same time, block and check-in: it takes the first
one's place in the verdict and the relief curve, triage runs on its answers, and the first
stays in the record, superseded. An alert the first raised is never withdrawn: a nurse
must still look at a red flag the patient took back.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from diary.models import DiaryEntry, Patient
from diary.services.entries import record_entry
from diary.services.errors import DiaryError, EntryConflict

# What a correction takes from the entry it corrects: the moment and the block it is about.
TAKEN_FROM_THE_ORIGINAL = ("procedure", "checkin", "recorded_at", "sent_at")


class CorrectionRefused(DiaryError):
    """The entry cannot be corrected (too late, or corrected already): a 409."""


def correction_window() -> timedelta:
    return timedelta(minutes=settings.ENTRY_CORRECTION_MINUTES)


def correctable_until(entry: DiaryEntry):
    """The last moment the patient may correct ``entry`` (None once superseded)."""
    if entry.superseded_at is not None:
        return None
    return entry.received_at + correction_window()


@transaction.atomic
def correct_entry(*, patient: Patient, original: DiaryEntry, data: dict):
    """Store ``data`` (the new answers, with a new client id) in ``original``'s place.
    Returns ``(entry, created)``; a retry of the same correction is ``created=False``."""
    original = DiaryEntry.objects.select_for_update().get(pk=original.pk, patient=patient)
    again = DiaryEntry.objects.filter(patient=patient, client_id=data["client_id"]).first()
    if again is not None and again.corrects_id != original.pk:
        raise EntryConflict(again)  # the client id was used for another entry
    if again is None:
        _check_correctable(original)
        original.superseded_at = timezone.now()
        original.save(update_fields=["superseded_at"])
    answers = {
        **data,
        "procedure": original.procedure,
        "checkin": original.checkin,
        "recorded_at": original.recorded_at,
        "corrects": original,
    }
    return record_entry(patient=patient, data=answers)


def _check_correctable(original: DiaryEntry) -> None:
    if original.superseded_at is not None:
        newer = DiaryEntry.objects.filter(corrects=original).values_list("pk", flat=True).first()
        raise CorrectionRefused(
            "entry", f"Already corrected (by entry {newer}): correct that one instead."
        )
    if timezone.now() > correctable_until(original):
        raise CorrectionRefused(
            "entry",
            f"Can be corrected only within {settings.ENTRY_CORRECTION_MINUTES} min of sending "
            "it; send a new entry instead.",
        )
