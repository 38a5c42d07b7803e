"""Safety triage: an entry, its block, the entry before it and the rules → findings. Pure.

The table of CLINICAL.md ("Safety triage after the block", rule set version 2), as code.
No database, no clock: the caller gathers the facts (``EntryFacts``, ``Context``) and stores
what comes out; ``diary.advice`` says what the patient is told.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from diary.rules import Rules
from diary.triage_words import (
    above_fever,
    bowel_bladder_reason,
    clip,
    duration,
    fever_reason,
    hours,
    hours_text,
    leg_name,
    legs,
    limb_phrase,
    symptom_words,
)

EXPECTED, URGENT, EMERGENCY = "expected", "urgent", "emergency"
NORMAL, HIGH = "normal", "high"
SEVERITY_ORDER = {EXPECTED: 0, URGENT: 1, EMERGENCY: 2}

# Rule codes, stored with each finding and alert.
BOWEL_BLADDER = "bowel_bladder"
SADDLE_NUMBNESS = "saddle_numbness"
BOTH_LEGS = "both_legs_after_one_sided_block"
BOTH_LEGS_BEYOND_WINDOW = "both_legs_beyond_window"  # v2
WEAKNESS_WORSENING = "weakness_worsening"
NUMBNESS_EXPECTED = "numbness_expected"
HEEL_LIFT_FAILURE = "heel_lift_failure"  # v2
NUMBNESS_PERSISTING = "numbness_persisting"
NUMBNESS_NEVER_NORMAL = "numbness_never_normal"
RADICULAR = "radicular_symptoms"  # v2
FEVER = "fever"
SITE_PROBLEM = "site_problem"
BACK_PAIN_WITH_LEG_SYMPTOMS = "back_pain_with_leg_symptoms"  # v2
BACK_PAIN_ANTICOAGULATED = "back_pain_on_anticoagulants"  # v2
SEVERE_BACK_PAIN = "severe_back_pain"
POSTURAL_HEADACHE = "postural_headache"
UNRESPONSIVE_AFTER_SYMPTOM = "unresponsive_after_symptom"

# Each rule in words, for staff (the API gives both the code and this).
RULE_TITLES = {
    BOWEL_BLADDER: "New loss of bowel or bladder control, or not passing urine",
    SADDLE_NUMBNESS: "Numbness in the saddle area",
    BOTH_LEGS: "Both legs affected after a one-sided block",
    BOTH_LEGS_BEYOND_WINDOW: "Both legs affected beyond the expected window",
    WEAKNESS_WORSENING: "Weakness getting worse",
    NUMBNESS_EXPECTED: "Leg numbness or weakness inside the expected window",
    HEEL_LIFT_FAILURE: "Cannot lift the heel off the bed (significant motor block)",
    NUMBNESS_PERSISTING: "Leg numbness or weakness persisting beyond the expected window",
    NUMBNESS_NEVER_NORMAL: "Leg numbness or weakness persisting beyond 24 hours (never normal)",
    RADICULAR: "New radicular symptoms (shooting pain or a numb strip down a leg)",
    FEVER: "Fever",
    SITE_PROBLEM: "Redness, pus or swelling at the injection site",
    BACK_PAIN_WITH_LEG_SYMPTOMS: "Severe back pain with leg numbness or weakness (haematoma)",
    BACK_PAIN_ANTICOAGULATED: "Severe back pain in a patient on anticoagulants (haematoma)",
    SEVERE_BACK_PAIN: "New severe back pain",
    POSTURAL_HEADACHE: "Headache worse on standing",
    UNRESPONSIVE_AFTER_SYMPTOM: "No answer after numbness or weakness was reported",
}


@dataclass(frozen=True)
class EntryFacts:
    """The safety answers of one diary entry. None: the question was not asked (unknown),
    which triage reads as no finding, never as a "no" the patient gave."""

    recorded_at: datetime
    numbness: str | None = None  # none | left_leg | right_leg | both_legs
    weakness: str | None = None
    can_lift_heel: bool | None = None
    saddle_numbness: bool | None = None
    bowel_bladder_change: bool | None = None
    unable_to_urinate: bool | None = None
    fever: bool | None = None
    temperature_celsius: Decimal | float | None = None
    site_problem: bool | None = None
    severe_back_pain: bool | None = None
    headache_on_standing: bool | None = None
    radicular_symptoms: bool | None = None


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
    # Routing of CLINICAL.md's "who is alerted": the proceduralist is paged with the on-call
    # clinician for every emergency and for motor block persisting beyond the window.
    pages_proceduralist: bool = False


_ONE_SIDED = ("left", "right")


def has_safety_answers(entry: EntryFacts) -> bool:
    """Whether any safety answer reports something: routine entries skip gathering a context."""
    return (
        _leg_symptom(entry)
        or entry.temperature_celsius is not None
        or any(
            getattr(entry, name) is True
            for name in (
                "saddle_numbness",
                "bowel_bladder_change",
                "unable_to_urinate",
                "fever",
                "site_problem",
                "severe_back_pain",
                "headache_on_standing",
                "radicular_symptoms",
            )
        )
    )


def triage(entry: EntryFacts, context: Context) -> list[Finding]:
    """Every finding of the entry, most severe first."""
    rules = context.rules
    findings = []
    if entry.bowel_bladder_change or entry.unable_to_urinate:
        findings.append(Finding(BOWEL_BLADDER, EMERGENCY, bowel_bladder_reason(entry)))
    if entry.saddle_numbness:
        findings.append(
            Finding(
                SADDLE_NUMBNESS,
                EMERGENCY,
                "Numbness in the saddle area (groin, buttocks or inner thighs).",
            )
        )
    for found in (_leg_finding(entry, context), _radicular_finding(entry, context)):
        if found is not None:
            findings.append(found)
    if entry.fever or above_fever(entry.temperature_celsius, rules):
        findings.append(Finding(FEVER, URGENT, fever_reason(entry, rules)))
    if entry.site_problem:
        findings.append(
            Finding(SITE_PROBLEM, URGENT, "Redness, pus or swelling at the injection site.")
        )
    back = _back_pain_finding(entry, context)
    if back is not None:
        findings.append(back)
    if entry.headache_on_standing:
        findings.append(Finding(POSTURAL_HEADACHE, URGENT, "Headache that is worse on standing."))
    # sorted() is stable, so findings of equal severity keep the order of the table.
    return sorted(
        (_routed(replace(f, reason=clip(f.reason))) for f in findings),
        key=lambda f: -SEVERITY_ORDER[f.severity],
    )


def needs_followup(entry: EntryFacts, context: Context) -> bool:
    """Numbness or weakness inside the expected window: ask again at ``followup_hours``."""
    if not _leg_symptom(entry):
        return False
    rules = context.rules
    elapsed = _elapsed(entry, context)
    in_window = timedelta(0) <= elapsed <= hours(rules.expected_numbness_hours)
    return in_window and elapsed < hours(rules.followup_hours)


def unresponsive_after_symptom(rules: Rules, label: str) -> Finding:
    """The finding for a check-in left unanswered after numbness, weakness or a heel that
    could not be lifted was reported."""
    return Finding(
        UNRESPONSIVE_AFTER_SYMPTOM,
        URGENT,
        clip(
            f"No answer to the check-in ({label}) after numbness, weakness or a heel that "
            f"could not be lifted was reported."
        ),
    )


def _routed(finding: Finding) -> Finding:
    if finding.severity == EMERGENCY and not finding.pages_proceduralist:
        return replace(finding, pages_proceduralist=True)
    return finding


def _elapsed(entry: EntryFacts, context: Context) -> timedelta:
    return entry.recorded_at - context.performed_at


def _beyond_window(entry: EntryFacts, context: Context) -> bool:
    return _elapsed(entry, context) > hours(context.rules.expected_numbness_hours)


def _leg_finding(entry: EntryFacts, context: Context) -> Finding | None:
    """At most one finding of the numbness/weakness family: the first rule that applies."""
    if not _leg_symptom(entry):
        return None
    rules = context.rules
    elapsed = _elapsed(entry, context)
    beyond = _beyond_window(entry, context)
    if _covers_bothlegs(entry):
        if context.side in _ONE_SIDED:
            return Finding(BOTH_LEGS, EMERGENCY, _both_legs_reason(entry, context.side))
        if beyond:
            return Finding(
                BOTH_LEGS_BEYOND_WINDOW,
                EMERGENCY,
                f"{_both_legs_words(entry)} {duration(elapsed)} after a {context.side} block "
                f"(expected up to {hours_text(rules.expected_numbness_hours)}).",
            )
    worse = _worsening_reason(entry, context)
    if worse:
        return Finding(WEAKNESS_WORSENING, EMERGENCY, worse)
    what = symptom_words(entry)
    expected_text = hours_text(rules.expected_numbness_hours)
    if elapsed < timedelta(0):
        # Before the needle the anaesthetic cannot explain it, and there was no needle to bleed
        # from: urgent, not raised for anticoagulants.
        return Finding(
            NUMBNESS_PERSISTING,
            URGENT,
            f"{what} reported {duration(elapsed)} before the block, so not from the anaesthetic.",
        )
    if not beyond:
        if entry.can_lift_heel is False:
            return Finding(
                HEEL_LIFT_FAILURE,
                URGENT,
                f"{what} {duration(elapsed)} after the block: a significant motor block, "
                f"which needs evaluation even inside the expected {expected_text}.",
            )
        return Finding(
            NUMBNESS_EXPECTED,
            EXPECTED,
            f"{what} {duration(elapsed)} after the block (expected up to {expected_text}).",
        )
    if elapsed > hours(rules.never_normal_numbness_hours):
        finding = Finding(
            NUMBNESS_NEVER_NORMAL,
            URGENT,
            f"{what} {duration(elapsed)} after the block (never normal after "
            f"{hours_text(rules.never_normal_numbness_hours)}).",
            priority=HIGH,
            pages_proceduralist=True,
        )
    else:
        finding = Finding(
            NUMBNESS_PERSISTING,
            URGENT,
            f"{what} {duration(elapsed)} after the block (expected up to {expected_text}).",
            pages_proceduralist=True,
        )
    return _raised_for_anticoagulants(finding, context)


def _radicular_finding(entry: EntryFacts, context: Context) -> Finding | None:
    if not entry.radicular_symptoms:
        return None
    finding = Finding(
        RADICULAR,
        URGENT,
        f"New shooting pain or a numb strip down a leg {duration(_elapsed(entry, context))} "
        f"{'before' if _elapsed(entry, context) < timedelta(0) else 'after'} the block: a "
        f"medial branch block should not cause radicular symptoms (nerve root involvement?).",
    )
    if _beyond_window(entry, context):
        return _raised_for_anticoagulants(finding, context)
    return finding


def _raised_for_anticoagulants(finding: Finding, context: Context) -> Finding:
    """Symptoms beyond the window in a patient on anticoagulants: one level up (a bleed
    around the spine is the worry); the priority stays so that "today" still shows."""
    if not (context.on_anticoagulants and context.rules.anticoagulant_raise):
        return finding
    return replace(
        finding,
        severity=EMERGENCY,
        reason=f"{finding.reason} On anticoagulants: raised from urgent.",
    )


def _back_pain_finding(entry: EntryFacts, context: Context) -> Finding | None:
    """At most one finding of new severe back pain: the haematoma patterns first."""
    if not entry.severe_back_pain:
        return None
    elapsed = _elapsed(entry, context)
    if elapsed >= timedelta(0):
        if _leg_symptom(entry) and _beyond_window(entry, context):
            return Finding(
                BACK_PAIN_WITH_LEG_SYMPTOMS,
                EMERGENCY,
                f"New severe back pain with {symptom_words(entry).lower()} "
                f"{duration(elapsed)} after the block: the pattern of an epidural haematoma.",
            )
        if context.on_anticoagulants:
            return Finding(
                BACK_PAIN_ANTICOAGULATED,
                EMERGENCY,
                f"New severe back pain {duration(elapsed)} after the block in a patient on "
                f"anticoagulants: possible haematoma.",
            )
    return Finding(SEVERE_BACK_PAIN, URGENT, "New severe back pain.")


def _leg_symptom(entry: EntryFacts) -> bool:
    # A heel that cannot be lifted is weakness even when the weakness question was left at
    # "none": staying silent about it would be the unsafe reading.
    return legs(entry.numbness) != set() or _weak(entry)


def _weak(entry: EntryFacts) -> bool:
    return bool(legs(entry.weakness)) or entry.can_lift_heel is False


def _covers_bothlegs(entry: EntryFacts) -> bool:
    # Numb on one side and weak on the other is still both legs affected.
    return legs(entry.numbness) | legs(entry.weakness) == {"left", "right"}


def _both_legs_words(entry: EntryFacts) -> str:
    if entry.numbness == entry.weakness == "both_legs":
        return "Numbness and weakness in both legs"
    return symptom_words(replace(entry, can_lift_heel=None))


def _both_legs_reason(entry: EntryFacts, side: str) -> str:
    return f"{_both_legs_words(entry)} after a {side}-sided block."


def _worsening_reason(entry: EntryFacts, context: Context) -> str:
    """Why weakness is worse than at the block's previous entry, or "" when it is not.

    Worse (CLINICAL.md v2): a leg weak now that was not, weakness spread to both legs, or a
    heel that can no longer be lifted; counted only when the previous entry was recorded
    ``onset_minutes`` or more after the block. An unknown previous answer is not a "no".
    """
    previous = context.previous
    if previous is None or not _weak(entry):
        return ""
    onset = timedelta(minutes=context.rules.onset_minutes)
    if previous.recorded_at - context.performed_at < onset:
        return ""  # the anaesthetic may still have been taking hold then
    before, now = legs(previous.weakness), legs(entry.weakness)
    if previous.weakness is not None and now - before:
        if before:
            return (
                f"Weakness has spread from {leg_name(previous.weakness)} to "
                f"{leg_name(entry.weakness)} since the last entry."
            )
        return (
            f"Weakness {limb_phrase(entry.weakness)} is new since the last entry, recorded "
            f"{duration(previous.recorded_at - context.performed_at)} after the block."
        )
    if entry.can_lift_heel is False and _could_lift_heel(previous):
        return "Can no longer lift the heel off the bed (could at the last entry)."
    return ""


def _could_lift_heel(previous: EntryFacts) -> bool:
    if previous.can_lift_heel is not None:
        return previous.can_lift_heel
    return previous.weakness == "none"  # no weakness reported, heel not asked
