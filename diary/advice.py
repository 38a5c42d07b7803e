"""What the patient is told at once after an entry, from its findings. Pure.

CLINICAL.md's column "what the patient is told", in plain words. The web check-in and the
phone app show the message as given; it is stored with the entry, so the record keeps what
the patient actually read.
"""

from dataclasses import dataclass

from diary.triage import EMERGENCY, HEEL_LIFT_FAILURE, HIGH, SEVERITY_ORDER, URGENT, Finding


@dataclass(frozen=True)
class Advice:
    level: str  # routine | expected | contact_clinic | emergency
    message: str  # plain words for the patient


_NO_WALKING_ALONE = "Do not walk without help until you can lift your heel off the bed. "
_EXPECTED_ADVICE = (
    "Numbness or weakness in the leg is expected for a few hours after the block and should "
    f"wear off within 2 to 4 hours. {_NO_WALKING_ALONE}We will ask again later."
)
_EMERGENCY_ADVICE = (
    "Go to the emergency department now, or call emergency services. Tell them you had a "
    "spinal injection (medial branch block) and what you noticed. Your clinic has also been told."
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
        first = _NO_WALKING_ALONE if any(f.rule == HEEL_LIFT_FAILURE for f in findings) else ""
        return Advice(
            "contact_clinic",
            f"{first}Your clinic has been told and will contact you{when}. "
            f"If you feel worse before you hear from them, {call}.",
        )
    return Advice("expected", _EXPECTED_ADVICE)
