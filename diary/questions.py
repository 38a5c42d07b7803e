"""What a check-in asks, in the patient's language (from the translation catalogue).

The phone app and the web check-in render the same list, so both ask the same thing in the
same order. A follow-up check-in (added after numbness or weakness inside the window, and
the 4 h reading when it carries the question) asks "still numb?" first (CLINICAL.md v2).
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

STILL_NUMB = "still_numb_or_weak"


@dataclass(frozen=True)
class Question:
    id: str
    fields: tuple[str, ...]  # the entry fields the answer fills
    answer: str  # integer_0_10 | percent | text | yes_no | leg | temperature
    required: bool = False


_QUESTIONS = (
    Question(STILL_NUMB, ("numbness", "weakness", "can_lift_heel"), "leg", required=True),
    Question("pain_score", ("pain_score",), "integer_0_10", required=True),
    Question("activity", ("activity", "activity_ok"), "text"),
    Question("reported_relief_percent", ("reported_relief_percent",), "percent"),
    Question("numbness", ("numbness",), "leg"),
    Question("weakness", ("weakness",), "leg"),
    Question("can_lift_heel", ("can_lift_heel",), "yes_no"),
    Question("bowel_bladder_change", ("bowel_bladder_change",), "yes_no"),
    Question("unable_to_urinate", ("unable_to_urinate",), "yes_no"),
    Question("saddle_numbness", ("saddle_numbness",), "yes_no"),
    Question("radicular_symptoms", ("radicular_symptoms",), "yes_no"),
    Question("severe_back_pain", ("severe_back_pain",), "yes_no"),
    Question("fever", ("fever", "temperature_celsius"), "temperature"),
    Question("site_problem", ("site_problem",), "yes_no"),
    Question("headache_on_standing", ("headache_on_standing",), "yes_no"),
    Question("analgesic_taken", ("analgesic_taken",), "yes_no"),
)

# The English words are the catalogue's ids (locale/); each language's are in its .po file.
TEXTS = {
    STILL_NUMB: gettext_noop("Is your leg still numb or weak? Can you lift your heel off the bed?"),
    "pain_score": gettext_noop(
        "Your usual pain right now, from 0 (none) to 10 (worst): rate it while doing an "
        "activity that normally hurts, not the soreness where the needle went in."
    ),
    "activity": gettext_noop("Which activity did you try, and could you do it?"),
    "reported_relief_percent": gettext_noop("How much better is your usual pain, in % (optional)?"),
    "numbness": gettext_noop("Is either leg numb?"),
    "weakness": gettext_noop("Is either leg weak?"),
    "can_lift_heel": gettext_noop("Lying down, can you lift your heel off the bed?"),
    "bowel_bladder_change": gettext_noop("Any new loss of control of your bladder or bowels?"),
    "unable_to_urinate": gettext_noop("Have you been unable to pass urine for hours?"),
    "saddle_numbness": gettext_noop(
        "Any numbness between your legs, in your buttocks or inner thighs?"
    ),
    "radicular_symptoms": gettext_noop(
        "Any new shooting pain down a leg, or numbness in a strip down the leg?"
    ),
    "severe_back_pain": gettext_noop("Any new, severe back pain?"),
    "fever": gettext_noop("Do you have a fever? If you took your temperature, what was it?"),
    "site_problem": gettext_noop("Is the place where the needle went in red, swollen or leaking?"),
    "headache_on_standing": gettext_noop("Do you have a headache that is worse when you stand up?"),
    "analgesic_taken": gettext_noop("Have you taken any pain medicine since your last answer?"),
}
DEFAULT_LANGUAGE = "en"


def text(question_id: str) -> str:
    """The question in the active language."""
    return gettext(TEXTS[question_id])


def shown(follow_up: bool) -> list[Question]:
    """The questions of one check-in, in order."""
    return [q for q in _QUESTIONS if follow_up or q.id != STILL_NUMB]


def questions(*, follow_up: bool, language: str) -> list[dict]:
    """The questions of one check-in, in order, with their text in ``language`` (English
    when the catalogue has no such language)."""
    with translation.override(language):
        return [
            {
                "id": q.id,
                "text": text(q.id),
                "fields": list(q.fields),
                "answer": q.answer,
                "required": q.required,
            }
            for q in shown(follow_up)
        ]
