"""Serializers copy their fields from a template built once per class: each instance's
fields are its own, bound to it alone, and nothing a request does reaches the next."""

from diary.api.diary_serializers import EntrySerializer


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
