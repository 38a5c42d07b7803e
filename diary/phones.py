"""Phone numbers as people type them, stored in E.164 (what SMS providers need).

Parsed with ``phonenumbers`` (Google's libphonenumber): a number written the local way
("07700 900123") is read in the clinic's country, taken from the clinic's own number.
"""

import phonenumbers


class PhoneError(ValueError):
    pass


def region_of(clinic_phone: str) -> str | None:
    """The country (e.g. "GB") of the clinic's own number, for numbers typed without +."""
    if not clinic_phone:
        return None
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(clinic_phone))
    except phonenumbers.NumberParseException:
        return None


def normalise(typed: str, region: str | None) -> str:
    """``typed`` in E.164 (``""`` stays ``""``), or ``PhoneError`` saying what is wrong."""
    typed = typed.strip()
    if not typed:
        return ""
    try:
        number = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException as error:
        if region is None and not typed.startswith("+"):
            raise PhoneError("Start with + and the country code, e.g. +447700900123.") from error
        raise PhoneError("This is not a phone number.") from error
    if not phonenumbers.is_valid_number(number):
        raise PhoneError("This number does not exist; check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
