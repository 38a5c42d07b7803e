from django.urls import path

from diary.api.routers import IdRouter
from notifications.api import alert_views, health_views, oncall_views, receipt_views, views

router = IdRouter()
router.register("alerts", alert_views.AlertViewSet, basename="alert")
router.register("oncall/shifts", oncall_views.ShiftViewSet, basename="oncall-shift")
router.register("staff/devices", oncall_views.StaffDeviceViewSet, basename="staff-device")

urlpatterns = [
    path("health/", health_views.HealthView.as_view(), name="health"),
    path("channels/twilio/status/", receipt_views.twilio_status, name="twilio-status"),
    path(
        "patients/<int:patient_id>/deliveries/",
        views.PatientDeliveryList.as_view(),
        name="patient-deliveries",
    ),
    path(
        "patients/<int:patient_id>/contact/",
        views.PatientContactView.as_view(),
        name="patient-contact",
    ),
    path(
        "patients/<int:patient_id>/start-link/",
        views.StartLinkView.as_view(),
        name="patient-start-link",
    ),
    path("oncall/", oncall_views.OnCallNowView.as_view(), name="oncall-now"),
    path("clinic/", oncall_views.ClinicSettingsView.as_view(), name="clinic-settings"),
    *router.urls,
]
