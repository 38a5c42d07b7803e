from django.urls import path

from exports import api

urlpatterns = [
    path("patients/<int:pk>/fhir/", api.PatientFhirView.as_view(), name="patient-fhir"),
    path("procedures/<int:pk>/fhir/", api.ProcedureFhirView.as_view(), name="procedure-fhir"),
    path("procedures/<int:pk>/report/", api.ProcedureReportView.as_view(), name="procedure-report"),
    path(
        "patients/<int:pk>/data-export/",
        api.PatientDataExportView.as_view(),
        name="patient-data-export",
    ),
    path("patients/<int:pk>/erase/", api.PatientEraseView.as_view(), name="patient-erase"),
    path("exports/diaries/", api.ClinicDiariesCsvView.as_view(), name="export-diaries"),
]
