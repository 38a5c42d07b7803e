"""The route a request matched, as the log lines and the audit trail name it.

The route (``c/<str:token>``), never the path: a web check-in's path is the patient's link,
which opens their diary.
"""

import re

# A regex route's anchors: a leading ^ and a trailing $ that is not escaped. A ^ that opens a
# character class ([^/.]) and everything else of the pattern stay.
_ANCHORS = re.compile(r"\A\^|(?<!\\)\$\Z")


def route_of(match) -> str:
    """``match.route`` (a ``ResolverMatch``) without its regex anchors: DRF's routers write
    ``api/v1/me/entries/$``, which reads ``api/v1/me/entries/``."""
    return _ANCHORS.sub("", match.route)
