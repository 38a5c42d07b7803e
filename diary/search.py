"""Finding a patient the way staff ask for one: part of the name, the last digits of the
phone number, or the clinic's own patient number."""

import re

from django.db.models import Q

LAST_DIGITS = 3  # fewer digits would match half the clinic


def patient_search(text: str) -> Q:
    """The filter for ``text`` (empty: everyone)."""
    text = text.strip()
    if not text:
        return Q()
    found = Q(display_name__icontains=text) | Q(external_id__iexact=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= LAST_DIGITS and len(digits) >= len(text.replace(" ", "")) - 1:
        found |= Q(phone__endswith=digits)
    return found
