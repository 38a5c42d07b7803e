"""What a check-in asks, in the patient's language. Pure.

The phone app and the web check-in render the same list, so both ask the same thing in the
same order. A follow-up check-in (added after numbness or weakness inside the window, and
the 4 h reading when it carries the question) asks "still numb?" first (CLINICAL.md v2).
"""

from dataclasses import dataclass

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

TEXTS = {
    "en": {
        STILL_NUMB: "Is your leg still numb or weak? Can you lift your heel off the bed?",
        "pain_score": "Your usual pain right now, from 0 (none) to 10 (worst): rate it while "
        "doing an activity that normally hurts, not the soreness where the needle went in.",
        "activity": "Which activity did you try, and could you do it?",
        "reported_relief_percent": "How much better is your usual pain, in % (optional)?",
        "numbness": "Is either leg numb?",
        "weakness": "Is either leg weak?",
        "can_lift_heel": "Lying down, can you lift your heel off the bed?",
        "bowel_bladder_change": "Any new loss of control of your bladder or bowels?",
        "unable_to_urinate": "Have you been unable to pass urine for hours?",
        "saddle_numbness": "Any numbness between your legs, in your buttocks or inner thighs?",
        "radicular_symptoms": "Any new shooting pain down a leg, or numbness in a strip down "
        "the leg?",
        "severe_back_pain": "Any new, severe back pain?",
        "fever": "Do you have a fever? If you took your temperature, what was it?",
        "site_problem": "Is the place where the needle went in red, swollen or leaking?",
        "headache_on_standing": "Do you have a headache that is worse when you stand up?",
        "analgesic_taken": "Have you taken any pain medicine since your last answer?",
    },
    "es": {
        STILL_NUMB: "¿Sigue teniendo la pierna dormida o débil? ¿Puede levantar el talón de "
        "la cama?",
        "pain_score": "Su dolor habitual ahora, de 0 (nada) a 10 (el peor): valórelo haciendo "
        "una actividad que normalmente le duele, no la molestia donde entró la aguja.",
        "activity": "¿Qué actividad intentó y pudo hacerla?",
        "reported_relief_percent": "¿Cuánto ha mejorado su dolor habitual, en % (opcional)?",
        "numbness": "¿Tiene alguna pierna dormida?",
        "weakness": "¿Tiene alguna pierna débil?",
        "can_lift_heel": "Acostado, ¿puede levantar el talón de la cama?",
        "bowel_bladder_change": "¿Ha perdido de nuevo el control de la vejiga o del intestino?",
        "unable_to_urinate": "¿Lleva horas sin poder orinar?",
        "saddle_numbness": "¿Tiene adormecimiento entre las piernas, en las nalgas o en la cara "
        "interna de los muslos?",
        "radicular_symptoms": "¿Tiene un dolor nuevo como una descarga que baja por una pierna, "
        "o una franja dormida a lo largo de la pierna?",
        "severe_back_pain": "¿Tiene un dolor de espalda nuevo e intenso?",
        "fever": "¿Tiene fiebre? Si se tomó la temperatura, ¿cuánto marcó?",
        "site_problem": "¿Está roja, hinchada o supura la zona donde entró la aguja?",
        "headache_on_standing": "¿Tiene dolor de cabeza que empeora al ponerse de pie?",
        "analgesic_taken": "¿Ha tomado algún analgésico desde su última respuesta?",
    },
}
DEFAULT_LANGUAGE = "en"


def questions(*, follow_up: bool, language: str) -> list[dict]:
    """The questions of one check-in, in order, with their text in ``language`` (English
    when the language has no text yet)."""
    texts = TEXTS.get(language, TEXTS[DEFAULT_LANGUAGE])
    return [
        {
            "id": q.id,
            "text": texts[q.id],
            "fields": list(q.fields),
            "answer": q.answer,
            "required": q.required,
        }
        for q in _QUESTIONS
        if follow_up or q.id != STILL_NUMB
    ]
