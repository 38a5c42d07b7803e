"""Staff's exports through the API: FHIR bundles per patient and per block, and the
clinic's diaries as CSV. Clinic-scoped (anyone else's id is 404); each one audited."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from audit.drf import AuditedViewMixin
from audit.models import Action
from diary.api.permissions import IsClinicAdmin, IsClinicStaff
from diary.models import Patient, Procedure
from exports import diaries, gather, report, rights

FHIR_JSON = "application/fhir+json"
BUNDLE = OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Bundle (collection).")


class ExportMixin(AuditedViewMixin):
    permission_classes = [IsClinicStaff]

    def audit_action(self, request, action) -> str:
        return Action.EXPORT

    @property
    def clinic(self):
        return self.request.user.membership.clinic


class PatientFhirView(ExportMixin, generics.GenericAPIView):
    """The patient's whole record as a FHIR R4 Bundle: Patient, Procedures, an Observation
    per reading, QuestionnaireResponses of the safety answers, Flags for alerts."""

    queryset = Patient.objects.none()

    @extend_schema(responses={(200, FHIR_JSON): BUNDLE})
    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk, clinic=self.clinic)
        self.audit_note(patient)
        return Response(gather.patient_bundle(patient), content_type=FHIR_JSON)


class ProcedureFhirView(ExportMixin, generics.GenericAPIView):
    """One block's record as a FHIR R4 Bundle (its patient, the block, its readings)."""

    queryset = Procedure.objects.none()

    @extend_schema(responses={(200, FHIR_JSON): BUNDLE})
    def get(self, request, pk):
        block = get_object_or_404(
            Procedure.objects.select_related("patient", "proceduralist"),
            pk=pk,
            patient__clinic=self.clinic,
        )
        self.audit_note(block)
        return Response(gather.patient_bundle(block.patient, [block]), content_type=FHIR_JSON)


class DiaryExportQuery(serializers.Serializer):
    identified = serializers.BooleanField(
        default=False,
        help_text="true: with names, clinic numbers, notes and real dates (the clinic's own "
        "audit); false (default): de-identified, for research.",
    )


class ClinicDiariesCsvView(ExportMixin, generics.GenericAPIView):
    """Every current reading of the clinic's blocks, one row each, with the block and its
    verdict, as CSV. De-identified unless ``identified=true``: no names, contacts or free
    text, keyed pseudonyms, and dates shifted per patient (intervals stay exact)."""

    queryset = Patient.objects.none()
    blank_query_parameters = ("identified",)  # an empty ?identified= is the default

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "identified",
                bool,
                description="Default false (also when empty).",
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row a reading.")
        },
    )
    def get(self, request):
        # ``?identified=`` is the default, as an empty filter is elsewhere in the API.
        given = {k: v for k, v in request.query_params.items() if v != ""}
        asked = DiaryExportQuery(data=given)
        asked.is_valid(raise_exception=True)
        identified = asked.validated_data["identified"]
        body = diaries.as_csv(self.clinic, identified=identified)
        self.audit_changes = {"identified": identified}
        self.audit_objects.extend(Patient.objects.filter(clinic=self.clinic).only("id"))
        name = "diaries.csv" if identified else "diaries-deidentified.csv"
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ProcedureReportView(ExportMixin, generics.GenericAPIView):
    """The block's printable report as PDF: details, baseline, every reading with time
    since the block and relief, the verdict and its reasons with the chart, safety findings
    and alerts with their handling, and RFA readiness with the payer's points."""

    queryset = Procedure.objects.none()

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="A4 PDF.")
        }
    )
    def get(self, request, pk):
        block = get_object_or_404(
            Procedure.objects.select_related("patient__clinic", "proceduralist"),
            pk=pk,
            patient__clinic=self.clinic,
        )
        self.audit_note(block)
        return pdf_response(block)


def pdf_response(block) -> HttpResponse:
    response = HttpResponse(report.render_pdf(block), content_type="application/pdf")
    name = f"block-{block.pk}-{block.performed_at:%Y%m%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class RecordAdminOnly(IsClinicAdmin):
    message = "Only clinic admins export or erase a patient's whole record."


class PatientDataExportView(ExportMixin, generics.GenericAPIView):
    """Everything held about the patient (their right of access): the FHIR bundle, every
    entry as stored (superseded ones too), every message sent, and the record's audit
    history."""

    permission_classes = [IsClinicStaff, RecordAdminOnly]
    queryset = Patient.objects.none()

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request, pk):
        patient = get_object_or_404(Patient, pk=pk, clinic=self.clinic)
        self.audit_note(patient)
        return Response(rights.everything(patient))


class EraseRequestSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(help_text="Must be true: erasure cannot be undone.")

    def validate_confirm(self, value):
        if value is not True:
            raise serializers.ValidationError("Must be true: erasure cannot be undone.")
        return value


class ErasedSerializer(serializers.Serializer):
    erased = serializers.DictField(child=serializers.IntegerField(), help_text="What, how many.")


class PatientEraseView(ExportMixin, generics.GenericAPIView):
    """Erase the patient: names, contacts, the clinic's number, tokens, links, push tokens
    and free text go; readings stay, de-identified; the diary ends. The erasure is an
    audit row of its own ("delete", with what was removed)."""

    permission_classes = [IsClinicStaff, RecordAdminOnly]
    queryset = Patient.objects.none()
    serializer_class = EraseRequestSerializer
    audited_by_view = True

    @extend_schema(request=EraseRequestSerializer, responses={200: ErasedSerializer})
    def post(self, request, pk):
        asked = EraseRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        patient = get_object_or_404(Patient, pk=pk, clinic=self.clinic)
        removed = rights.erase(patient)
        return Response(ErasedSerializer({"erased": removed}).data, status=status.HTTP_200_OK)
