"""Strict JSON fields: a wrong type is an error, not a guess.

DRF by default turns ``"5"`` into 5, ``"yes"`` into True, 7 into ``"7"`` and a
naive datetime into one in the server's zone. For clinical data a guess is worse
than a clear 400, so these accept only the JSON type the schema promises.
"""

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils.serializer_helpers import BindingDict

from diary.models import CheckIn


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictUUIDField(serializers.UUIDField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id is a JSON integer: 1.0 or "1" is not taken for row 1, and 1e400 (a float
    infinity) is refused here rather than overflowing in the query."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class CheckInField(StrictPrimaryKeyRelatedField):
    """A check-in id. The check-in the caller has already read and scoped to the patient
    (``context["checkin"]``: the web check-in's page is one check-in's) is taken as it
    is, not read again: one query less on every web check-in (bench/checkin)."""

    def get_queryset(self):
        # Built when an id is looked up, not with every serializer: most entries name none.
        patient = self.context.get("patient")
        if patient is None:
            return super().get_queryset()
        return CheckIn.objects.filter(procedure__patient=patient)

    def to_internal_value(self, data):
        known = self.context.get("checkin")
        if known is not None and type(data) is int and data == known.pk:
            return known
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset; a time without one is ambiguous and refused."""

    default_error_messages = {
        "invalid": "Must be an ISO 8601 date-time, e.g. 2026-11-22T10:15:00+00:00.",
        "naive": "Must include a UTC offset (e.g. +00:00 or Z); a time without one is ambiguous.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid")
        try:
            return parse_aware_datetime(value)
        except DateTimeRefused as refused:
            self.fail(refused.code)


# PostgreSQL's limit on an offset; no zone is that far from UTC (the widest is +14:00).
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)


class DateTimeRefused(ValueError):
    """``code`` says why: "invalid" (not a date-time this API takes) or "naive"."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_aware_datetime(value: str) -> datetime:
    """An ISO 8601 date-time with a UTC offset, in UTC; raises ``DateTimeRefused``."""
    if not value.isascii():  # the parser reads any Unicode digit, one time in many scripts
        raise DateTimeRefused("invalid")
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed but not a date, e.g. 31 February
        parsed = None
    if parsed is None:
        raise DateTimeRefused("invalid")
    if parsed.tzinfo is None:
        raise DateTimeRefused("naive")
    if abs(parsed.utcoffset()) > MAX_UTC_OFFSET:
        raise DateTimeRefused("invalid")
    try:
        # In UTC, as stored; a time at the edge of the calendar (year 1 with a
        # positive offset) has no UTC equivalent and is refused here, not in a query.
        return parsed.astimezone(UTC)
    except OverflowError:
        raise DateTimeRefused("invalid") from None


class LocalTimeField(serializers.TimeField):
    """A time of day on the patient's own clock (her zone is hers, on the patient).

    Why refuse an offset: DRF parses ``22:00+02:00`` and drops the offset without a word,
    so the hours kept would not be the ones meant. Why ASCII digits only: the parser
    reads any Unicode digit, and a time should have one spelling.
    """

    default_error_messages = {
        "offset": "Must be a local time (HH:MM) without a UTC offset; "
        "the patient's time zone applies."
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            if not value.isascii():
                self.fail("invalid", format="hh:mm[:ss[.uuuuuu]]")
            try:
                offset = time.fromisoformat(value).tzinfo
            except ValueError:
                offset = None  # not ISO 8601: the TimeField says so
            if offset is not None:
                self.fail("offset")
        return super().to_internal_value(value)


class StrictSerializerMixin:
    """Uses the strict fields and refuses keys the endpoint does not take.

    Why refuse unknown keys: a misspelt safety answer (``"bowel_bladder": true``)
    silently dropped would lose a red flag.
    """

    def get_fields(self):
        # A ModelSerializer introspects its model and builds every field on each
        # instantiation. Fields built once per class are copied instead: a shallow copy
        # for a plain field (binding sets its name and parent on the copy alone), a deep
        # one only for a field holding another field, whose child is bound to it.
        cls = type(self)
        template = cls.__dict__.get("_strict_fields_template")
        if template is None:
            template = super().get_fields()
            for name, field in list(template.items()):
                replacement = _strict_replacement(field)
                if replacement is not None:
                    template[name] = replacement
            for field in template.values():
                # Built now, once: a field builds its validators when first asked, which
                # each copy would otherwise do again on every request.
                field.validators  # noqa: B018
            cls._strict_fields_template = template
            cls._strict_fields_bound = {
                name: _bound_once(name, field) for name, field in template.items()
            }
        return {name: _fresh(field) for name, field in cls._strict_fields_bound.items()}

    @cached_property
    def fields(self):
        # As DRF's Serializer.fields, but a copy of a field bound once with the template
        # (_bound_once) only gets its parent: binding is the same for every copy but for
        # that, and is a call per field per request. Any other field is bound as usual.
        fields = BindingDict(self)
        for name, field in self.get_fields().items():
            if field.__dict__.get("_strict_bound_as") == name:
                field.parent = self
                fields.fields[name] = field
            else:
                fields[name] = field
        return fields

    def get_validators(self):
        # A ModelSerializer derives its own validators (unique-together ones) from its
        # model's constraints and its fields, introspecting both on every instantiation.
        # They depend on which fields are writable, read-only with a default, and their
        # sources (a serializer may make one read-only for an update): found once for each
        # such set of fields. The validators take the serializer when called, holding
        # nothing of a request, so instances may share them, as fields share theirs.
        shape = tuple(
            (name, field.source, field.read_only, field.default is empty)
            for name, field in self.fields.items()
        )
        known = type(self).__dict__.get("_strict_validators")
        if known is None:
            known = type(self)._strict_validators = {}
        found = known.get(shape)
        if found is None:
            found = known[shape] = tuple(super().get_validators())
        return list(found)

    def run_validators(self, value):
        # Without validators of its own a serializer's run_validators only copies the
        # data with the read-only defaults added, for nothing to read.
        if self.validators:
            super().run_validators(value)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    errors[key] = ["Unknown field."]
                elif field.read_only:
                    errors[key] = ["This field cannot be set."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# Fields whose bind sets only what depends on their name (field_name, label, source,
# source_attrs; a method field's method_name) and their parent.
_PLAIN_BIND = (serializers.Field.bind, serializers.SerializerMethodField.bind)


def _bound_once(name, field):
    """The template's field, or for a plain one a copy of it bound as ``name`` (with no
    parent yet): what its copies are made from."""
    if _nested(field) or type(field).bind not in _PLAIN_BIND:
        return field
    bound = _fresh(field)
    bound.bind(field_name=name, parent=None)
    bound._strict_bound_as = name
    return bound


def _nested(field) -> bool:
    return (
        isinstance(field, serializers.BaseSerializer)
        or hasattr(field, "child")
        or hasattr(field, "child_relation")
    )


def _fresh(field):
    """An unbound copy of a template field (see ``StrictSerializerMixin.get_fields``)."""
    if _nested(field):
        return copy.deepcopy(field)
    # copy.copy without its __reduce_ex__ round: this runs for every field of every request.
    fresh = object.__new__(type(field))
    fresh.__dict__.update(field.__dict__)
    # The copy's own list and dict, so that one appended to is not the next request's.
    fresh._validators = list(field._validators)
    fresh.error_messages = dict(field.error_messages)
    return fresh


_STRICT = {
    serializers.IntegerField: StrictIntegerField,
    serializers.BooleanField: StrictBooleanField,
    serializers.CharField: StrictCharField,
    serializers.UUIDField: StrictUUIDField,
    serializers.DateTimeField: AwareDateTimeField,
    serializers.TimeField: LocalTimeField,
    serializers.PrimaryKeyRelatedField: StrictPrimaryKeyRelatedField,
}


def _strict_replacement(field):
    """A strict copy of a generated model field, keeping its arguments."""
    strict = _STRICT.get(type(field))
    if strict is None or field.read_only:
        return None
    args, kwargs = field._args, dict(field._kwargs)
    return strict(*args, **kwargs)


class StrictModelSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    pass
