"""Error tracking with Sentry, only when ``SENTRY_DSN`` is set (off by default).

What may leave for Sentry's servers is cut to what finds the bug: no personal data
(``send_default_pii=False``: no user, cookie or address), no local variables (a frame of
``record_entry`` holds the patient's answers), no request body of an endpoint a patient
writes to (the API's ``/me/`` and enrolment, the web check-in), no Authorization or Cookie
header, and the masking of phone numbers and e-mail addresses the log lines get
(backend/logs.py) over messages and breadcrumbs.
"""

import re

from backend.logs import mask

# Where a patient's words and numbers arrive: the app's endpoints and the web check-in.
PATIENT_PATHS = re.compile(r"^/(api/v1/(me|enroll)/|c/)")
SECRET_HEADERS = {"authorization", "cookie", "x-csrftoken"}


def scrub(event: dict, hint: dict | None = None) -> dict:
    """``before_send``: drop what must not leave, from an error or message event."""
    request = event.get("request") or {}
    url = request.get("url", "")
    path = re.sub(r"^https?://[^/]+", "", url)
    if PATIENT_PATHS.match(path) or not path:  # no URL: whose body it is cannot be told
        request.pop("data", None)
    if PATIENT_PATHS.match(path):
        # The link itself (/c/<token>) opens the patient's diary.
        request["url"] = re.sub(r"/c/[^/]+", "/c/[link]", url)
        request.pop("query_string", None)
    request.pop("cookies", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            headers[name] = "[removed]"
    for entry in (event.get("logentry") or {}, event):
        if isinstance(entry.get("message"), str):
            entry["message"] = mask(entry["message"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        if isinstance(crumb.get("message"), str):
            crumb["message"] = mask(crumb["message"])
    for exception in (event.get("exception") or {}).get("values", []):
        if isinstance(exception.get("value"), str):
            exception["value"] = mask(exception["value"])
    return event


def init(dsn: str, *, environment: str, release: str = "", **options) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        # Bodies of the staff endpoints may help; patients' are dropped in scrub().
        max_request_body_size="small",
        before_send=scrub,
        # Errors only: no performance traces (each would carry URLs and timings of patients).
        traces_sample_rate=0,
        **options,
    )
