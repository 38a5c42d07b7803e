"""Who may see a dashboard page, and how every page is answered.

Signed-in clinic staff only, each page in their clinic's time zone; anyone else's object, a
user without a clinic, or a role the page needs and the user lacks, gets 404, as in the API.
Every answer says no-store (``never_cache``): nothing with patient data may stay in a
browser's cache after sign-out.
"""

import time
from contextlib import nullcontext
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audit import log as audit
from audit.models import Action
from diary.api.permissions import staff_membership

# Signed out after this long without a request; the alert board's polling counts as use
# (a board left open on the ward must keep showing new alerts), up to the session's
# absolute age, SESSION_COOKIE_AGE (a shift, 8 h by default).
IDLE_SECONDS = getattr(settings, "DASHBOARD_IDLE_SECONDS", 30 * 60)
SIGNED_IN_AT = "dashboard_signed_in_at"
POLL_SECONDS = 5


def start_session(request) -> None:
    request.session.set_expiry(IDLE_SECONDS)
    request.session[SIGNED_IN_AT] = time.time()


def session_too_old(request) -> bool:
    signed_in_at = request.session.setdefault(SIGNED_IN_AT, time.time())
    return time.time() - signed_in_at > settings.SESSION_COOKIE_AGE


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def to_login(request):
    if is_htmx(request):
        # An XHR would follow a redirect and swap the login form into the board: send
        # the whole page to the login instead, so stale alerts do not stay on screen.
        login = f"{resolve_url(settings.LOGIN_URL)}?next={reverse('dashboard:alert_board')}"
        return HttpResponse(status=401, headers={"HX-Redirect": login})
    return redirect_to_login(request.get_full_path())


def staff_only(view=None, *, role: str | None = None):
    """Signed-in clinic staff only; the view gets their clinic. Anyone else's object, or
    a user without a clinic, gets 404, as in the API. Times show in the clinic's zone.
    ``role`` ("clinician", "oncall" or "admin"): only staff with that role; others get 403.
    """
    if view is None:
        return lambda real_view: staff_only(real_view, role=role)

    @never_cache
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return to_login(request)
        membership = staff_membership(request.user)
        if membership is None:
            return not_found(request)
        if role is not None and not getattr(membership, f"is_{role}"):
            return render(request, "dashboard/forbidden.html", {"role": role}, status=403)
        if session_too_old(request):
            logout(request)
            return to_login(request)
        request.session.set_expiry(IDLE_SECONDS)  # marks the session saved: idle time restarts
        try:
            with timezone.override(ZoneInfo(membership.clinic.timezone)), _write_scope(request):
                response = view(request, membership.clinic, *args, **kwargs)
                if response.status_code < 400:
                    # In the write's transaction: what the page read or changed, by whom.
                    audit.record_noted(request, _audit_action(request))
                return response
        except Http404:
            return not_found(request)

    return wrapped


def _write_scope(request):
    """A POST's writes and its audit row commit together (a read needs no transaction)."""
    return transaction.atomic() if request.method == "POST" else nullcontext()


def _audit_action(request) -> str:
    return Action.READ if request.method in ("GET", "HEAD") else Action.CHANGE


def not_found(request):
    return render(request, "dashboard/not_found.html", status=404)


def page(request, template, context, status=200):
    context = {"idle_refresh": IDLE_SECONDS + 5, "poll_seconds": POLL_SECONDS, **context}
    return render(request, template, context, status=status)
