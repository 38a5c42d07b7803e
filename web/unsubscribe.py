"""The link in a reminder e-mail's List-Unsubscribe header: e-mail reminders off.

A mail client's unsubscribe button POSTs ``List-Unsubscribe=One-Click`` to it (RFC 8058)
with no cookie and no CSRF token: the signed token in the address is the authority, and it
can do nothing but this, so the POST is exempt from CSRF. A person who opens the link gets
a page with a button that POSTs the same (no JavaScript); opening it changes nothing, as
mail scanners open every link. A forged or cut token gets a page that says so, never a 500.
"""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from audit import log as audit
from audit.models import Action
from notifications.unsubscribe import REASON, patient_of, unsubscribe_from_email

TEMPLATE = "checkin/unsubscribe.html"


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    patient = patient_of(token)
    if patient is None:
        with translation.override(translation.get_language_from_request(request)):
            return _private(render(request, TEMPLATE, {"state": "unknown"}, status=404))
    audit.act_as_patient(request, patient)
    with translation.override(patient.language):
        if request.method == "POST":
            before = unsubscribe_from_email(patient)
            if before is not None:
                audit.record(
                    Action.CHANGE,
                    "contactpreference",
                    [patient.contact.pk],
                    patient_ids=[patient.pk],
                    changes={"email_disabled_reason": [before, REASON]},
                )
            state = "done"
        else:
            state = "confirm"
        context = {"state": state, "clinic": patient.clinic, "token": token}
        return _private(render(request, TEMPLATE, context))


def _private(response):
    # As the web check-in's pages: the token in the address is the patient's key.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
