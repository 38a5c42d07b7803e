from django import template

from diary import labels

register = template.Library()


@register.filter
def checkin_label(label: str) -> str:
    """A check-in's label in the page's language (``diary.labels``)."""
    return labels.translated(label)
