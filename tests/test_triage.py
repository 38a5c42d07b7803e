"""Safety triage after the block, as pure functions: an entry and its context in, findings out.

No database and no clock: every time is written as an offset from the block, so each threshold
edge (3 h 59, 4 h, 4 h 01 ...) is a row of a table, not a moment of the day the suite runs.
"""

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from diary.advice import Advice, advice
from diary.rules import DEFAULT_RULES, apply_overrides
from diary.triage import (
    BACK_PAIN_ANTICOAGULATED,
    BACK_PAIN_WITH_LEG_SYMPTOMS,
    BOTH_LEGS,
    BOTH_LEGS_BEYOND_WINDOW,
    BOWEL_BLADDER,
    EMERGENCY,
    EXPECTED,
    FEVER,
    HEEL_LIFT_FAILURE,
    HIGH,
    NORMAL,
    NUMBNESS_EXPECTED,
    NUMBNESS_NEVER_NORMAL,
    NUMBNESS_PERSISTING,
    POSTURAL_HEADACHE,
    RADICULAR,
    SADDLE_NUMBNESS,
    SEVERE_BACK_PAIN,
    SITE_PROBLEM,
    UNRESPONSIVE_AFTER_SYMPTOM,
    URGENT,
    WEAKNESS_WORSENING,
    Context,
    EntryFacts,
    Finding,
    has_safety_answers,
    needs_followup,
    triage,
    unresponsive_after_symptom,
)

BLOCK = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SIX_HOUR_CLINIC = apply_overrides(DEFAULT_RULES, {"expected_numbness_hours": 6})
NO_ANTICOAGULANT_RAISE = apply_overrides(DEFAULT_RULES, {"anticoagulant_raise": False})


def at(hours=0, minutes=0):
    return BLOCK + timedelta(hours=hours, minutes=minutes)


def context(*, side="left", anticoagulants=False, rules=DEFAULT_RULES, previous=None):
    return Context(
        performed_at=BLOCK,
        side=side,
        on_anticoagulants=anticoagulants,
        rules=rules,
        previous=previous,
    )


def row(case_id, when, expected, advice_level, *, side="left", anticoagulants=False,
        rules=DEFAULT_RULES, previous=None, **facts):  # fmt: skip
    """One row of a triage table: the entry's facts and flags → (rule, severity, priority)."""
    return pytest.param(
        EntryFacts(recorded_at=when, **facts),
        context(side=side, anticoagulants=anticoagulants, rules=rules, previous=previous),
        expected,
        advice_level,
        id=case_id,
    )


def check(entry, ctx, expected, advice_level):
    findings = triage(entry, ctx)
    assert [(f.rule, f.severity, f.priority) for f in findings] == ([expected] if expected else [])
    assert all(0 < len(f.reason) <= 300 for f in findings)
    assert advice(findings).level == advice_level


# --- The table of CLINICAL.md, one behaviour per test -----------------------------


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("bowel-bladder-change-at-2h", at(2), (BOWEL_BLADDER, EMERGENCY, NORMAL), "emergency",
            bowel_bladder_change=True),
        row("unable-to-urinate-on-day-3", at(72), (BOWEL_BLADDER, EMERGENCY, NORMAL), "emergency",
            unable_to_urinate=True),
        row("saddle-numbness-at-15min", at(0, 15), (SADDLE_NUMBNESS, EMERGENCY, NORMAL),
            "emergency", saddle_numbness=True),
        row("saddle-numbness-on-day-10", at(240), (SADDLE_NUMBNESS, EMERGENCY, NORMAL),
            "emergency", saddle_numbness=True),
    ],
)  # fmt: skip
def test_bowel_bladder_and_saddle_numbness_are_an_emergency_at_any_time(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("left-leg-numb-at-2h", at(2), (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected",
            numbness="left_leg"),
        row("left-leg-numb-at-3h59", at(3, 59), (NUMBNESS_EXPECTED, EXPECTED, NORMAL),
            "expected", numbness="left_leg"),
        row("left-leg-numb-at-exactly-4h", at(4), (NUMBNESS_EXPECTED, EXPECTED, NORMAL),
            "expected", numbness="left_leg"),
        row("left-leg-numb-at-4h01", at(4, 1), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", numbness="left_leg"),
        row("right-leg-weak-at-4h01", at(4, 1), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", side="right", weakness="right_leg"),
        row("heel-not-lifted-at-6h-weakness-left-at-none", at(6),
            (NUMBNESS_PERSISTING, URGENT, NORMAL), "contact_clinic", can_lift_heel=False),
        row("left-leg-numb-before-the-block", at(0, -30), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", numbness="left_leg"),
        row("left-leg-numb-at-23h59", at(23, 59), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", numbness="left_leg"),
        row("left-leg-numb-at-exactly-24h", at(24), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", numbness="left_leg"),
        row("left-leg-numb-at-24h01", at(24, 1), (NUMBNESS_NEVER_NORMAL, URGENT, HIGH),
            "contact_clinic", numbness="left_leg"),
        row("left-leg-weak-on-day-3", at(72), (NUMBNESS_NEVER_NORMAL, URGENT, HIGH),
            "contact_clinic", weakness="left_leg"),
    ],
)  # fmt: skip
def test_leg_numbness_is_expected_up_to_four_hours_urgent_after_and_high_priority_after_a_day(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("six-hour-clinic-numb-at-5h", at(5), (NUMBNESS_EXPECTED, EXPECTED, NORMAL),
            "expected", rules=SIX_HOUR_CLINIC, numbness="left_leg"),
        row("six-hour-clinic-numb-at-exactly-6h", at(6), (NUMBNESS_EXPECTED, EXPECTED, NORMAL),
            "expected", rules=SIX_HOUR_CLINIC, numbness="left_leg"),
        row("six-hour-clinic-numb-at-6h01", at(6, 1), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", rules=SIX_HOUR_CLINIC, numbness="left_leg"),
        row("default-clinic-numb-at-5h", at(5), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", numbness="left_leg"),
    ],
)  # fmt: skip
def test_a_clinic_override_moves_the_end_of_the_expected_window(entry, ctx, expected, advice_level):
    check(entry, ctx, expected, advice_level)


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("anticoagulated-numb-at-2h-stays-expected", at(2),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", anticoagulants=True,
            numbness="left_leg"),
        row("anticoagulated-numb-at-exactly-4h-stays-expected", at(4),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", anticoagulants=True,
            numbness="left_leg"),
        row("anticoagulated-numb-at-4h01-is-emergency", at(4, 1),
            (NUMBNESS_PERSISTING, EMERGENCY, NORMAL), "emergency", anticoagulants=True,
            numbness="left_leg"),
        row("anticoagulated-numb-at-24h01-is-emergency-high", at(24, 1),
            (NUMBNESS_NEVER_NORMAL, EMERGENCY, HIGH), "emergency", anticoagulants=True,
            numbness="left_leg"),
        row("anticoagulated-numb-before-the-block-is-not-raised", at(0, -30),
            (NUMBNESS_PERSISTING, URGENT, NORMAL), "contact_clinic", anticoagulants=True,
            numbness="left_leg"),
        row("clinic-without-the-raise", at(4, 1), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", anticoagulants=True, rules=NO_ANTICOAGULANT_RAISE,
            numbness="left_leg"),
    ],
)  # fmt: skip
def test_anticoagulants_raise_persisting_numbness_one_level_but_not_expected_numbness(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("numb-both-legs-after-left-block", at(1), (BOTH_LEGS, EMERGENCY, NORMAL),
            "emergency", side="left", numbness="both_legs"),
        row("weak-both-legs-after-right-block", at(0, 30), (BOTH_LEGS, EMERGENCY, NORMAL),
            "emergency", side="right", weakness="both_legs"),
        row("numb-left-and-weak-right-after-left-block", at(1), (BOTH_LEGS, EMERGENCY, NORMAL),
            "emergency", side="left", numbness="left_leg", weakness="right_leg"),
        row("numb-both-legs-on-day-5-after-left-block", at(120),
            (BOTH_LEGS, EMERGENCY, NORMAL), "emergency", side="left", numbness="both_legs"),
        row("numb-both-legs-at-2h-after-bilateral-block", at(2),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", side="bilateral",
            numbness="both_legs"),
        row("numb-both-legs-at-3h59-after-bilateral-block", at(3, 59),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", side="bilateral",
            numbness="both_legs"),
        row("numb-both-legs-at-4h01-after-bilateral-block", at(4, 1),
            (BOTH_LEGS_BEYOND_WINDOW, EMERGENCY, NORMAL), "emergency", side="bilateral",
            numbness="both_legs"),
        row("numb-left-weak-right-at-5h-after-bilateral-block", at(5),
            (BOTH_LEGS_BEYOND_WINDOW, EMERGENCY, NORMAL), "emergency", side="bilateral",
            numbness="left_leg", weakness="right_leg"),
    ],
)  # fmt: skip
def test_both_legs_is_an_emergency_after_a_one_sided_block_and_timed_after_a_bilateral_one(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


WEAK_LEFT = EntryFacts(recorded_at=at(0, 30), weakness="left_leg", can_lift_heel=True)
WEAK_BOTH = EntryFacts(recorded_at=at(0, 30), weakness="both_legs")
NO_WEAKNESS = EntryFacts(recorded_at=at(0, 31), weakness="none", can_lift_heel=True)
NO_WEAKNESS_AT_29_MIN = EntryFacts(recorded_at=at(0, 29), weakness="none", can_lift_heel=True)
NO_WEAKNESS_HEEL_NOT_ASKED = EntryFacts(recorded_at=at(0, 45), weakness="none")
NOTHING_ASKED = EntryFacts(recorded_at=at(0, 45))


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("left-weakness-spreads-to-both-after-bilateral-block", at(1),
            (WEAKNESS_WORSENING, EMERGENCY, NORMAL), "emergency", side="bilateral",
            previous=WEAK_LEFT, weakness="both_legs"),
        row("left-weakness-spreads-to-both-after-left-block-is-both-legs-first", at(1),
            (BOTH_LEGS, EMERGENCY, NORMAL), "emergency", side="left", previous=WEAK_LEFT,
            weakness="both_legs"),
        row("heel-lift-lost-with-left-weakness", at(1), (WEAKNESS_WORSENING, EMERGENCY, NORMAL),
            "emergency", previous=WEAK_LEFT, weakness="left_leg", can_lift_heel=False),
        row("heel-lift-lost-on-day-2", at(48), (WEAKNESS_WORSENING, EMERGENCY, NORMAL),
            "emergency", previous=WEAK_LEFT, weakness="left_leg", can_lift_heel=False),
        row("new-weakness-after-an-entry-without-any-at-31-min", at(1),
            (WEAKNESS_WORSENING, EMERGENCY, NORMAL), "emergency", previous=NO_WEAKNESS,
            weakness="left_leg"),
        row("new-weakness-after-an-entry-without-any-at-29-min-is-onset", at(1),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", previous=NO_WEAKNESS_AT_29_MIN,
            weakness="left_leg"),
        row("heel-newly-failing-after-no-weakness-heel-not-asked", at(1),
            (WEAKNESS_WORSENING, EMERGENCY, NORMAL), "emergency",
            previous=NO_WEAKNESS_HEEL_NOT_ASKED, can_lift_heel=False),
        row("new-weakness-after-an-entry-that-asked-nothing-is-not-worse", at(1),
            (HEEL_LIFT_FAILURE, URGENT, NORMAL), "contact_clinic", previous=NOTHING_ASKED,
            weakness="left_leg", can_lift_heel=False),
        row("weakness-moves-from-left-to-right-is-a-leg-newly-weak", at(1),
            (WEAKNESS_WORSENING, EMERGENCY, NORMAL), "emergency", side="bilateral",
            previous=WEAK_LEFT, weakness="right_leg"),
        row("weakness-in-both-legs-as-before-stays-as-it-was", at(3),
            (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected", side="bilateral",
            previous=WEAK_BOTH, weakness="both_legs"),
        row("left-weakness-as-before-at-5h", at(5), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", previous=WEAK_LEFT, weakness="left_leg", can_lift_heel=True),
        row("heel-lift-unanswered-now", at(1), (NUMBNESS_EXPECTED, EXPECTED, NORMAL),
            "expected", previous=WEAK_LEFT, weakness="left_leg"),
    ],
)  # fmt: skip
def test_weakness_worse_than_the_last_entry_once_past_the_onset_is_an_emergency(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("reports-fever-without-temperature", at(30), (FEVER, URGENT, NORMAL),
            "contact_clinic", fever=True),
        row("temperature-38.1", at(30), (FEVER, URGENT, NORMAL), "contact_clinic",
            temperature_celsius=Decimal("38.1")),
        row("temperature-38.1-as-float", at(30), (FEVER, URGENT, NORMAL), "contact_clinic",
            temperature_celsius=38.1),
        row("temperature-38.0-is-not-a-fever", at(30), None, "routine",
            temperature_celsius=Decimal("38.0")),
        row("temperature-38.0-with-fever-ticked", at(30), (FEVER, URGENT, NORMAL),
            "contact_clinic", fever=True, temperature_celsius=Decimal("38.0")),
        row("site-red-or-swollen", at(48), (SITE_PROBLEM, URGENT, NORMAL), "contact_clinic",
            site_problem=True),
        row("new-severe-back-pain", at(3), (SEVERE_BACK_PAIN, URGENT, NORMAL),
            "contact_clinic", severe_back_pain=True),
        row("headache-worse-on-standing", at(26), (POSTURAL_HEADACHE, URGENT, NORMAL),
            "contact_clinic", headache_on_standing=True),
        row("routine-entry", at(1), None, "routine"),
    ],
)  # fmt: skip
def test_fever_site_problem_back_pain_and_postural_headache_are_urgent_at_any_time(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


# --- Several findings in one entry ------------------------------------------------


def test_only_one_finding_of_the_numbness_family_per_entry():
    # Both legs, worse than before, and a day late: every family rule applies; the first wins.
    entry = EntryFacts(
        recorded_at=at(30), numbness="both_legs", weakness="both_legs", can_lift_heel=False
    )
    previous = EntryFacts(recorded_at=at(29), weakness="left_leg", can_lift_heel=True)

    findings = triage(entry, context(side="left", anticoagulants=True, previous=previous))

    assert [f.rule for f in findings] == [BOTH_LEGS]


def test_independent_findings_are_all_reported_most_severe_first():
    entry = EntryFacts(
        recorded_at=at(2),
        fever=True,
        numbness="left_leg",
        headache_on_standing=True,
        bowel_bladder_change=True,
    )

    findings = triage(entry, context())

    assert [(f.rule, f.severity) for f in findings] == [
        (BOWEL_BLADDER, EMERGENCY),
        (FEVER, URGENT),
        (POSTURAL_HEADACHE, URGENT),
        (NUMBNESS_EXPECTED, EXPECTED),
    ]
    assert advice(findings).level == "emergency"


# --- Reasons, in words for staff --------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "ctx", "reason"),
    [
        pytest.param(
            EntryFacts(recorded_at=at(4, 1), numbness="left_leg"),
            context(),
            "Numbness of the left leg 4 h 01 min after the block (expected up to 4 h).",
            id="persisting",
        ),
        pytest.param(
            EntryFacts(recorded_at=at(1), numbness="both_legs"),
            context(side="left"),
            "Numbness in both legs after a left-sided block.",
            id="both-legs",
        ),
        pytest.param(
            EntryFacts(recorded_at=at(30), temperature_celsius=Decimal("38.4")),
            context(),
            "Temperature 38.4 °C (above 38.0 °C).",
            id="fever",
        ),
        pytest.param(
            EntryFacts(recorded_at=at(5, 30), numbness="left_leg"),
            context(rules=apply_overrides(DEFAULT_RULES, {"expected_numbness_hours": 4.5})),
            "Numbness of the left leg 5 h 30 min after the block (expected up to 4 h 30 min).",
            id="half-hour-override",
        ),
        pytest.param(
            EntryFacts(recorded_at=at(25), weakness="right_leg"),
            context(side="right"),
            "Weakness of the right leg 25 h 00 min after the block (never normal after 24 h).",
            id="never-normal",
        ),
        pytest.param(
            EntryFacts(recorded_at=at(1), weakness="both_legs"),
            context(side="bilateral", previous=WEAK_LEFT),
            "Weakness has spread from the left leg to both legs since the last entry.",
            id="worsening",
        ),
    ],
)
def test_the_reason_says_what_was_reported_and_the_numbers(entry, ctx, reason):
    assert [f.reason for f in triage(entry, ctx)] == [reason]


def test_the_reason_of_a_raised_finding_says_it_was_raised_for_anticoagulants():
    entry = EntryFacts(recorded_at=at(4, 1), numbness="left_leg")

    (finding,) = triage(entry, context(anticoagulants=True))

    assert finding.reason.endswith("On anticoagulants: raised from urgent.")


def test_numbness_before_the_block_is_not_blamed_on_the_anaesthetic():
    (finding,) = triage(EntryFacts(recorded_at=at(0, -30), numbness="left_leg"), context())

    assert "before the block" in finding.reason
    assert "0 h 30 min" in finding.reason


# --- Which entries need triage at all ---------------------------------------------


def test_a_routine_entry_has_no_safety_answers():
    assert has_safety_answers(EntryFacts(recorded_at=at(1))) is False
    assert has_safety_answers(EntryFacts(recorded_at=at(1), can_lift_heel=True)) is False


SINGLE_ANSWERS = {
    "numbness": "left_leg",
    "weakness": "right_leg",
    "can_lift_heel": False,
    "saddle_numbness": True,
    "bowel_bladder_change": True,
    "unable_to_urinate": True,
    "fever": True,
    "temperature_celsius": Decimal("36.8"),
    "site_problem": True,
    "severe_back_pain": True,
    "headache_on_standing": True,
    "radicular_symptoms": True,
}


@pytest.mark.parametrize(("field", "value"), SINGLE_ANSWERS.items(), ids=SINGLE_ANSWERS)
def test_any_single_safety_answer_counts(field, value):
    assert has_safety_answers(EntryFacts(recorded_at=at(1), **{field: value})) is True


def test_every_safety_field_is_covered_by_the_single_answer_table():
    assert set(SINGLE_ANSWERS) == {f.name for f in fields(EntryFacts)} - {"recorded_at"}


# --- The follow-up question -------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "ctx", "wanted"),
    [
        pytest.param(EntryFacts(recorded_at=at(2), numbness="left_leg"), context(), True,
                     id="numb-at-2h"),
        pytest.param(EntryFacts(recorded_at=at(0, 15), weakness="left_leg"), context(), True,
                     id="weak-at-15min"),
        pytest.param(EntryFacts(recorded_at=at(5), numbness="left_leg"), context(), False,
                     id="numb-at-5h-is-already-urgent"),
        pytest.param(EntryFacts(recorded_at=at(4), numbness="left_leg"), context(), False,
                     id="numb-at-the-follow-up-time"),
        pytest.param(EntryFacts(recorded_at=at(2)), context(), False, id="no-numbness"),
        pytest.param(EntryFacts(recorded_at=at(0, -10), numbness="left_leg"), context(), False,
                     id="numb-before-the-block"),
        pytest.param(EntryFacts(recorded_at=at(5), numbness="left_leg"),
                     context(rules=SIX_HOUR_CLINIC), False,
                     id="six-hour-clinic-numb-at-5h-is-past-the-follow-up"),
    ],
)  # fmt: skip
def test_numbness_inside_the_expected_window_asks_again_before_the_follow_up_time(
    entry, ctx, wanted
):
    assert needs_followup(entry, ctx) is wanted


# --- What the patient is told -----------------------------------------------------


def finding(severity, priority=NORMAL):
    return Finding(rule="any", severity=severity, reason="Why.", priority=priority)


def test_no_findings_is_routine_advice():
    assert advice([]) == Advice("routine", "Thank you. Your reading is saved.")


def test_expected_numbness_advice_says_it_wears_off_and_to_walk_with_help():
    told = advice([finding(EXPECTED)])

    assert told.level == "expected"
    assert "wear off within 2 to 4 hours" in told.message
    assert "lift your heel off the bed" in told.message


def test_urgent_advice_says_the_clinic_will_contact_and_gives_its_phone():
    told = advice([finding(URGENT)], clinic_phone="01632 960000")

    assert told.level == "contact_clinic"
    assert "will contact you." in told.message
    assert "today" not in told.message
    assert "01632 960000" in told.message


def test_urgent_advice_without_a_phone_still_says_to_call_the_clinic():
    told = advice([finding(URGENT)])

    assert told.message.endswith("call the clinic.")


def test_high_priority_urgent_advice_says_today():
    told = advice([finding(EXPECTED), finding(URGENT, priority=HIGH)])

    assert told.level == "contact_clinic"
    assert "will contact you today." in told.message


def test_emergency_advice_sends_the_patient_to_the_emergency_department_whatever_else():
    told = advice([finding(EXPECTED), finding(EMERGENCY), finding(URGENT, priority=HIGH)])

    assert told.level == "emergency"
    assert "emergency department" in told.message
    assert "medial branch block" in told.message


# --- Silence after a symptom ------------------------------------------------------


def test_an_unanswered_check_in_after_a_symptom_is_urgent():
    found = unresponsive_after_symptom(DEFAULT_RULES, "4 h")

    assert found == Finding(
        UNRESPONSIVE_AFTER_SYMPTOM,
        URGENT,
        "No answer to the check-in (4 h) after numbness, weakness or a heel that could not be "
        "lifted was reported.",
    )
    assert advice([found]).level == "contact_clinic"


# --- Rule set version 2: the new rows at their edges ------------------------------


def found(entry, ctx):
    return [(f.rule, f.severity) for f in triage(entry, ctx)]


@pytest.mark.parametrize(
    ("when", "anticoagulants", "numbness", "expected"),
    [
        pytest.param(at(3, 59), False, "left_leg",
                     [(SEVERE_BACK_PAIN, URGENT), (NUMBNESS_EXPECTED, EXPECTED)], id="3h59"),
        pytest.param(at(4, 1), False, "left_leg",
                     [(BACK_PAIN_WITH_LEG_SYMPTOMS, EMERGENCY), (NUMBNESS_PERSISTING, URGENT)],
                     id="4h01-with-numb-leg"),
        pytest.param(at(4, 1), False, None, [(SEVERE_BACK_PAIN, URGENT)],
                     id="4h01-without-leg-symptoms"),
        pytest.param(at(1), True, None, [(BACK_PAIN_ANTICOAGULATED, EMERGENCY)],
                     id="anticoagulated-at-1h"),
        pytest.param(at(1), False, None, [(SEVERE_BACK_PAIN, URGENT)],
                     id="not-anticoagulated-at-1h"),
        pytest.param(at(0, -30), True, None, [(SEVERE_BACK_PAIN, URGENT)],
                     id="anticoagulated-before-the-needle"),
    ],
)  # fmt: skip
def test_severe_back_pain_is_an_emergency_in_the_haematoma_patterns(
    when, anticoagulants, numbness, expected
):
    entry = EntryFacts(recorded_at=when, severe_back_pain=True, numbness=numbness)
    assert found(entry, context(anticoagulants=anticoagulants)) == expected


@pytest.mark.parametrize(
    ("entry", "ctx", "expected", "advice_level"),
    [
        row("heel-fails-at-3h59", at(3, 59), (HEEL_LIFT_FAILURE, URGENT, NORMAL),
            "contact_clinic", can_lift_heel=False),
        row("heel-fails-with-weak-leg-at-1h", at(1), (HEEL_LIFT_FAILURE, URGENT, NORMAL),
            "contact_clinic", weakness="left_leg", can_lift_heel=False),
        row("heel-fails-at-4h01", at(4, 1), (NUMBNESS_PERSISTING, URGENT, NORMAL),
            "contact_clinic", can_lift_heel=False),
        row("heel-lifts-at-1h", at(1), (NUMBNESS_EXPECTED, EXPECTED, NORMAL), "expected",
            weakness="left_leg", can_lift_heel=True),
        row("radicular-at-1h", at(1), (RADICULAR, URGENT, NORMAL), "contact_clinic",
            radicular_symptoms=True),
        row("radicular-anticoagulated-at-3h59", at(3, 59), (RADICULAR, URGENT, NORMAL),
            "contact_clinic", anticoagulants=True, radicular_symptoms=True),
        row("radicular-anticoagulated-at-4h01", at(4, 1), (RADICULAR, EMERGENCY, NORMAL),
            "emergency", anticoagulants=True, radicular_symptoms=True),
        row("radicular-answered-no", at(1), None, "routine", radicular_symptoms=False),
    ],
)  # fmt: skip
def test_heel_lift_failure_inside_the_window_and_radicular_symptoms_are_urgent(
    entry, ctx, expected, advice_level
):
    check(entry, ctx, expected, advice_level)


def test_a_heel_that_cannot_be_lifted_tells_the_patient_not_to_walk_alone():
    findings = triage(EntryFacts(recorded_at=at(2), can_lift_heel=False), context())
    told = advice(findings, "+441234567890")
    assert told.message.startswith("Do not walk without help until you can lift your heel")
    assert "+441234567890" in told.message


@pytest.mark.parametrize(
    ("facts", "ctx", "pages"),
    [
        pytest.param({"recorded_at": at(4, 1), "numbness": "left_leg"}, context(), True,
                     id="persisting-beyond-4h"),
        pytest.param({"recorded_at": at(25), "weakness": "left_leg"}, context(), True,
                     id="never-normal"),
        pytest.param({"recorded_at": at(1), "saddle_numbness": True}, context(), True,
                     id="emergency"),
        pytest.param({"recorded_at": at(2), "can_lift_heel": False}, context(), False,
                     id="heel-lift-inside-4h"),
        pytest.param({"recorded_at": at(2), "fever": True}, context(), False, id="fever"),
        pytest.param({"recorded_at": at(2), "radicular_symptoms": True}, context(), False,
                     id="radicular"),
    ],
)  # fmt: skip
def test_the_proceduralist_is_paged_for_emergencies_and_persistent_motor_block(facts, ctx, pages):
    (finding,) = triage(EntryFacts(**facts), ctx)
    assert finding.pages_proceduralist is pages


def test_questions_not_asked_are_no_finding_and_no_safety_answer():
    entry = EntryFacts(recorded_at=at(5))
    assert triage(entry, context(anticoagulants=True)) == []
    assert has_safety_answers(entry) is False
