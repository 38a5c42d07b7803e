from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from diary.api import audit_views, patient_views, staff_admin_views, staff_views
from diary.api.routers import IdRouter

router = IdRouter()
router.register("me/procedures", patient_views.MyProcedureViewSet, basename="my-procedure")
router.register("me/checkins", patient_views.MyCheckInViewSet, basename="my-checkin")
router.register("me/entries", patient_views.MyEntryViewSet, basename="my-entry")
router.register("me/devices", patient_views.MyDeviceViewSet, basename="my-device")
router.register("patients", staff_views.PatientViewSet, basename="patient")
router.register("procedures", staff_views.ProcedureViewSet, basename="procedure")
# A clinic admin's management of its staff (the phones' push tokens are at staff/devices/).
router.register("staff", staff_admin_views.StaffViewSet, basename="staff")
router.register("audit", audit_views.AuditEventViewSet, basename="audit")

urlpatterns = [
    path("auth/token/", staff_views.TokenView.as_view(), name="auth-token"),
    path("auth/sign-out/", staff_views.SignOutView.as_view(), name="auth-sign-out"),
    path("enroll/", patient_views.EnrollView.as_view(), name="enroll"),
    path("me/", patient_views.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
