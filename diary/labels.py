"""A check-in's label in the patient's language.

Labels are stored as the protocol wrote them (English for the default protocol, whatever a
clinic typed for its own): the default ones are recognised here and said in the active
language from the catalogue; any other label is shown as it is.
"""

import re

from django.utils.translation import gettext, gettext_noop

_PATTERNS = (
    (re.compile(r"^(\d+) min after your block$"), gettext_noop("%(count)s min after your block")),
    (re.compile(r"^(\d+) h after your block$"), gettext_noop("%(count)s h after your block")),
    (re.compile(r"^Day (\d+) after your block$"), gettext_noop("Day %(count)s after your block")),
)
# The follow-up check-in's label (diary.triaging), asked after numbness inside the window.
FOLLOWUP = gettext_noop("Is your leg still numb or weak?")


def translated(label: str) -> str:
    """``label`` in the active language, when it is one of the default protocol's."""
    if label == FOLLOWUP:
        return gettext(FOLLOWUP)
    for pattern, words in _PATTERNS:
        found = pattern.match(label)
        if found:
            return gettext(words) % {"count": found.group(1)}
    return label
