"""A clinic's diaries as CSV: one row per current reading, with its block and verdict.

Identified (for the clinic's own audit) or de-identified (for research): no names,
contacts, clinic numbers or free text (activity, notes), patients and blocks under keyed
pseudonyms, and every date moved by a per-patient shift, so that the intervals the
analysis needs (minutes after the block, days between blocks) stay exact.
"""

import csv
import hashlib
import hmac
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from diary import review
from diary.models import DiaryEntry, Procedure
from diary.response.relief import minutes_after_block, relief_percent

BLOCK_COLUMNS = ("kind", "levels", "side", "anesthetic", "steroid", "baseline_pain")
READING_COLUMNS = ("minutes_after_block", "pain_score", "relief_percent")
READING_COLUMNS += ("reported_relief_percent", "activity_ok", "analgesic_taken")
VERDICT_COLUMNS = ("verdict", "peak_relief_percent", "minutes_at_or_above_threshold")
IDENTIFIED = ("patient_id", "external_id", "display_name", "block_id", "performed_at")
IDENTIFIED += ("entry_id", "recorded_at", *BLOCK_COLUMNS, *READING_COLUMNS, "activity", "note")
IDENTIFIED += VERDICT_COLUMNS
DEIDENTIFIED = ("patient", "block", "performed_at_shifted", "recorded_at_shifted")
DEIDENTIFIED += (*BLOCK_COLUMNS, *READING_COLUMNS, *VERDICT_COLUMNS)
# Shifts of up to a year back: far enough that a date says nothing, never into the future.
MAX_SHIFT_DAYS = 365


def _keyed(purpose: str, pk: int) -> bytes:
    # Keyed by the server's secret: the same export twice gives the same pseudonyms and
    # shifts (a study can follow a patient), which nobody without the key can reverse.
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{purpose}:{pk}".encode(), hashlib.sha256
    ).digest()


def pseudonym(prefix: str, pk: int) -> str:
    return prefix + _keyed(f"pseudonym-{prefix}", pk).hex()[:12]


def date_shift(patient_id: int) -> timedelta:
    days = 1 + int.from_bytes(_keyed("shift", patient_id)[:4], "big") % MAX_SHIFT_DAYS
    return -timedelta(days=days)


def rows(clinic, *, identified: bool):
    """Yields the header, then a row per current reading of the clinic's blocks; the
    patient ids exported are collected in ``patients`` (for the audit row)."""
    blocks = list(
        Procedure.objects.filter(patient__clinic=clinic)
        .select_related("patient__clinic")
        .order_by("patient_id", "performed_at", "id")
    )
    verdicts = review.procedure_responses(blocks, zone=ZoneInfo(clinic.timezone))
    by_pk = {block.pk: block for block in blocks}
    entries = (
        DiaryEntry.objects.current()
        .filter(procedure__in=blocks)
        .order_by("patient_id", "procedure_id", "recorded_at", "id")
    )
    yield IDENTIFIED if identified else DEIDENTIFIED
    for entry in entries.iterator(chunk_size=2000):
        block = by_pk[entry.procedure_id]
        verdict = verdicts.get(block.pk)
        relief = relief_percent(block.baseline_pain, entry.pain_score)
        shared = {
            **{name: getattr(block, name) for name in BLOCK_COLUMNS},
            "minutes_after_block": minutes_after_block(block.performed_at, entry.recorded_at),
            "pain_score": entry.pain_score,
            "relief_percent": None if relief is None else round(relief, 1),
            "reported_relief_percent": entry.reported_relief_percent,
            "activity_ok": entry.activity_ok,
            "analgesic_taken": entry.analgesic_taken,
            "verdict": verdict.verdict if verdict else "",
            "peak_relief_percent": verdict.peak_relief_percent if verdict else None,
            "minutes_at_or_above_threshold": (
                verdict.minutes_at_or_above_threshold if verdict else None
            ),
        }
        if identified:
            patient = block.patient
            row = {
                **shared,
                "patient_id": patient.pk,
                "external_id": patient.external_id,
                "display_name": patient.display_name,
                "block_id": block.pk,
                "performed_at": block.performed_at.isoformat(),
                "entry_id": entry.pk,
                "recorded_at": entry.recorded_at.isoformat(),
                "activity": entry.activity,
                "note": entry.note,
            }
        else:
            shift = date_shift(block.patient_id)
            row = {
                **shared,
                "patient": pseudonym("P", block.patient_id),
                "block": pseudonym("B", block.pk),
                "performed_at_shifted": (block.performed_at + shift).isoformat(),
                "recorded_at_shifted": (entry.recorded_at + shift).isoformat(),
            }
        yield [_cell(row[name]) for name in (IDENTIFIED if identified else DEIDENTIFIED)]


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula (CSV injection)
    return value


def as_csv(clinic, *, identified: bool) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows(clinic, identified=identified))
    return out.getvalue()
