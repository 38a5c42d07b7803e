"""Triage in words: the reasons staff read, built from an entry's answers. Pure.

Kept apart from ``diary.triage`` so that the table of rules there reads as decisions.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from diary.rules import Rules

if TYPE_CHECKING:
    from diary.triage import EntryFacts

REASON_MAX = 300  # Finding.reason in diary.models
_LIMB_WORDS = {"left_leg": "of the left leg", "right_leg": "of the right leg"}
_LEG_SETS = {"left_leg": {"left"}, "right_leg": {"right"}, "both_legs": {"left", "right"}}


def legs(limb: str | None) -> set[str]:
    """The legs an answer names; an unknown (None) answer names none."""
    return _LEG_SETS.get(limb or "none", set())


def symptom_words(entry: EntryFacts) -> str:
    parts = []
    if legs(entry.numbness):
        parts.append(f"numbness {limb_phrase(entry.numbness)}")
    if legs(entry.weakness):
        heel = " (cannot lift the heel off the bed)" if entry.can_lift_heel is False else ""
        parts.append(f"weakness {limb_phrase(entry.weakness)}{heel}")
    elif entry.can_lift_heel is False:
        parts.append("cannot lift the heel off the bed")
    text = " and ".join(parts)
    return text[0].upper() + text[1:]


def limb_phrase(limb: str) -> str:
    return _LIMB_WORDS.get(limb, "in both legs")


def leg_name(limb: str) -> str:
    return {"left_leg": "the left leg", "right_leg": "the right leg"}.get(limb, "both legs")


def bowel_bladder_reason(entry: EntryFacts) -> str:
    if entry.bowel_bladder_change and entry.unable_to_urinate:
        return "New change in bowel or bladder control, and unable to pass urine."
    if entry.bowel_bladder_change:
        return "New change in bowel or bladder control."
    return "Unable to pass urine."


def above_fever(temperature: Decimal | float | None, rules: Rules) -> bool:
    # Decimal and float compare exactly, so 38.0 stored as Decimal is not above 38.0.
    return temperature is not None and temperature > rules.fever_celsius


def fever_reason(entry: EntryFacts, rules: Rules) -> str:
    temperature = entry.temperature_celsius
    limit = f"{rules.fever_celsius:.1f} °C"
    if above_fever(temperature, rules):
        return f"Temperature {temperature:.1f} °C (above {limit})."
    if temperature is not None:
        return f"Reports a fever; temperature {temperature:.1f} °C (not above {limit})."
    return "Reports a fever; no temperature given."


def hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


def duration(elapsed: timedelta) -> str:
    minutes = int(abs(elapsed).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def hours_text(hours: float) -> str:
    minutes = round(hours * 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def clip(reason: str) -> str:
    if len(reason) <= REASON_MAX:
        return reason
    return reason[: REASON_MAX - 1] + "…"
