"""Safety triage: an entry, its block, the entry before it and the rules → findings. Pure.

The table of CLINICAL.md ("Safety triage after the block"), as code. No database, no clock:
the caller gathers the facts (``EntryFacts``, ``Context``) and stores what comes out.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from diary.rules import Rules

EXPECTED, URGENT, EMERGENCY = "expected", "urgent", "emergency"
NORMAL, HIGH = "normal", "high"
SEVERITY_ORDER = {EXPECTED: 0, URGENT: 1, EMERGENCY: 2}

# Rule codes, stored with each finding and alert.
BOWEL_BLADDER = "bowel_bladder"
SADDLE_NUMBNESS = "saddle_numbness"
BOTH_LEGS = "both_legs_after_one_sided_block"
WEAKNESS_WORSENING = "weakness_worsening"
NUMBNESS_EXPECTED = "numbness_expected"
NUMBNESS_PERSISTING = "numbness_persisting"
NUMBNESS_NEVER_NORMAL = "numbness_never_normal"
FEVER = "fever"
SITE_PROBLEM = "site_problem"
SEVERE_BACK_PAIN = "severe_back_pain"
POSTURAL_HEADACHE = "postural_headache"
UNRESPONSIVE_AFTER_SYMPTOM = "unresponsive_after_symptom"


@dataclass(frozen=True)
class EntryFacts:
    """The safety answers of one diary entry."""

    recorded_at: datetime
    numbness: str = "none"  # none | left_leg | right_leg | both_legs
    weakness: str = "none"
    can_lift_heel: bool | None = None
    saddle_numbness: bool = False
    bowel_bladder_change: bool = False
    unable_to_urinate: bool = False
    fever: bool = False
    temperature_celsius: Decimal | float | None = None
    site_problem: bool = False
    severe_back_pain: bool = False
    headache_on_standing: bool = False


@dataclass(frozen=True)
class Context:
    performed_at: datetime
    side: str  # left | right | bilateral: the side injected
    on_anticoagulants: bool
    rules: Rules
    previous: EntryFacts | None = None  # the block's entry recorded just before this one


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # expected | urgent | emergency
    reason: str  # in words, for staff
    priority: str = NORMAL  # high: urgent but "never normal" (numbness past 24 h)


@dataclass(frozen=True)
class Advice:
    level: str  # routine | expected | contact_clinic | emergency
    message: str  # plain words for the patient


_EXPECTED_ADVICE = (
    "Numbness or weakness in the leg is expected for a few hours after the block and should "
    "wear off within 2 to 4 hours. Do not walk without help until you can lift your heel off "
    "the bed. We will ask again later."
)
_EMERGENCY_ADVICE = (
    "Go to the emergency department now, or call emergency services. Tell them you had a "
    "spinal injection (medial branch block) and what you noticed. Your clinic has also been told."
)
_REASON_MAX = 300  # Finding.reason in diary.models
_LEGS = {"none": 0, "left_leg": 1, "right_leg": 1, "both_legs": 2}
_LIMB_WORDS = {"left_leg": "of the left leg", "right_leg": "of the right leg"}
_ONE_SIDED = ("left", "right")


def has_safety_answers(entry: EntryFacts) -> bool:
    """Whether any safety answer is set: routine entries skip gathering a context."""
    return (
        entry.numbness != "none"
        or entry.weakness != "none"
        or entry.can_lift_heel is False
        or entry.saddle_numbness
        or entry.bowel_bladder_change
        or entry.unable_to_urinate
        or entry.fever
        or entry.temperature_celsius is not None
        or entry.site_problem
        or entry.severe_back_pain
        or entry.headache_on_standing
    )


def triage(entry: EntryFacts, context: Context) -> list[Finding]:
    """Every finding of the entry, most severe first."""
    rules = context.rules
    findings = []
    if entry.bowel_bladder_change or entry.unable_to_urinate:
        findings.append(Finding(BOWEL_BLADDER, EMERGENCY, _bowel_bladder_reason(entry)))
    if entry.saddle_numbness:
        findings.append(
            Finding(
                SADDLE_NUMBNESS,
                EMERGENCY,
                "Numbness in the saddle area (groin, buttocks or inner thighs).",
            )
        )
    leg = _leg_finding(entry, context)
    if leg is not None:
        findings.append(leg)
    if entry.fever or _above_fever(entry.temperature_celsius, rules):
        findings.append(Finding(FEVER, URGENT, _fever_reason(entry, rules)))
    if entry.site_problem:
        findings.append(
            Finding(SITE_PROBLEM, URGENT, "Redness, pus or swelling at the injection site.")
        )
    if entry.severe_back_pain:
        findings.append(Finding(SEVERE_BACK_PAIN, URGENT, "New severe back pain."))
    if entry.headache_on_standing:
        findings.append(Finding(POSTURAL_HEADACHE, URGENT, "Headache that is worse on standing."))
    # sorted() is stable, so findings of equal severity keep the order of the table.
    return sorted(
        (replace(f, reason=_clip(f.reason)) for f in findings),
        key=lambda f: -SEVERITY_ORDER[f.severity],
    )


def needs_followup(entry: EntryFacts, context: Context) -> bool:
    """Numbness or weakness inside the expected window: ask again at ``followup_hours``."""
    if not _leg_symptom(entry):
        return False
    rules = context.rules
    elapsed = entry.recorded_at - context.performed_at
    in_window = timedelta(0) <= elapsed <= _hours(rules.expected_numbness_hours)
    return in_window and elapsed < _hours(rules.followup_hours)


def unresponsive_after_symptom(rules: Rules, label: str) -> Finding:
    """The finding for a check-in left unanswered after numbness or weakness was reported."""
    return Finding(
        UNRESPONSIVE_AFTER_SYMPTOM,
        URGENT,
        _clip(f"No answer to the check-in ({label}) after numbness or weakness was reported."),
    )


def advice(findings: list[Finding], clinic_phone: str = "") -> Advice:
    """What the patient is told at once, from the most severe finding."""
    if not findings:
        return Advice("routine", "Thank you. Your reading is saved.")
    worst = max(SEVERITY_ORDER[f.severity] for f in findings)
    if worst == SEVERITY_ORDER[EMERGENCY]:
        return Advice("emergency", _EMERGENCY_ADVICE)
    if worst == SEVERITY_ORDER[URGENT]:
        when = " today" if any(f.priority == HIGH for f in findings) else ""
        phone = clinic_phone.strip()
        call = f"call the clinic on {phone}" if phone else "call the clinic"
        return Advice(
            "contact_clinic",
            f"Your clinic has been told and will contact you{when}. "
            f"If you feel worse before you hear from them, {call}.",
        )
    return Advice("expected", _EXPECTED_ADVICE)


def _leg_finding(entry: EntryFacts, context: Context) -> Finding | None:
    """At most one finding of the numbness/weakness family: the first rule that applies."""
    if not _leg_symptom(entry):
        return None
    rules = context.rules
    if context.side in _ONE_SIDED and _covers_both_legs(entry):
        return Finding(BOTH_LEGS, EMERGENCY, _both_legs_reason(entry, context.side))
    worse = _worsening_reason(entry, context.previous)
    if worse:
        return Finding(WEAKNESS_WORSENING, EMERGENCY, worse)
    elapsed = entry.recorded_at - context.performed_at
    what = _symptom_words(entry)
    expected_text = _hours_text(rules.expected_numbness_hours)
    if elapsed < timedelta(0):
        # Before the needle the anaesthetic cannot explain it, and there was no needle to bleed
        # from: urgent, not raised for anticoagulants.
        return Finding(
            NUMBNESS_PERSISTING,
            URGENT,
            f"{what} reported {_duration(elapsed)} before the block, so not from the anaesthetic.",
        )
    if elapsed <= _hours(rules.expected_numbness_hours):
        return Finding(
            NUMBNESS_EXPECTED,
            EXPECTED,
            f"{what} {_duration(elapsed)} after the block (expected up to {expected_text}).",
        )
    if elapsed > _hours(rules.never_normal_numbness_hours):
        finding = Finding(
            NUMBNESS_NEVER_NORMAL,
            URGENT,
            f"{what} {_duration(elapsed)} after the block (never normal after "
            f"{_hours_text(rules.never_normal_numbness_hours)}).",
            priority=HIGH,
        )
    else:
        finding = Finding(
            NUMBNESS_PERSISTING,
            URGENT,
            f"{what} {_duration(elapsed)} after the block (expected up to {expected_text}).",
        )
    if context.on_anticoagulants and rules.anticoagulant_raise:
        # A bleed around the spine is the worry; keep the priority so "today" still shows.
        return replace(
            finding,
            severity=EMERGENCY,
            reason=f"{finding.reason} On anticoagulants: raised from urgent.",
        )
    return finding


def _leg_symptom(entry: EntryFacts) -> bool:
    # A heel that cannot be lifted is weakness even when the weakness question was left at
    # "none": staying silent about it would be the unsafe reading.
    return entry.numbness != "none" or _weak(entry)


def _weak(entry: EntryFacts) -> bool:
    return entry.weakness != "none" or entry.can_lift_heel is False


def _covers_both_legs(entry: EntryFacts) -> bool:
    # Numb on one side and weak on the other is still both legs affected.
    legs = {entry.numbness, entry.weakness} - {"none"}
    return "both_legs" in legs or legs == {"left_leg", "right_leg"}


def _both_legs_reason(entry: EntryFacts, side: str) -> str:
    if entry.numbness == entry.weakness == "both_legs":
        what = "Numbness and weakness in both legs"
    else:
        what = _symptom_words(replace(entry, can_lift_heel=None))
    return f"{what} after a {side}-sided block."


def _worsening_reason(entry: EntryFacts, previous: EntryFacts | None) -> str:
    """Why weakness is worse than at the last entry, or "" when it is not."""
    if previous is None or previous.weakness == "none" or not _weak(entry):
        return ""
    if _LEGS[entry.weakness] > _LEGS[previous.weakness]:
        return (
            f"Weakness has spread from {_leg_name(previous.weakness)} to "
            f"{_leg_name(entry.weakness)} since the last entry."
        )
    if previous.can_lift_heel is True and entry.can_lift_heel is False:
        return "Can no longer lift the heel off the bed (could at the last entry)."
    return ""


def _symptom_words(entry: EntryFacts) -> str:
    parts = []
    if entry.numbness != "none":
        parts.append(f"numbness {_limb_phrase(entry.numbness)}")
    if entry.weakness != "none":
        heel = " (cannot lift the heel off the bed)" if entry.can_lift_heel is False else ""
        parts.append(f"weakness {_limb_phrase(entry.weakness)}{heel}")
    elif entry.can_lift_heel is False:
        parts.append("cannot lift the heel off the bed")
    text = " and ".join(parts)
    return text[0].upper() + text[1:]


def _limb_phrase(limb: str) -> str:
    return _LIMB_WORDS.get(limb, "in both legs")


def _leg_name(limb: str) -> str:
    return {"left_leg": "the left leg", "right_leg": "the right leg"}.get(limb, "both legs")


def _bowel_bladder_reason(entry: EntryFacts) -> str:
    if entry.bowel_bladder_change and entry.unable_to_urinate:
        return "New change in bowel or bladder control, and unable to pass urine."
    if entry.bowel_bladder_change:
        return "New change in bowel or bladder control."
    return "Unable to pass urine."


def _above_fever(temperature: Decimal | float | None, rules: Rules) -> bool:
    # Decimal and float compare exactly, so 38.0 stored as Decimal is not above 38.0.
    return temperature is not None and temperature > rules.fever_celsius


def _fever_reason(entry: EntryFacts, rules: Rules) -> str:
    temperature = entry.temperature_celsius
    limit = f"{rules.fever_celsius:.1f} °C"
    if _above_fever(temperature, rules):
        return f"Temperature {temperature:.1f} °C (above {limit})."
    if temperature is not None:
        return f"Reports a fever; temperature {temperature:.1f} °C (not above {limit})."
    return "Reports a fever; no temperature given."


def _hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _duration(elapsed: timedelta) -> str:
    minutes = int(abs(elapsed).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _hours_text(hours: float) -> str:
    minutes = round(hours * 60)
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _clip(reason: str) -> str:
    if len(reason) <= _REASON_MAX:
        return reason
    return reason[: _REASON_MAX - 1] + "…"
