from django.urls import path

from notifications.api import views

urlpatterns = [
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
]
