from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("diary.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("dashboard/", include("notifications.dashboard.urls")),
]
