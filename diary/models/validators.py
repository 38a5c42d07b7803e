"""The validators of the clinical core's fields: phone numbers, emergency numbers, time zones."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

E164 = RegexValidator(
    r"^\+[1-9][0-9]{7,14}$", "Enter a phone number in E.164 form, e.g. +447700900123."
)
EMERGENCY_NUMBER = RegexValidator(r"^[0-9]{2,6}$", "Digits only, e.g. 999, 112 or 911.")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone, e.g. Europe/London.")
