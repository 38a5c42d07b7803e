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
