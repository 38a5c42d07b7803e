"""The Django admin's login, throttled per address like every other login.

The same scope (``login``, ``THROTTLE_LOGIN``) and so the same budget as the API's token
view and the dashboard's form: a guesser gains nothing by switching doors. Only a POST (a
guess) counts; the form itself can be loaded freely.
"""

from django.contrib import admin
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from diary.api.throttles import ScopedThrottle


class _LoginScope:
    throttle_scope = "login"


@sensitive_post_parameters()
@csrf_protect
@never_cache
def admin_login(request, extra_context=None):
    if request.method == "POST" and not ScopedThrottle().allow_request(request, _LoginScope):
        message = "Too many sign-in attempts. Wait a minute, then try again."
        context = {"locked": message, "heading": "Too many sign-in attempts"}
        return render(request, "locked.html", context, status=429)
    return admin.site.login(request, extra_context)
