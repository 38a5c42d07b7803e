"""The check-in as a web form: the questions of ``diary.questions``, in their order.

The form only turns what the patient ticked into an entry's answers; the entry is then
validated and stored exactly as the API's (``EntrySerializer``, ``record_entry``). A
question left blank stays unknown (null), never a "no".
"""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from diary import questions
from diary.models import Language, Limb

YES, NO = "yes", "no"
YES_NO = [(YES, _("Yes")), (NO, _("No"))]
LEGS = [
    (Limb.NONE, _("No")),
    (Limb.LEFT_LEG, _("Left leg")),
    (Limb.RIGHT_LEG, _("Right leg")),
    (Limb.BOTH_LEGS, _("Both legs")),
]
PAIN_SCORES = [(str(score), str(score)) for score in range(11)]
# Fields asked inside another question (the activity's "could you do it?", the
# temperature), and the follow-up's three: rendered with their question, not on their own.
STILL_NUMB_FIELDS = ("numbness", "weakness", "can_lift_heel")


def _radio(choices, *, required=False, label=""):
    return forms.ChoiceField(
        choices=choices, required=required, label=label, widget=forms.RadioSelect
    )


def _yes_no(value: str) -> bool | None:
    return {YES: True, NO: False}.get(value)


@dataclass
class Group:
    """One question on the page: its words and the form fields that answer it."""

    id: str
    text: str
    fields: list  # bound fields
    required: bool


class CheckInForm(forms.Form):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    pain_score = _radio(PAIN_SCORES, required=True)
    activity = forms.CharField(
        max_length=200,
        required=False,
        label=_("Activity"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    activity_ok = _radio(YES_NO, label=_("Could you do it?"))
    reported_relief_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        label=_("Relief in %"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    numbness = _radio(LEGS)
    weakness = _radio(LEGS)
    can_lift_heel = _radio(YES_NO)
    bowel_bladder_change = _radio(YES_NO)
    unable_to_urinate = _radio(YES_NO)
    saddle_numbness = _radio(YES_NO)
    radicular_symptoms = _radio(YES_NO)
    severe_back_pain = _radio(YES_NO)
    fever = _radio(YES_NO)
    temperature_celsius = forms.DecimalField(
        min_value=30,
        max_value=45,
        decimal_places=1,
        required=False,
        label=_("Temperature in °C, if you took it"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )
    site_problem = _radio(YES_NO)
    headache_on_standing = _radio(YES_NO)
    analgesic_taken = _radio(YES_NO)
    note = forms.CharField(
        max_length=2000,
        required=False,
        label=_("A note for your clinic (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, follow_up: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_up = follow_up
        if follow_up:  # "Is your leg still numb or weak?" needs its answers
            for name in STILL_NUMB_FIELDS:
                self.fields[name].required = True
        self.fields["numbness"].label = _("Is either leg numb?")
        self.fields["weakness"].label = _("Is either leg weak?")
        self.fields["can_lift_heel"].label = _("Can you lift your heel off the bed?")

    def groups(self) -> list[Group]:
        """The questions in the order of ``diary.questions``; on a follow-up, the leg's
        three answers come first, under the follow-up question, and are not asked again."""
        shown = []
        for question in questions.shown(self.follow_up):
            if self.follow_up and question.id in STILL_NUMB_FIELDS:
                continue
            shown.append(
                Group(
                    id=question.id,
                    text=questions.text(question.id),
                    fields=[self[name] for name in question.fields],
                    required=question.required,
                )
            )
        return shown

    def entry_answers(self) -> dict:
        """The cleaned form as an entry's answers: blank questions are left out (unknown)."""
        data = self.cleaned_data
        answers = {"client_id": str(data["client_id"]), "pain_score": int(data["pain_score"])}
        for name in ("activity", "note"):
            if data[name]:
                answers[name] = data[name]
        if data["reported_relief_percent"] is not None:
            answers["reported_relief_percent"] = data["reported_relief_percent"]
        if data["temperature_celsius"] is not None:
            answers["temperature_celsius"] = str(data["temperature_celsius"])
        for name in ("numbness", "weakness"):
            if data[name]:
                answers[name] = data[name]
        for name in (
            "activity_ok",
            "can_lift_heel",
            "bowel_bladder_change",
            "unable_to_urinate",
            "saddle_numbness",
            "radicular_symptoms",
            "severe_back_pain",
            "fever",
            "site_problem",
            "headache_on_standing",
        ):
            if data[name]:
                answers[name] = _yes_no(data[name])
        # Not a safety question: no answer is "none taken", as the API's default.
        answers["analgesic_taken"] = data["analgesic_taken"] == YES
        return answers


class LanguageForm(forms.Form):
    # Each language named in itself, so a patient finds their own whatever the page's.
    language = forms.ChoiceField(choices=Language.choices, label=_("Language"))
