"""Serializers copy their fields from a template built once per class: each instance's
fields are its own, bound to it alone, and nothing a request does reaches the next."""

import pytest
from rest_framework import serializers

from diary.api.diary_serializers import EntrySerializer
from diary.api.entry_batch import EntryBatchSerializer
from diary.api.fields import (
    CheckInField,
    StrictModelSerializer,
    StrictSerializerMixin,
    _fresh,
)
from diary.models import CheckIn, Protocol, ProtocolStep
from notifications.api.oncall_serializers import ShiftSerializer


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


class _StepKeySerializer(StrictModelSerializer):
    """A unique-together rule over two fields, one of them read-only for an update."""

    class Meta:
        model = ProtocolStep
        fields = ["protocol", "key"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["protocol"].read_only = True


@pytest.mark.django_db
def test_a_unique_together_rule_is_found_once_per_shape_and_still_refuses_a_repeat(monkeypatch):
    protocol = Protocol.objects.create(name="North's own")
    step = ProtocolStep.objects.create(
        protocol=protocol,
        key="h1",
        kind="after_block",
        offset_minutes=60,
        window_minutes=30,
        opens_before_minutes=0,
        label="1 h",
    )
    found = []
    real = serializers.ModelSerializer.get_unique_together_validators
    monkeypatch.setattr(
        serializers.ModelSerializer,
        "get_unique_together_validators",
        lambda self: found.append(type(self)) or real(self),
    )
    for _ in range(2):
        repeat = _StepKeySerializer(data={"protocol": protocol.pk, "key": "h1"})
        assert not repeat.is_valid()
        assert repeat.errors == {
            "non_field_errors": ["The fields protocol, key must make a unique set."]
        }
    assert found == [_StepKeySerializer]
    # An update cannot move the step: without the protocol writable there is no such rule.
    for _ in range(2):
        update = _StepKeySerializer(step, data={"key": "h1"}, partial=True)
        assert update.is_valid(), update.errors
        assert update.validators == []
    assert found == [_StepKeySerializer] * 2


def _state(field) -> dict:
    return {k: v for k, v in vars(field).items() if k not in ("parent", "_strict_bound_as")}


@pytest.mark.parametrize("serializer_class", [EntrySerializer, ShiftSerializer])
def test_a_field_bound_once_with_the_template_is_the_field_drf_would_bind(serializer_class):
    ours, theirs = serializer_class(), serializer_class()
    ours.fields  # noqa: B018  (the template is built)
    template = serializer_class._strict_fields_template
    assert list(ours.fields) == list(template)
    for name, field in ours.fields.items():
        other = _fresh(template[name])  # an unbound copy, bound by DRF's own bind
        other.bind(field_name=name, parent=theirs)
        assert type(field) is type(other)
        assert field.parent is ours and other.parent is theirs
        if not hasattr(field, "child") and not hasattr(field, "child_relation"):
            assert _state(field) == _state(other), name
