"""Filters that read a query-string id as the path does: ASCII digits only.

Why: django-filter's ``NumberFilter`` parses with ``Decimal``, which reads every script's
digits (``?user=`` with U+0661, an Arabic-Indic one, was user 1), fractions and exponents,
and passes a 20-digit number on to the query. An id that is not one is a 400 naming the
filter, as in a path (``IdRouter``).
"""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field

from diary.api.fields import AwareDateTimeField, DateTimeRefused, parse_aware_datetime

# PostgreSQL's bigint: a larger "id" can name no row, and is refused rather than queried.
MAX_ID = 2**63 - 1


class IdField(forms.CharField):
    default_validators = [
        RegexValidator(r"\A[0-9]{1,19}\Z", "Must be an id: ASCII digits 0-9, nothing else.")
    ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)  # " 1" is not an id either
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        if int(value) > MAX_ID:
            raise forms.ValidationError("Must be an id: too large to name any row.")
        return int(value)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    field_class = IdField


class AwareDateTimeFormField(forms.CharField):
    """A date-time as the API takes it in bodies (``parse_aware_datetime``): ISO 8601 with
    a UTC offset PostgreSQL can hold; anything else a 400 naming the filter, not a 500
    from the database (an offset of +16:14 once was)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse_aware_datetime(value)
        except DateTimeRefused as refused:
            # The body's field's words: one wording for one rule.
            message = AwareDateTimeField.default_error_messages[refused.code]
            raise forms.ValidationError(message) from None


@extend_schema_field({"type": "string", "format": "date-time"})
class AwareDateTimeFilter(django_filters.Filter):
    field_class = AwareDateTimeFormField
