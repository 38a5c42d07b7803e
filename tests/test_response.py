"""The diagnostic response, as pure functions: worked diaries in, verdicts and reasons out.

No database and no clock. A diary is written the way a clinician reads one off the chart,
``"15:2 30:1+ 45:1"``: minutes after the block, a colon, the pain score, and ``+`` or ``-``
when the patient said they could (or could not) do the activity that normally hurts.
Ana's baseline is 8 (each point of pain is 12.5 % of relief), Ben's is 5 (1 → exactly 80 %).
"""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from diary.response.concordance import concordance
from diary.response.readiness import BlockSummary, rfa_readiness
from diary.response.relief import minutes_after_block, relief_percent
from diary.response.verdict import (
    BUPIVACAINE,
    INDETERMINATE,
    LIDOCAINE,
    NEGATIVE,
    POSITIVE,
    Reading,
    ReadingRelief,
    analyse,
)
from diary.rules import DEFAULT_RULES, apply_overrides

FIFTY_PERCENT_CLINIC = apply_overrides(DEFAULT_RULES, {"positive_relief_percent": 50})
NO_FIRST_HOUR_RULE = apply_overrides(DEFAULT_RULES, {"first_hour_reading_required": False})
TWO_READINGS_CLINIC = apply_overrides(DEFAULT_RULES, {"min_readings_in_window": 2})
SHORT_LIDOCAINE_CLINIC = apply_overrides(DEFAULT_RULES, {"lidocaine_window_minutes": 120})
SEVEN_DAY_CLINIC = apply_overrides(DEFAULT_RULES, {"rfa_min_days_between_blocks": 7})
TWO_SESSION_CLINIC = apply_overrides(DEFAULT_RULES, {"rfa_max_sessions_per_year": 2})

ANA, BEN, CARA = 8, 5, 9  # baselines
ANA_TEXTBOOK = "15:2 30:1+ 45:1 60:1 120:1 180:3 240:6"


def diary(text: str) -> list[Reading]:
    """``"15:2 30:1+ 60:1-"`` → readings, in the order written."""
    readings = []
    for item in text.split():
        ok = {"+": True, "-": False}.get(item[-1])
        minutes, pain = item.rstrip("+-").split(":")
        readings.append(Reading(int(minutes), int(pain), ok))
    return readings


def verdict_of(text, baseline=ANA, anesthetic=LIDOCAINE, rules=DEFAULT_RULES):
    return analyse(baseline_pain=baseline, anesthetic=anesthetic, readings=diary(text), rules=rules)


# --- Relief at one reading ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "pain", "expected"),
    [(8, 1, 87.5), (5, 1, 80.0), (9, 2, 77.8), (8, 8, 0.0), (8, 10, -25.0), (10, 0, 100.0),
     (0, 0, None), (0, 3, None)],
)  # fmt: skip
def test_relief_is_against_the_baseline_and_undefined_when_it_is_zero(baseline, pain, expected):
    assert relief_percent(baseline, pain) == expected


@pytest.mark.parametrize(
    ("recorded", "expected"),
    [(timedelta(minutes=30), 30), (timedelta(minutes=30, seconds=59), 30),
     (timedelta(hours=2), 120), (timedelta(seconds=-1), -1), (timedelta(minutes=-20), -20)],
)  # fmt: skip
def test_minutes_after_the_block_are_whole_and_negative_before_it(recorded, expected):
    block = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
    assert minutes_after_block(block, block + recorded) == expected


# --- Worked diaries -------------------------------------------------------------------------


def row(case_id, baseline, anesthetic, text, verdict, peak, peak_at, minutes, reason,
        rules=DEFAULT_RULES):  # fmt: skip
    return pytest.param(
        baseline, anesthetic, text, rules, (verdict, peak, peak_at, minutes), reason, id=case_id
    )


@pytest.mark.parametrize(
    ("baseline", "anesthetic", "text", "rules", "expected", "reason"),
    [
        row("ana-textbook-lidocaine-positive", ANA, LIDOCAINE, ANA_TEXTBOOK,
            POSITIVE, 87.5, 30, 90, "peak 87.5 % relief at 30 min, ≥ 80 % for 1 h 30 min, "
            "within the expected lidocaine window (3 h)"),
        row("ana-readings-out-of-order", ANA, LIDOCAINE, "120:1 15:2 60:1 180:3 30:1+ 240:6 45:1",
            POSITIVE, 87.5, 30, 90, "≥ 80 % for 1 h 30 min"),
        row("ana-late-entries-recorded-offline-arrive-last", ANA, LIDOCAINE,
            "15:2 30:1+ 120:1 180:3 240:6 45:1 60:1", POSITIVE, 87.5, 30, 90,
            "≥ 80 % for 1 h 30 min"),
        row("ben-threshold-exactly-met", BEN, LIDOCAINE, "15:1 30:1 60:1 120:3",
            POSITIVE, 80.0, 15, 45, "peak 80 % relief at 15 min, ≥ 80 % for 45 min"),
        row("cara-threshold-missed-by-a-fraction", CARA, LIDOCAINE, "15:2 30:2 60:2 120:2",
            NEGATIVE, 77.8, 15, 0, "peak 77.8 % relief at 15 min, below the 80 % threshold"),
        row("baseline-0-cannot-be-relieved", 0, LIDOCAINE, "15:0 30:0 60:0 120:0",
            INDETERMINATE, None, None, 0, "baseline pain 0: relief cannot be computed"),
        row("missing-early-readings-none-in-the-first-hour", ANA, LIDOCAINE,
            "90:1 120:1 150:1 180:1", INDETERMINATE, 87.5, 90, 90,
            "no reading in the first hour"),
        row("missing-early-readings-at-a-clinic-not-requiring-them", ANA, LIDOCAINE,
            "90:1 120:1 150:1 180:1", POSITIVE, 87.5, 90, 90, "≥ 80 % for 1 h 30 min",
            rules=NO_FIRST_HOUR_RULE),
        row("first-hour-reading-at-exactly-60-min", ANA, LIDOCAINE, "60:1 120:1 180:1",
            POSITIVE, 87.5, 60, 120, "≥ 80 % for 2 h, within"),
        row("only-2-readings-in-the-window", ANA, LIDOCAINE, "15:1 30:1 240:1",
            INDETERMINATE, 87.5, 15, 15,
            "only 2 readings in the expected lidocaine window (3 h); at least 3 needed"),
        row("only-2-readings-at-a-clinic-asking-for-2", ANA, LIDOCAINE, "15:1 30:1",
            POSITIVE, 87.5, 15, 15, "≥ 80 % for 15 min", rules=TWO_READINGS_CLINIC),
        row("only-1-reading-in-the-first-2-h", ANA, LIDOCAINE, "30:1 150:1 180:1",
            INDETERMINATE, 87.5, 30, 150,
            "only 1 reading in the expected lidocaine window (2 h)",
            rules=SHORT_LIDOCAINE_CLINIC),
        row("one-time-point-entered-twice-counts-once", ANA, LIDOCAINE, "15:1 15:1 30:1",
            INDETERMINATE, 87.5, 15, 15, "only 2 readings"),
        row("the-same-time-point-twice-is-not-sustained", ANA, LIDOCAINE, "15:1 15:1 30:6 45:6",
            NEGATIVE, 87.5, 15, 0, "not sustained"),
        row("no-reading-until-day-1", ANA, LIDOCAINE, "1440:1",
            INDETERMINATE, None, None, 0, "no reading in the expected lidocaine window (3 h)"),
        row("a-single-good-reading-is-not-sustained", ANA, LIDOCAINE, "15:1 30:5 45:5 60:5",
            NEGATIVE, 87.5, 15, 0, "but not sustained: no two consecutive readings"),
        row("relief-dipping-between-good-readings-is-not-sustained", ANA, LIDOCAINE,
            "15:1 30:5 45:1 60:5", NEGATIVE, 87.5, 15, 0, "not sustained"),
        row("a-4-h-gap-is-not-sustained-relief", ANA, BUPIVACAINE, "15:6 30:6 60:1 300:1 480:6",
            NEGATIVE, 87.5, 60, 0, "relief ≥ 80 % at 1 h and at 5 h, but the 4 h between them "
            "is not counted: too long without a reading"),
        row("a-gap-of-exactly-2-h-one-missed-hour-is-bridged", ANA, LIDOCAINE,
            "15:5 30:5 60:1 180:1", POSITIVE, 87.5, 60, 120, "≥ 80 % for 2 h"),
        row("worse-pain-is-negative-relief", ANA, LIDOCAINE, "15:9 30:10 60:8",
            NEGATIVE, 0.0, 60, 0, "peak 0 % relief at 1 h, below the 80 % threshold"),
        row("a-reading-before-the-block-is-not-counted", ANA, LIDOCAINE, "-20:1 15:6 30:6 60:6",
            NEGATIVE, 25.0, 15, 0, "1 reading before the block not counted"),
        row("lidocaine-relief-lasting-7-h", ANA, LIDOCAINE,
            "15:1 30:1 45:1 60:1 120:1 180:1 240:1 300:1 360:1 420:1 480:6",
            POSITIVE, 87.5, 15, 405,
            "≥ 80 % for 6 h 45 min, lasting past the expected lidocaine window (3 h)"),
        row("the-same-diary-after-bupivacaine", ANA, BUPIVACAINE,
            "15:1 30:1 45:1 60:1 120:1 180:1 240:1 300:1 360:1 420:1 480:6",
            POSITIVE, 87.5, 15, 405, "within the expected bupivacaine window (8 h)"),
        row("62-percent-relief-at-a-50-percent-clinic", ANA, LIDOCAINE, "15:3 30:3 60:3 120:4",
            POSITIVE, 62.5, 15, 105, "peak 62.5 % relief at 15 min, ≥ 50 % for 1 h 45 min",
            rules=FIFTY_PERCENT_CLINIC),
        row("62-percent-relief-at-the-80-percent-default", ANA, LIDOCAINE,
            "15:3 30:3 60:3 120:4", NEGATIVE, 62.5, 15, 0, "below the 80 % threshold"),
        row("full-relief-on-day-1-is-not-the-peak", ANA, LIDOCAINE, "15:6 30:6 60:6 1440:0",
            NEGATIVE, 25.0, 15, 0, "peak 25 % relief at 15 min"),
    ],
)  # fmt: skip
def test_worked_diaries_give_their_verdicts(baseline, anesthetic, text, rules, expected, reason):
    result = analyse(
        baseline_pain=baseline, anesthetic=anesthetic, readings=diary(text), rules=rules
    )
    got = (
        result.verdict,
        result.peak_relief_percent,
        result.peak_at_minutes,
        result.minutes_at_or_above_threshold,
    )
    assert got == expected
    assert any(reason in said for said in result.reasons), result.reasons
    assert result.threshold_percent == rules.positive_relief_percent
    assert result.anesthetic == anesthetic


def test_an_indeterminate_diary_says_every_reason_it_cannot_decide():
    result = verdict_of("150:1", baseline=0)
    assert result.verdict == INDETERMINATE
    assert result.reasons == [
        "baseline pain 0: relief cannot be computed against it",
        "only 1 reading in the expected lidocaine window (3 h); at least 3 needed",
        "no reading in the first hour",
    ]


def test_ana_s_textbook_block_reads_like_the_clinician_would_say_it():
    assert verdict_of(ANA_TEXTBOOK).reasons == [
        "peak 87.5 % relief at 30 min, ≥ 80 % for 1 h 30 min, within the expected lidocaine "
        "window (3 h)",
        "could do a previously painful activity at 30 min",
    ]


def test_every_order_of_ana_s_diary_gives_the_same_verdict():
    readings = diary(ANA_TEXTBOOK)
    first = analyse(baseline_pain=ANA, anesthetic=LIDOCAINE, readings=readings, rules=DEFAULT_RULES)
    for order in itertools.permutations(readings):
        again = analyse(
            baseline_pain=ANA, anesthetic=LIDOCAINE, readings=list(order), rules=DEFAULT_RULES
        )
        assert again == first


def test_readings_come_back_by_time_with_their_relief_and_without_pre_block_ones():
    result = verdict_of("60:1 -30:7 15:4+ 30:10")
    assert result.readings == [
        ReadingRelief(15, 4, 50.0, True),
        ReadingRelief(30, 10, -25.0, None),
        ReadingRelief(60, 1, 87.5, None),
    ]


def test_with_baseline_0_every_relief_is_none_not_zero():
    result = verdict_of("15:0 30:2", baseline=0)
    assert [r.relief_percent for r in result.readings] == [None, None]
    assert (result.peak_relief_percent, result.function_improved) == (None, None)


# --- Function: could the patient do what normally hurts? ---------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "function_improved", "reason"),
    [
        pytest.param("15:1 30:1+ 60:1", POSITIVE, True,
                     "could do a previously painful activity at 30 min", id="could-do-it"),
        pytest.param("15:1 30:1 60:1", POSITIVE, None,
                     "function not reported while relief was ≥ 80 %", id="not-reported"),
        pytest.param("15:1 30:1- 60:1", NEGATIVE, False,
                     "could not do the painful activity at 30 min despite 87.5 % relief: "
                     "function does not support the scores", id="could-not-despite-relief"),
        pytest.param("15:1+ 30:1 60:1-", NEGATIVE, False,
                     "could not do the painful activity at 1 h",
                     id="could-then-could-not-while-still-relieved"),
        pytest.param("15:6- 30:1 45:1+ 60:1", POSITIVE, True,
                     "could do a previously painful activity at 45 min",
                     id="could-not-while-in-pain-then-could"),
        pytest.param("15:1 30:1+ 60:1 240:1-", POSITIVE, True, "could do",
                     id="could-not-only-after-the-window"),
    ],
)  # fmt: skip
def test_function_at_relieved_readings_counts_in_the_verdict(
    text, verdict, function_improved, reason
):
    result = verdict_of(text)
    assert (result.verdict, result.function_improved) == (verdict, function_improved)
    assert reason in result.reasons[1]


def test_not_managing_the_activity_while_in_pain_is_not_held_against_the_block():
    result = verdict_of("15:6- 30:6- 60:6")
    assert (result.verdict, result.function_improved) == (NEGATIVE, None)
    assert result.reasons == ["peak 25 % relief at 15 min, below the 80 % threshold"]


# --- Relief beyond the window, and whether its end was seen -------------------------------


@pytest.mark.parametrize(
    ("text", "verdict", "beyond", "end_observed"),
    [
        pytest.param("15:1 30:1 60:6", POSITIVE, False, True, id="relief-ends-at-a-reading"),
        pytest.param("15:1 30:1 60:1", POSITIVE, False, False, id="still-relieved-at-the-last"),
        pytest.param("15:1 30:1 60:1 300:6", POSITIVE, False, False,
                     id="relieved-then-4-h-of-silence"),
        pytest.param("15:6 30:6 60:6", NEGATIVE, False, None, id="no-relief-counted"),
        pytest.param("15:1 30:1 60:1 120:6 1440:1", POSITIVE, True, True,
                     id="relieved-again-on-day-1"),
        pytest.param("15:1 30:1 60:1 120:1 240:1 360:1", POSITIVE, False, False,
                     id="relieved-at-exactly-twice-the-window"),
        pytest.param("15:1 30:1 60:1 120:1 240:1 361:1", POSITIVE, True, False,
                     id="relieved-a-minute-past-twice-the-window"),
        pytest.param("15:6 30:6 60:6 1440:0", NEGATIVE, True, None,
                     id="only-relieved-on-day-1"),
    ],
)  # fmt: skip
def test_relief_long_after_the_anaesthetic_is_flagged_not_rejected(
    text, verdict, beyond, end_observed
):
    result = verdict_of(text)
    assert (result.verdict, result.relief_beyond_window, result.relief_end_observed) == (
        verdict,
        beyond,
        end_observed,
    )
    flagged = [r for r in result.reasons if r.endswith("flagged for review")]
    assert len(flagged) == beyond


def test_the_flag_names_the_reading_and_the_window():
    assert verdict_of("15:1 30:1 60:1 120:6 1440:1").reasons[-1] == (
        "relief 87.5 % at 24 h, long after the expected lidocaine window (3 h): flagged for review"
    )


# --- Windows and thresholds come from the clinic's rules ----------------------------------


@pytest.mark.parametrize(
    ("anesthetic", "rules", "window"),
    [
        (LIDOCAINE, DEFAULT_RULES, 180),
        (BUPIVACAINE, DEFAULT_RULES, 480),
        (LIDOCAINE, SHORT_LIDOCAINE_CLINIC, 120),
        (BUPIVACAINE, apply_overrides(DEFAULT_RULES, {"bupivacaine_window_minutes": 360}), 360),
    ],
)
def test_the_window_is_the_clinic_s_for_the_anaesthetic_used(anesthetic, rules, window):
    result = verdict_of("15:1 30:1 60:1", anesthetic=anesthetic, rules=rules)
    assert result.expected_window_minutes == window


def test_an_unknown_anaesthetic_is_refused_rather_than_given_a_window():
    with pytest.raises(ValueError, match="Unknown anaesthetic 'mepivacaine'"):
        verdict_of("15:1 30:1 60:1", anesthetic="mepivacaine")


# --- Comparative blocks ------------------------------------------------------------------

PROTOCOL_MINUTES = (15, 30, 45, 60, 120, 180, 240, 300, 360, 420, 480)


def relieved_until(anesthetic, until, *, last=480, pain=1):
    """A diary at the protocol's times, pain ``pain`` up to ``until`` and 6 after, to ``last``."""
    text = " ".join(f"{t}:{pain if t <= until else 6}" for t in PROTOCOL_MINUTES if t <= last)
    return verdict_of(text, anesthetic=anesthetic)


@pytest.mark.parametrize(
    ("lidocaine", "bupivacaine", "concordant", "reason"),
    [
        pytest.param(relieved_until(LIDOCAINE, 120), relieved_until(BUPIVACAINE, 360), True,
                     "concordant: bupivacaine relief outlasted lidocaine (bupivacaine ≥ 80 % "
                     "for 5 h 45 min, lidocaine ≥ 80 % for 1 h 45 min)",
                     id="bupivacaine-outlasts-lidocaine"),
        pytest.param(relieved_until(LIDOCAINE, 180), relieved_until(BUPIVACAINE, 180), False,
                     "discordant: bupivacaine relief did not outlast lidocaine",
                     id="equally-long-is-discordant"),
        pytest.param(relieved_until(LIDOCAINE, 360), relieved_until(BUPIVACAINE, 120), False,
                     "discordant", id="lidocaine-outlasts-bupivacaine"),
        pytest.param(relieved_until(LIDOCAINE, 120), relieved_until(BUPIVACAINE, 480), True,
                     "concordant", id="bupivacaine-relief-outlasting-its-diary"),
        pytest.param(relieved_until(LIDOCAINE, 180),
                     relieved_until(BUPIVACAINE, 480, last=120), None,
                     "the bupivacaine relief had not ended when its readings stopped",
                     id="bupivacaine-readings-stopped-while-relieved"),
        pytest.param(relieved_until(LIDOCAINE, 480, last=60), relieved_until(BUPIVACAINE, 360),
                     None, "the lidocaine relief had not ended when its readings stopped",
                     id="lidocaine-readings-stopped-while-relieved"),
        pytest.param(relieved_until(LIDOCAINE, 0), relieved_until(BUPIVACAINE, 360), None,
                     "the lidocaine block is negative: comparing durations needs two positive "
                     "blocks", id="lidocaine-block-negative"),
        pytest.param(relieved_until(LIDOCAINE, 120),
                     relieved_until(BUPIVACAINE, 480, last=15), None,
                     "the bupivacaine block is indeterminate", id="bupivacaine-indeterminate"),
    ],
)  # fmt: skip
def test_comparative_blocks_are_concordant_when_bupivacaine_relief_lasts_longer(
    lidocaine, bupivacaine, concordant, reason
):
    result = concordance(lidocaine, bupivacaine)
    assert result.concordant is concordant
    assert any(reason in said for said in result.reasons), result.reasons


def test_two_failed_blocks_give_a_reason_each():
    result = concordance(relieved_until(LIDOCAINE, 0), relieved_until(BUPIVACAINE, 0))
    assert (result.concordant, len(result.reasons)) == (None, 2)


def test_verdicts_passed_the_wrong_way_round_are_refused():
    with pytest.raises(ValueError, match="The lidocaine verdict is of a bupivacaine block"):
        concordance(relieved_until(BUPIVACAINE, 360), relieved_until(LIDOCAINE, 120))


# --- RFA readiness ------------------------------------------------------------------------

DAY_0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
NOW = DAY_0 + timedelta(days=60)  # 2025-05-02
LIDO_POSITIVE = relieved_until(LIDOCAINE, 120)
LIDO_LONG = relieved_until(LIDOCAINE, 360)
LIDO_NEGATIVE = relieved_until(LIDOCAINE, 0)
LIDO_INDETERMINATE = relieved_until(LIDOCAINE, 480, last=15)
BUPI_POSITIVE = relieved_until(BUPIVACAINE, 360)
BUPI_SHORT = relieved_until(BUPIVACAINE, 120)


def block(id, day, verdict=LIDO_POSITIVE, *, hour=9, levels="L4-L5", side="left",
          kind="diagnostic_mbb", status="performed", anesthetic=None):  # fmt: skip
    return BlockSummary(
        id=id,
        performed_at=DAY_0.replace(hour=hour) + timedelta(days=day),
        levels=levels,
        side=side,
        anesthetic=anesthetic or (verdict.anesthetic if verdict else LIDOCAINE),
        kind=kind,
        status=status,
        verdict=verdict,
    )


def ready_row(case_id, blocks, ready, ids, *reasons, rules=DEFAULT_RULES):
    return pytest.param(blocks, rules, ready, ids, reasons, id=case_id)


@pytest.mark.parametrize(
    ("blocks", "rules", "ready", "ids", "reasons"),
    [
        ready_row("lidocaine-then-bupivacaine-3-weeks-apart",
                  [block(1, 0), block(2, 21, BUPI_POSITIVE)], True, [1, 2],
                  "L4-L5 left: two positive diagnostic blocks, #1 (lidocaine, 2025-03-03) and "
                  "#2 (bupivacaine, 2025-03-24), 21 days apart (at least 14)",
                  "L4-L5 left: concordant: bupivacaine relief outlasted lidocaine",
                  "2 diagnostic sessions in the 12 months to 2025-05-02, within the 4 allowed "
                  "for the lumbar region"),
        ready_row("exactly-14-days-apart", [block(1, 0), block(2, 14, BUPI_POSITIVE)], True,
                  [1, 2], "14 days apart (at least 14)"),
        ready_row("13-days-is-too-soon", [block(1, 0), block(2, 13)], False, [1, 2],
                  "L4-L5 left: positive blocks #1 (lidocaine, 2025-03-03) and #2 (lidocaine, "
                  "2025-03-16) are only 13 days apart; the second must be at least 14 days "
                  "after the first"),
        ready_row("14-dates-apart-though-short-of-14-times-24-h",
                  [block(1, 0, hour=16), block(2, 14, hour=8)], True, [1, 2], "14 days apart"),
        ready_row("one-positive-one-negative", [block(1, 0), block(2, 21, LIDO_NEGATIVE)],
                  False, [1], "L4-L5 left: one positive diagnostic block (#1 (lidocaine, "
                  "2025-03-03)); a second is needed at least 14 days after it"),
        ready_row("no-positive-block",
                  [block(1, 0, LIDO_NEGATIVE), block(2, 21, LIDO_INDETERMINATE)], False, [],
                  "L4-L5 left: no positive diagnostic block (#1 (lidocaine, 2025-03-03) "
                  "negative, #2 (lidocaine, 2025-03-24) indeterminate)"),
        ready_row("a-block-without-a-verdict", [block(1, 0), block(2, 21, None)], False, [1],
                  "one positive diagnostic block"),
        ready_row("left-then-right-is-not-a-pair",
                  [block(1, 0), block(2, 21, BUPI_POSITIVE, side="right")], False, [1, 2],
                  "L4-L5 right: one positive", "L4-L5 left: one positive"),
        ready_row("same-levels-written-in-another-order",
                  [block(1, 0, levels="L4-L5,L5-S1"),
                   block(2, 21, BUPI_POSITIVE, levels="L5-S1,L4-L5")], True, [1, 2],
                  "L5-S1,L4-L5 left: two positive"),
        ready_row("a-level-added-is-other-levels",
                  [block(1, 0), block(2, 21, levels="L4-L5,L5-S1")], False, [1, 2],
                  "L4-L5,L5-S1 left: one positive", "L4-L5 left: one positive"),
        ready_row("a-cancelled-block-does-not-count",
                  [block(1, 0), block(2, 21, status="cancelled")], False, [1],
                  "one positive", "1 diagnostic session in the 12 months"),
        ready_row("a-therapeutic-block-does-not-count",
                  [block(1, 0), block(2, 21, kind="therapeutic_mbb")], False, [1],
                  "one positive"),
        ready_row("a-block-after-now-does-not-count", [block(1, 0), block(2, 90)], False, [1],
                  "one positive", "1 diagnostic session"),
        ready_row("five-sessions-in-12-months-is-over-the-limit",
                  [block(1, -300, LIDO_NEGATIVE), block(2, -200, LIDO_NEGATIVE),
                   block(3, -100, LIDO_NEGATIVE), block(4, 0), block(5, 21, BUPI_POSITIVE)],
                  False, [4, 5], "two positive diagnostic blocks, #4",
                  "5 diagnostic sessions in the 12 months to 2025-05-02: more than the 4 "
                  "allowed for the lumbar region"),
        ready_row("sessions-older-than-12-months-do-not-count",
                  [block(1, -400, LIDO_NEGATIVE), block(2, -380, LIDO_NEGATIVE),
                   block(3, -100, LIDO_NEGATIVE), block(4, 0), block(5, 21, BUPI_POSITIVE)],
                  True, [4, 5], "3 diagnostic sessions in the 12 months"),
        ready_row("left-and-right-on-one-day-are-one-session",
                  [block(1, -200, LIDO_NEGATIVE), block(2, -100, LIDO_NEGATIVE, side="right"),
                   block(3, -100, LIDO_NEGATIVE), block(4, 0), block(5, 21, BUPI_POSITIVE)],
                  True, [4, 5], "4 diagnostic sessions in the 12 months to 2025-05-02, within"),
        ready_row("a-clinic-allowing-2-sessions",
                  [block(1, -100, LIDO_NEGATIVE), block(2, 0), block(3, 21, BUPI_POSITIVE)],
                  False, [2, 3], "3 diagnostic sessions", "more than the 2 allowed",
                  rules=TWO_SESSION_CLINIC),
        ready_row("the-most-recent-qualifying-pair",
                  [block(1, 0), block(2, 20), block(3, 40, BUPI_POSITIVE)], True, [2, 3],
                  "#2 (lidocaine, 2025-03-23) and #3 (bupivacaine, 2025-04-12), 20 days apart"),
        ready_row("too-close-a-pair-then-a-third-far-enough-from-the-first",
                  [block(1, 0), block(2, 10), block(3, 20)], True, [1, 3],
                  "#1 (lidocaine, 2025-03-03) and #3 (lidocaine, 2025-03-23), 20 days apart"),
        ready_row("a-negative-block-after-the-pair-is-for-review",
                  [block(1, 0), block(2, 21, BUPI_POSITIVE), block(3, 42, LIDO_NEGATIVE)], True,
                  [1, 2], "L4-L5 left: #3 (lidocaine, 2025-04-14), after the pair, was "
                  "negative: for review"),
        ready_row("a-discordant-pair-is-still-ready",
                  [block(1, 0, LIDO_LONG), block(2, 21, BUPI_SHORT)], True, [1, 2],
                  "L4-L5 left: discordant: bupivacaine relief did not outlast lidocaine"),
        ready_row("a-clinic-allowing-7-days", [block(1, 0), block(2, 10)], True, [1, 2],
                  "10 days apart (at least 7)", rules=SEVEN_DAY_CLINIC),
        ready_row("no-diagnostic-block-yet", [], False, [],
                  "no diagnostic medial branch block yet"),
        ready_row("only-an-ablation-so-far", [block(1, 0, None, kind="rfa")], False, [],
                  "no diagnostic medial branch block yet"),
    ],
)  # fmt: skip
def test_rfa_readiness_needs_two_positive_blocks_apart_and_few_sessions(
    blocks, rules, ready, ids, reasons
):
    result = rfa_readiness(blocks, rules, NOW)
    assert (result.ready, result.blocks) == (ready, ids), result.reasons
    for reason in reasons:
        assert any(reason in said for said in result.reasons), (reason, result.reasons)


def test_two_lidocaine_blocks_say_nothing_of_concordance():
    result = rfa_readiness([block(1, 0), block(2, 21)], DEFAULT_RULES, NOW)
    assert result.ready
    assert not any("concordant" in said for said in result.reasons)


def test_two_qualifying_sides_are_both_reported_most_recent_first():
    blocks = [
        block(1, 0),
        block(2, 21),
        block(3, 1, side="right"),
        block(4, 30, BUPI_POSITIVE, side="right"),
    ]
    result = rfa_readiness(blocks, DEFAULT_RULES, NOW)
    assert (result.ready, result.blocks) == (True, [1, 3, 2, 4])
    assert [r.split(":")[0] for r in result.reasons[:2]] == ["L4-L5 right", "L4-L5 right"]


def test_twelve_months_before_a_leap_day_is_the_28th_of_february():
    leap_day = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    blocks = [
        BlockSummary(1, datetime(2027, 2, 28, 10, 0, tzinfo=UTC), "L4-L5", "left", LIDOCAINE,
                     "diagnostic_mbb", "performed", LIDO_NEGATIVE),
        BlockSummary(2, datetime(2027, 2, 28, 8, 0, tzinfo=UTC), "L4-L5", "right", LIDOCAINE,
                     "diagnostic_mbb", "performed", LIDO_NEGATIVE),
    ]  # fmt: skip
    result = rfa_readiness(blocks, DEFAULT_RULES, leap_day)
    assert "1 diagnostic session in the 12 months to 2028-02-29, within" in result.reasons[-1]


def test_a_clinic_that_bridges_longer_gaps_counts_the_relief_across_them():
    """The gap a verdict bridges and the "far beyond the window" factor are clinic rules."""
    text = "15:1 30:1 60:1 240:1 255:6"
    assert verdict_of(text).minutes_at_or_above_threshold == 45
    bridging = apply_overrides(DEFAULT_RULES, {"max_reading_gap_minutes": 180})
    assert verdict_of(text, rules=bridging).minutes_at_or_above_threshold == 225


def test_a_clinic_can_flag_relief_beyond_the_window_sooner():
    text = "15:1 30:1 60:1 120:1 240:1"  # lidocaine: relief at 4 h, within 2 x 3 h
    assert verdict_of(text).relief_beyond_window is False
    sooner = apply_overrides(DEFAULT_RULES, {"beyond_window_factor": 1.25})
    assert verdict_of(text, rules=sooner).relief_beyond_window is True
