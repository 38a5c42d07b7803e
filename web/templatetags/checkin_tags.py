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
