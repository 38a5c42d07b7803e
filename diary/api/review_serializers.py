"""Read-only serializers of the clinician's review: a block's response and RFA readiness.

They serialize the dataclasses of ``diary.response``; every field is computed, none stored.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.response.verdict import INDETERMINATE, NEGATIVE, POSITIVE, PROVISIONAL


class ReadingReliefSerializer(serializers.Serializer):
    minutes_after_block = serializers.IntegerField(help_text="Whole minutes since the block.")
    pain_score = serializers.IntegerField(help_text="Usual pain at the reading, 0-10.")
    relief_percent = serializers.FloatField(
        allow_null=True, help_text="Relief against the baseline pain, in %; null if it is 0."
    )
    activity_ok = serializers.BooleanField(
        allow_null=True, help_text="Could the patient do a previously painful activity?"
    )


class PreBlockReadingSerializer(serializers.Serializer):
    minutes_after_block = serializers.IntegerField(help_text="Negative: before the block.")
    pain_score = serializers.IntegerField(help_text="Pain at the reading, 0-10.")


class BaselineDisabilitySerializer(serializers.Serializer):
    scale = serializers.ChoiceField(choices=["odi", "rmdq"], help_text="odi or rmdq.")
    score = serializers.IntegerField(help_text="ODI 0-100 %, RMDQ 0-24.")


class DiagnosticResponseSerializer(serializers.Serializer):
    """The diagnostic response of a block, from its diary and the clinic's rules. Pass the
    block as ``context["procedure"]`` for the baseline recorded with it."""

    baseline_pain = serializers.IntegerField(help_text="Pain before the block, 0-10.")
    threshold_percent = serializers.IntegerField(
        help_text="Relief that counts as a response (the clinic's rule, e.g. 80 or 50)."
    )
    expected_window_minutes = serializers.IntegerField(
        help_text="How long the anaesthetic used is expected to act (the clinic's rule)."
    )
    readings = ReadingReliefSerializer(
        many=True, help_text="Every reading from the block on, by time (pre-block ones left out)."
    )
    peak_relief_percent = serializers.FloatField(
        allow_null=True, help_text="Highest relief inside the expected window; null if none."
    )
    peak_at_minutes = serializers.IntegerField(
        allow_null=True, help_text="When the peak was, in minutes after the block."
    )
    minutes_at_or_above_threshold = serializers.IntegerField(
        help_text="Minutes between consecutive readings both at or above the threshold and "
        "at most 2 h apart; nothing is extrapolated past the last reading."
    )
    verdict = serializers.ChoiceField(
        choices=[POSITIVE, NEGATIVE, INDETERMINATE, PROVISIONAL],
        help_text="positive, negative or indeterminate (too few readings, or baseline 0); "
        "provisional while the expected window is open or a check-in due inside it has not "
        "closed (never counted for RFA readiness).",
    )
    leaning = serializers.ChoiceField(
        choices=[POSITIVE, NEGATIVE, INDETERMINATE],
        allow_null=True,
        help_text="While provisional: the verdict the readings so far would give; else null.",
    )
    provisional_until_minutes = serializers.IntegerField(
        allow_null=True, help_text="While provisional: minutes after the block it waits for."
    )
    still_due = serializers.IntegerField(
        help_text="Readings still due inside the window (check-ins not yet closed)."
    )
    still_due_by_minutes = serializers.IntegerField(
        allow_null=True, help_text="When the last of them is due, in minutes after the block."
    )
    pre_block_readings = PreBlockReadingSerializer(
        many=True, help_text="Readings before the block: the baseline's, never relief."
    )
    baseline_disability = serializers.SerializerMethodField()
    usual_painful_activity = serializers.SerializerMethodField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why, in words, the verdict's own first."
    )
    relief_beyond_window = serializers.BooleanField(
        help_text="Relief at or above the threshold long after the window: flagged for review."
    )
    function_improved = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the activity could be done while relief was at or above the "
        "threshold; null if not reported.",
    )
    relief_end_observed = serializers.BooleanField(
        allow_null=True,
        help_text="False if relief was still at or above the threshold when the readings "
        "stopped (its duration is then a lower bound); null if none was counted.",
    )

    @extend_schema_field(
        BaselineDisabilitySerializer(
            allow_null=True, help_text="The disability scale scored at baseline; null if none."
        )
    )
    def get_baseline_disability(self, verdict) -> dict | None:
        procedure = self.context.get("procedure")
        if procedure is None or not procedure.baseline_disability_scale:
            return None
        return {
            "scale": procedure.baseline_disability_scale,
            "score": procedure.baseline_disability_score,
        }

    @extend_schema_field(
        serializers.CharField(help_text="The activity that usually hurts, as recorded.")
    )
    def get_usual_painful_activity(self, verdict) -> str:
        procedure = self.context.get("procedure")
        return procedure.usual_painful_activity if procedure is not None else ""


class RfaReadinessSerializer(serializers.Serializer):
    """Whether the patient meets the criteria for radiofrequency ablation."""

    ready = serializers.BooleanField(
        help_text="Two positive diagnostic blocks on the same levels and side, far enough "
        "apart, within the yearly limit of diagnostic sessions."
    )
    blocks = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of the blocks it rests on: the qualifying pair, or the positive "
        "diagnostic blocks found so far.",
    )
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Each criterion, met or not, in words."
    )
