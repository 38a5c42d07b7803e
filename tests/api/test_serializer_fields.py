"""Serializers copy their fields from a template built once per class: each instance's
fields are its own, bound to it alone, and nothing a request does reaches the next."""

import pytest
from rest_framework import serializers

from diary.api.diary_serializers import EntrySerializer
from diary.api.entry_batch import EntryBatchSerializer
from diary.api.fields import CheckInField, StrictSerializerMixin
from diary.models import CheckIn


def test_each_serializer_has_its_own_bound_fields():
    first, second = EntrySerializer(), EntrySerializer()
    for name in ("pain_score", "checkin", "recorded_at", "advice"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    template = EntrySerializer._strict_fields_template
    assert all(getattr(field, "parent", None) is None for field in template.values())


def test_a_field_changed_on_one_serializer_is_not_changed_on_the_next():
    first = EntrySerializer()
    validators = list(first.fields["note"].validators)
    first.fields["pain_score"].required = False
    first.fields["note"].validators.append(lambda value: None)
    fresh = EntrySerializer()
    assert fresh.fields["pain_score"].required is True
    assert fresh.fields["note"].validators == validators


class _AnsweredSerializer(StrictSerializerMixin, serializers.Serializer):
    """A field holding another field: the ids of check-ins, each looked up in the patient's."""

    checkins = CheckInField(many=True, queryset=CheckIn.objects.none())


def test_a_field_holding_another_has_its_child_bound_to_its_own_copy():
    for serializer, name in (
        (EntryBatchSerializer(), "entries"),
        (_AnsweredSerializer(), "checkins"),
    ):
        field = serializer.fields[name]
        child = getattr(field, "child", None) or field.child_relation
        assert child.parent is field and field.parent is serializer
        assert child.root is serializer  # so the child reads this request's context


@pytest.mark.django_db
def test_a_child_field_reads_the_context_of_the_request_it_validates(anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).first()
    context = {"patient": anas_block.patient}
    _AnsweredSerializer()  # the template is built, then copied for the serializer below
    answered = _AnsweredSerializer(data={"checkins": [checkin.pk]}, context=context)
    assert answered.is_valid(), answered.errors
    assert answered.validated_data["checkins"] == [checkin]
