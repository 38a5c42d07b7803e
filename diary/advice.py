"""What the patient is told at once after an entry, from its findings, in their language.

CLINICAL.md's column "what the patient is told", in plain words. The web check-in and the
phone app show the message as given; it is stored with the entry, so the record keeps what
the patient actually read.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from diary.triage import EMERGENCY, HEEL_LIFT_FAILURE, HIGH, SEVERITY_ORDER, URGENT, Finding


@dataclass(frozen=True)
class Advice:
    level: str  # routine | expected | contact_clinic | emergency
    message: str  # plain words for the patient


_NO_WALKING_ALONE = gettext_noop(
    "Do not walk without help until you can lift your heel off the bed."
)
_EXPECTED_ADVICE = gettext_noop(
    "Numbness or weakness in the leg is expected for a few hours after the block and should "
    "wear off within 2 to 4 hours. %(no_walking_alone)s We will ask again later."
)
_EMERGENCY_ADVICE = gettext_noop(
    "Go to the emergency department now, or call emergency services. Tell them you had a "
    "spinal injection (medial branch block) and what you noticed. Your clinic has also been told."
)


def advice(findings: list[Finding], clinic_phone: str = "", language: str = "en") -> Advice:
    """What the patient is told at once, from the most severe finding, in ``language``."""
    with translation.override(language):
        return _advice(findings, clinic_phone.strip())


def _advice(findings: list[Finding], phone: str) -> Advice:
    if not findings:
        return Advice("routine", gettext("Thank you. Your reading is saved."))
    worst = max(SEVERITY_ORDER[f.severity] for f in findings)
    if worst == SEVERITY_ORDER[EMERGENCY]:
        return Advice("emergency", gettext(_EMERGENCY_ADVICE))
    if worst == SEVERITY_ORDER[URGENT]:
        today = any(f.priority == HIGH for f in findings)
        told = (
            gettext("Your clinic has been told and will contact you today.")
            if today
            else gettext("Your clinic has been told and will contact you.")
        )
        if phone:
            call = gettext(
                "If you feel worse before you hear from them, call the clinic on %(phone)s."
            ) % {"phone": phone}
        else:
            call = gettext("If you feel worse before you hear from them, call the clinic.")
        first = (
            [gettext(_NO_WALKING_ALONE)]
            if any(f.rule == HEEL_LIFT_FAILURE for f in findings)
            else []
        )
        return Advice("contact_clinic", " ".join([*first, told, call]))
    message = gettext(_EXPECTED_ADVICE) % {"no_walking_alone": gettext(_NO_WALKING_ALONE)}
    return Advice("expected", message)
