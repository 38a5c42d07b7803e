"""What a locked-out login sees (``AXES_LOCKOUT_CALLABLE``): a page, or JSON under /api/.

The API's token view answers its own lockout (a DRF 429); this is the answer for the
dashboard's and the admin's forms, and for anything under /api/ that reaches axes's
middleware, which must never get HTML.
"""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from diary.lockout import locked_message
from web.dashboard.access import IDLE_SECONDS
from web.dashboard.views import StaffLoginForm

LOCKED_STATUS = 429


def lockout_response(request, original_response=None, credentials=None):
    message = locked_message()
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=LOCKED_STATUS)
    elif request.path.startswith(reverse("dashboard:login")):
        context = {
            "form": StaffLoginForm(request),
            "locked": message,
            "idle_minutes": IDLE_SECONDS // 60,
            "next": request.POST.get("next", ""),
        }
        response = render(request, "dashboard/login.html", context, status=LOCKED_STATUS)
    else:
        response = render(request, "locked.html", {"locked": message}, status=LOCKED_STATUS)
    response["Retry-After"] = retry_after
    return response
