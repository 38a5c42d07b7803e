from django.contrib import admin
from django.urls import include, path

from backend.metrics_view import metrics
from diary.api.errors import api_not_found, api_server_error
from web.admin_login import admin_login
from web.unsubscribe import unsubscribe

# Under /api/ a 404 or 500 is JSON like every other answer there, never Django's HTML page.
handler404 = api_not_found
handler500 = api_server_error

urlpatterns = [
    # Before the admin's own URLs, so that its login is throttled per address too.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    # For Prometheus, with a bearer token (backend/metrics_view.py); not part of the API.
    path("metrics", metrics),
    path("api/v1/", include("diary.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/v1/", include("exports.urls")),
    path("dashboard/", include("web.dashboard.urls")),
    # The patient's web check-in: short, as every reminder SMS carries it.
    path("c/", include("web.checkin.urls")),
    # The List-Unsubscribe link of every reminder e-mail (notifications/unsubscribe.py).
    path("email/unsubscribe/<str:token>/", unsubscribe, name="email_unsubscribe"),
]
