"""What a block's page shows: its readings, check-ins, findings, alerts, other blocks and
the relief chart's data, each read from the block (found in the clinic, 404 otherwise)."""

from dataclasses import dataclass
from datetime import datetime

from django.shortcuts import get_object_or_404

from audit.log import note
from diary.models import (
    CheckIn,
    CheckInStatus,
    Clinic,
    DiaryEntry,
    Finding,
    Limb,
    Procedure,
    StepKind,
)
from diary.response.relief import minutes_after_block, relief_percent
from notifications.models import Alert
from web.dashboard.queries import LIVE, duration, urgency

# The chart covers the readings of the first hours (every 15 min, then hourly to 8 h); the
# daily ones follow in the table. A longer expected window widens it.
CHART_MINUTES = 12 * 60


@dataclass
class Reading:
    """One diary entry as the readings table shows it."""

    entry: DiaryEntry
    minutes: int
    relief: float | None
    symptoms: list[str]


def procedure_of(clinic: Clinic, procedure_id: int) -> Procedure:
    """One of the clinic's blocks (404 for anyone else's)."""
    block = get_object_or_404(
        Procedure.objects.select_related("patient", "proceduralist"),
        pk=procedure_id,
        patient__clinic=clinic,
    )
    note(block)
    return block


def readings(procedure: Procedure) -> list[Reading]:
    entries = DiaryEntry.objects.current().filter(procedure=procedure).select_related("checkin")
    return [
        Reading(
            entry=entry,
            minutes=minutes_after_block(procedure.performed_at, entry.recorded_at),
            relief=relief_percent(procedure.baseline_pain, entry.pain_score),
            symptoms=symptoms(entry),
        )
        for entry in entries.order_by("recorded_at", "id")
    ]


def checkins(procedure: Procedure) -> list[CheckIn]:
    return list(procedure.checkins.order_by("due_at", "id"))


def findings(procedure: Procedure) -> list[Finding]:
    """What triage concluded from this block's entries, the expected ones included."""
    return list(procedure.findings.select_related("entry", "checkin").order_by("created_at", "id"))


def patient_alerts(procedure: Procedure) -> list[Alert]:
    """All the patient's alerts, live ones first (most urgent first), then the newest."""
    found = list(
        Alert.objects.filter(
            clinic_id=procedure.patient.clinic_id, patient_id=procedure.patient_id
        ).select_related("procedure", "acknowledged_by", "resolved_by")
    )
    live = sorted((a for a in found if a.state in LIVE), key=urgency)
    return live + [a for a in found if a.state not in LIVE]


def other_blocks(procedure: Procedure) -> list[Procedure]:
    return list(
        Procedure.objects.filter(patient_id=procedure.patient_id)
        .exclude(pk=procedure.pk)
        .order_by("-performed_at", "-id")
    )


_LIMBS = {Limb.LEFT_LEG: "left leg", Limb.RIGHT_LEG: "right leg", Limb.BOTH_LEGS: "both legs"}


def symptoms(entry: DiaryEntry) -> list[str]:
    """The safety answers of an entry, in words; empty when it reported nothing."""
    found = []
    if entry.numbness in _LIMBS:
        found.append(f"numb {_LIMBS[entry.numbness]}")
    if entry.weakness in _LIMBS:
        found.append(f"weak {_LIMBS[entry.weakness]}")
    if entry.can_lift_heel is False:
        found.append("cannot lift heel")
    flags = (
        ("saddle_numbness", "saddle numbness"),
        ("bowel_bladder_change", "bowel or bladder change"),
        ("unable_to_urinate", "unable to pass urine"),
        ("fever", "fever"),
        ("site_problem", "injection-site problem"),
        ("severe_back_pain", "new severe back pain"),
        ("headache_on_standing", "headache on standing"),
        ("radicular_symptoms", "shooting pain or numb strip down a leg"),
    )
    found += [words for name, words in flags if getattr(entry, name)]
    if entry.temperature_celsius is not None:
        found.append(f"temperature {entry.temperature_celsius} °C")
    return found


def chart_data(procedure: Procedure, checkins: list[CheckIn], verdict, now: datetime) -> dict:
    """The relief chart's data, for ``json_script``: the verdict's own readings.

    The x axis runs to the hour after the later of the expected window and now (so a block
    done an hour ago is not a speck in a 12-hour frame), at most 12 h unless the window is
    longer; readings after that are in the table only."""
    window = verdict.expected_window_minutes
    elapsed = minutes_after_block(procedure.performed_at, now)
    span = max(window + 60, min(CHART_MINUTES, elapsed))
    span = -(-span // 60) * 60  # up to a whole hour
    missed = [
        {"x": minutes_after_block(procedure.performed_at, c.due_at), "label": c.label}
        for c in checkins
        if c.status == CheckInStatus.MISSED and c.kind == StepKind.AFTER_BLOCK
    ]
    return {
        "readings": [
            {"x": r.minutes_after_block, "y": r.relief_percent, "pain": r.pain_score}
            for r in verdict.readings
            if r.minutes_after_block <= span and r.relief_percent is not None
        ],
        "missed": [m for m in missed if 0 <= m["x"] <= span],
        "threshold": verdict.threshold_percent,
        "window": [0, window],
        "anesthetic": procedure.anesthetic,
        "span": span,
        "later": sum(1 for r in verdict.readings if r.minutes_after_block > span),
    }


def chart_summary(verdict, missed: list[CheckIn]) -> str:
    """The chart in one sentence, for screen readers (the tables below have every number)."""
    window = f"the expected {verdict.anesthetic or 'anaesthetic'} window is the first " + (
        duration(verdict.expected_window_minutes)
    )
    if verdict.peak_relief_percent is None:
        said = "No relief readings yet"
    else:
        said = (
            f"Relief peaked at {verdict.peak_relief_percent:g} % "
            f"{duration(verdict.peak_at_minutes)} after the block and was at or above the "
            f"{verdict.threshold_percent} % threshold for "
            f"{duration(verdict.minutes_at_or_above_threshold)}"
        )
    return f"{said}; {window}; {len(missed)} missed check-in{'' if len(missed) == 1 else 's'}."
