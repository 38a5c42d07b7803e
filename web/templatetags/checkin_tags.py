from django import template
from django.utils import formats, timezone
from django.utils.translation import pgettext

from diary import labels

register = template.Library()


@register.filter
def checkin_label(label: str) -> str:
    """A check-in's label in the page's language (``diary.labels``)."""
    return labels.translated(label)


@register.filter
def when(value) -> str:
    """A moment as the patient reads it: weekday, day, month and time, in the page's
    language and the patient's time zone (activated by the view)."""
    # Translators: a PHP-style date format (Django's "date" filter); backslash escapes text.
    return formats.date_format(timezone.localtime(value), pgettext("date format", "l j F, H:i"))


@register.simple_tag
def radio_choices(field) -> list[dict]:
    """A radio field's choices, ready to write as ``<input type="radio">`` in the template.
    Why not ``{{ radio.tag }}``: Django renders each through its form-renderer templates,
    and the check-in's 41 radios made that a quarter of the page's server time
    (bench/checkin)."""
    value = field.value()
    value = "" if value is None else str(value)
    return [
        {
            "id": f"{field.auto_id}_{index}",
            "value": str(choice),
            "label": label,
            "checked": str(choice) == value,
        }
        for index, (choice, label) in enumerate(field.field.choices)
    ]
