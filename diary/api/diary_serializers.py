"""What the patient answers, as the API reads and writes it: check-ins and diary entries.

Validation lives here; writes go through ``diary.services``.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary import labels, questions, services, triaging
from diary.api.fields import (
    AwareDateTimeField,
    CheckInField,
    StrictIntegerField,
    StrictModelSerializer,
)
from diary.api.finding_serializers import FindingSerializer
from diary.clinic_status import STATES, clinic_status
from diary.clock import read_clock
from diary.models import (
    SAFETY_FIELDS,
    CheckIn,
    CheckInStatus,
    DiaryEntry,
    ProcedureStatus,
)
from diary.response import relief
from diary.services.corrections import correctable_until

FUTURE_TOLERANCE = timedelta(minutes=5)
BEFORE_BLOCK_LIMIT = timedelta(hours=24)


class QuestionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stable id, e.g. still_numb_or_weak or pain_score.")
    text = serializers.CharField(help_text="The question, in the patient's language.")
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="The entry fields its answer fills."
    )
    answer = serializers.ChoiceField(
        choices=["integer_0_10", "percent", "text", "yes_no", "leg", "temperature"],
        help_text="How it is answered.",
    )
    required = serializers.BooleanField(help_text="Whether the check-in needs this answer.")


class CheckInSerializer(serializers.ModelSerializer):
    kind = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    label = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "procedure",
            "kind",
            "follow_up",
            "opens_at",
            "due_at",
            "closes_at",
            "status",
            "label",
            "answered_at",
            "questions",
        ]
        extra_kwargs = {
            "opens_at": {"help_text": "From when a reading answers it (UTC); earlier, none does."},
            "due_at": {"help_text": "When the reading is asked for (UTC)."},
            "closes_at": {"help_text": "After this the check-in counts as missed."},
            "follow_up": {"help_text": "It asks first whether the leg is still numb or weak."},
        }

    @extend_schema_field(
        serializers.ChoiceField(
            choices=["scheduled", "follow_up"],
            help_text="scheduled: a step of the diary; follow_up: added after numbness or "
            "weakness was reported inside the expected window.",
        )
    )
    def get_kind(self, checkin) -> str:
        return "follow_up" if checkin.key == triaging.FOLLOWUP_KEY else "scheduled"

    @extend_schema_field(
        serializers.ChoiceField(
            choices=CheckInStatus.values,
            help_text="From the clock at read time: upcoming before opens_at, due until "
            "closes_at, then missed; answered or cancelled as recorded.",
        )
    )
    def get_status(self, checkin) -> str:
        return checkin.status_at(self.context.get("now") or timezone.now())

    def _language(self, checkin) -> str:
        return self.context.get("language") or checkin.procedure.patient.language

    @extend_schema_field(
        serializers.CharField(
            help_text="What the app shows, in the patient's language, e.g. '2 h after your block'."
        )
    )
    def get_label(self, checkin) -> str:
        with translation.override(self._language(checkin)):
            return labels.translated(checkin.label)

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, checkin) -> list[dict]:
        return questions.questions(follow_up=checkin.follow_up, language=self._language(checkin))


class AdviceSerializer(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=["routine", "expected", "contact_clinic", "emergency"],
        help_text="routine, expected, contact_clinic or emergency: how urgent the advice is.",
    )
    message = serializers.CharField(help_text="What to tell the patient, in plain words.")


class RaisedAlertSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The clinician alert this entry raised or joined.")
    severity = serializers.ChoiceField(
        choices=["urgent", "emergency"], help_text="urgent or emergency."
    )


class ClinicStatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=STATES,
        help_text="sent (to the clinic), seen (by the clinic) or dealt_with (by the clinic).",
    )
    at = serializers.DateTimeField(
        allow_null=True, help_text="When the clinic saw it or dealt with it; null while sent."
    )
    message = serializers.CharField(
        help_text="What to show the patient, in their language; never a staff name."
    )


# What an entry's findings, advice and alert are read from, for lists of entries: a fixed
# number of queries a page.
ENTRY_PREFETCH = ("findings__alert_events__alert", "findings__rule_set")


def _outcome(entry):
    """The advice and alert of an entry: set by ``record_entry`` when it was just posted,
    otherwise rebuilt from its stored findings (prefetched by the list views)."""
    outcome = getattr(entry, "outcome", None)
    if outcome is None:
        outcome = entry.outcome = triaging.stored_outcome(entry)
    return outcome


class EntrySerializer(StrictModelSerializer):
    """A diary entry as the phone sends it, and as stored, with the computed relief."""

    recorded_at = AwareDateTimeField(
        help_text="When the patient recorded it, ISO 8601 with a UTC offset. At most 5 min "
        "in the future and at most 24 h before the block."
    )
    sent_at = AwareDateTimeField(
        write_only=True,
        required=False,
        help_text="The phone's clock when it sends this request (ISO 8601 with offset). "
        "Send it: when the phone's clock is more than a couple of minutes off, recorded_at "
        "is corrected by the difference and clock_skew_seconds says by how much.",
    )
    # An id, resolved in validate() together with the check-in it answers: one query.
    procedure = StrictIntegerField(
        source="procedure_id",
        min_value=1,
        max_value=2**63 - 1,  # a database id; larger cannot be one, and would overflow
        help_text="The block this reading is about (one of yours).",
    )
    # Scoped to the signed-in patient (context["patient"]); nothing without one.
    checkin = CheckInField(
        queryset=CheckIn.objects.none(),
        required=False,
        allow_null=True,
        help_text="The check-in this answers, if any (of that block).",
    )
    minutes_after_block = serializers.SerializerMethodField()
    relief_percent = serializers.SerializerMethodField()
    advice = serializers.SerializerMethodField()
    alert = serializers.SerializerMethodField()
    clinic_status = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    answered_questions = serializers.SerializerMethodField()
    correctable_until = serializers.SerializerMethodField()

    class Meta:
        model = DiaryEntry
        fields = [
            "id",
            "client_id",
            "procedure",
            "checkin",
            "recorded_at",
            "sent_at",
            "received_at",
            "clock_skew_seconds",
            "phone_recorded_at",
            "pain_score",
            "reported_relief_percent",
            "activity",
            "activity_ok",
            "numbness",
            "weakness",
            "can_lift_heel",
            "saddle_numbness",
            "bowel_bladder_change",
            "fever",
            "site_problem",
            "temperature_celsius",
            "severe_back_pain",
            "headache_on_standing",
            "unable_to_urinate",
            "radicular_symptoms",
            "analgesic_taken",
            "note",
            "answered_questions",
            "minutes_after_block",
            "relief_percent",
            "advice",
            "alert",
            "clinic_status",
            "findings",
            "corrects",
            "superseded_at",
            "correctable_until",
        ]
        read_only_fields = [
            "id",
            "received_at",
            "clock_skew_seconds",
            "phone_recorded_at",
            "corrects",
            "superseded_at",
        ]
        # Each default is repeated from the model so the schema shows it.
        extra_kwargs = {
            "clock_skew_seconds": {
                "help_text": "How far the phone's clock was behind the server's (seconds; "
                "negative: ahead), measured from sent_at; null when none was sent."
            },
            "phone_recorded_at": {
                "help_text": "The recorded_at the phone sent, when its clock was off by more "
                "than the tolerance and recorded_at was corrected; otherwise null."
            },
            "client_id": {
                "help_text": "A UUID the phone makes once per entry; resending it is safe.",
                "validators": [],  # uniqueness is the service's idempotency rule, not a 400
            },
            "pain_score": {"min_value": 0, "max_value": 10, "help_text": "Usual pain now, 0-10."},
            "reported_relief_percent": {
                "min_value": 0,
                "max_value": 100,
                "help_text": "The patient's own estimate of relief, 0-100 %.",
            },
            "activity": {"help_text": "A normally painful activity tried, e.g. 'bending'."},
            "activity_ok": {"help_text": "Could the patient do that activity?"},
            "numbness": {
                "help_text": "Which leg is numb: none, left_leg, right_leg or both_legs. Every "
                "safety answer may be left out or null when the question was not asked."
            },
            "weakness": {"help_text": "Which leg is weak, if any."},
            "can_lift_heel": {"help_text": "Can the patient lift the heel off the bed?"},
            "saddle_numbness": {"help_text": "Numbness of groin, buttocks or inner thighs."},
            "bowel_bladder_change": {"help_text": "New loss of bowel or bladder control."},
            "fever": {"help_text": "Temperature above 38 °C."},
            "site_problem": {"help_text": "Redness, pus or swelling at the injection site."},
            "temperature_celsius": {
                "min_value": Decimal("30"),
                "max_value": Decimal("45"),
                "help_text": "Measured temperature in °C, if taken, e.g. 38.4.",
            },
            "severe_back_pain": {"help_text": "New, severe back pain."},
            "headache_on_standing": {"help_text": "A headache that is worse on standing."},
            "unable_to_urinate": {"help_text": "Not able to pass urine for hours."},
            "radicular_symptoms": {
                "help_text": "New shooting pain down a leg, or numbness in a strip down the leg."
            },
            "analgesic_taken": {"help_text": "Pain medicine taken since the last entry."},
            "note": {"help_text": "Free text, up to 2000 characters."},
        }

    @extend_schema_field(serializers.IntegerField(help_text="Whole minutes since the block."))
    def get_minutes_after_block(self, entry):
        return relief.minutes_after_block(entry.procedure.performed_at, entry.recorded_at)

    @extend_schema_field(
        serializers.FloatField(
            allow_null=True, help_text="Relief against the baseline pain, in %; null if it is 0."
        )
    )
    def get_relief_percent(self, entry):
        return relief.relief_percent(entry.procedure.baseline_pain, entry.pain_score)

    @extend_schema_field(AdviceSerializer)
    def get_advice(self, entry):
        advice = _outcome(entry).advice
        return {"level": advice.level, "message": advice.message}

    @extend_schema_field(RaisedAlertSerializer(allow_null=True))
    def get_alert(self, entry):
        alert = _outcome(entry).alert
        return {"id": alert["id"], "severity": alert["severity"]} if alert else None

    @extend_schema_field(ClinicStatusSerializer(allow_null=True))
    def get_clinic_status(self, entry):
        alert = _outcome(entry).alert
        if alert is None:
            return None
        patient = entry.procedure.patient
        return clinic_status(alert, language=patient.language, zone=patient.timezone)

    @extend_schema_field(
        serializers.DateTimeField(
            allow_null=True,
            help_text="Until when the patient may correct this entry (POST …/correct/); null "
            "once a correction has taken its place.",
        )
    )
    def get_correctable_until(self, entry):
        return correctable_until(entry)

    @extend_schema_field(FindingSerializer(many=True))
    def get_findings(self, entry):
        findings = _outcome(entry).findings
        # Most entries find nothing: no list serializer built to render an empty list.
        return FindingSerializer(findings, many=True).data if findings else []

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=SAFETY_FIELDS),
            help_text="The safety questions answered, in the order of the form. One left out "
            "was not asked: stored as null (unknown), never as a no.",
        )
    )
    def get_answered_questions(self, entry):
        return [name for name in SAFETY_FIELDS if getattr(entry, name) is not None]

    def validate(self, attrs):
        clock = read_clock(
            attrs["recorded_at"],
            sent_at=attrs.pop("sent_at", None),
            received_at=timezone.now(),
            tolerance=settings.CLOCK_SKEW_TOLERANCE_SECONDS,
        )
        attrs["recorded_at"] = recorded_at = clock.recorded_at
        attrs["clock_skew_seconds"] = clock.skew_seconds
        attrs["phone_recorded_at"] = clock.phone_recorded_at
        procedure_id = attrs.pop("procedure_id")
        procedure = services.procedure_for_entry(self.context["patient"], procedure_id, recorded_at)
        if procedure is None:
            raise serializers.ValidationError(
                {"procedure": [f'Invalid pk "{procedure_id}" - object does not exist.']}
            )
        attrs["procedure"] = procedure
        checkin = attrs.get("checkin")
        if procedure.status == ProcedureStatus.CANCELLED:
            raise serializers.ValidationError({"procedure": ["This block was cancelled."]})
        if checkin is not None and checkin.procedure_id != procedure.id:
            raise serializers.ValidationError({"checkin": ["This check-in is for another block."]})
        if recorded_at > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(
                {"recorded_at": ["Is in the future; check the phone's clock."]}
            )
        if recorded_at < procedure.performed_at - BEFORE_BLOCK_LIMIT:
            raise serializers.ValidationError(
                {"recorded_at": ["Is more than 24 h before the block."]}
            )
        if checkin is not None and recorded_at < checkin.opens_at:
            # The curve depends on when each reading was taken (CLINICAL.md v2).
            raise serializers.ValidationError(
                {
                    "checkin": [
                        f"Opens at {checkin.opens_at.isoformat()}; a reading recorded before "
                        "then does not answer it. Send it without checkin to keep it as an "
                        "unscheduled reading."
                    ]
                }
            )
        return attrs
