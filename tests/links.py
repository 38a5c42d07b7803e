"""Following a reminder's web check-in link the way the patient's browser does."""

import re
from urllib.parse import urlsplit

from django.test import Client

LINK = re.compile(r"(https?://\S+/c/[A-Za-z0-9_-]{22})")


def link_in(text: str) -> str:
    """The web check-in link in a message."""
    found = LINK.search(text)
    assert found, f"no web check-in link in {text!r}"
    return found.group(1)


def checkin_opened_by(url: str) -> int | None:
    """The id of the check-in the link's landing sends the patient to (None: none)."""
    landing = Client().get(urlsplit(url).path)
    assert landing.status_code in (200, 302), (landing.status_code, landing.content[:300])
    found = re.search(r"/checkins/(\d+)/$", landing.get("Location", ""))
    return int(found.group(1)) if found else None
