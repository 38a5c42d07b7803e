"""The phone app's endpoints: enrol, then read one's own schedule and write one's diary."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.drf import AuditedViewMixin
from diary import services
from diary.api.correction_serializers import EntryCorrectionSerializer
from diary.api.diary_serializers import ENTRY_PREFETCH, CheckInSerializer, EntrySerializer
from diary.api.entry_batch import (
    EntryBatchResultSerializer,
    EntryBatchSerializer,
    client_id_conflict,
    record_batch,
)
from diary.api.errors import Conflict
from diary.api.filters import IdFilter
from diary.api.permissions import IsPatient
from diary.api.serializers import (
    DeviceSerializer,
    EnrollResponseSerializer,
    EnrollSerializer,
    MeSerializer,
    MeUpdateSerializer,
    MyProcedureSerializer,
)
from diary.api.throttles import PatientRateThrottle, ScopedThrottle
from diary.models import (
    CheckIn,
    CheckInStatus,
    Device,
    DiaryEntry,
    Patient,
    Procedure,
    checkin_status_q,
)
from diary.services.corrections import TAKEN_FROM_THE_ORIGINAL


class EnrollView(APIView):
    """Trade the clinic's one-time code for the app's bearer token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "enroll"

    @extend_schema(
        request=EnrollSerializer,
        responses={
            201: EnrollResponseSerializer,
            400: OpenApiResponse(description="`code` is wrong, used or expired."),
            429: OpenApiResponse(description="Too many attempts; wait and retry."),
        },
    )
    def post(self, request):
        serializer = EnrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient, token = services.enroll(serializer.validated_data["code"])
        body = {"token": token, "patient": MeSerializer(patient).data}
        return Response(body, status=status.HTTP_201_CREATED)


class PatientAPIMixin(AuditedViewMixin):
    permission_classes = [IsPatient]
    throttle_classes = [PatientRateThrottle]

    def audit_patient_ids(self, objects):
        return [self.patient.pk]  # the caller's own things, whatever their kind

    @property
    def patient(self):
        return self.request.user

    def get_queryset(self):
        # The schema generator calls this with no patient signed in.
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.scoped_queryset()


class MeView(PatientAPIMixin, APIView):
    """The enrolled patient and their clinic; the patient changes their own check-in
    time, quiet hours, time zone, language and channel order."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(self.audit_note(self.patient)).data)

    @extend_schema(
        request=MeUpdateSerializer,
        responses={
            200: MeSerializer,
            400: OpenApiResponse(description="A field is wrong or not the patient's to set."),
        },
    )
    def patch(self, request):
        """Change any of these; a new time zone, check-in time or quiet hours re-plans the
        check-ins still to come, as a change by the clinic does."""
        serializer = MeUpdateSerializer(
            self.audit_note(self.patient), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        patient = services.update_own_settings(self.patient, **serializer.validated_data)
        return Response(MeSerializer(patient).data)


class MyProcedureViewSet(PatientAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The patient's own blocks, newest first."""

    queryset = Procedure.objects.none()
    serializer_class = MyProcedureSerializer

    def scoped_queryset(self):
        return Procedure.objects.filter(patient=self.patient)


class CheckInFilter(django_filters.FilterSet):
    # By the status the clock gives now, as each check-in shows it (not the stored one).
    status = django_filters.ChoiceFilter(choices=CheckInStatus.choices, method="by_status")
    procedure = IdFilter(field_name="procedure_id")

    def by_status(self, queryset, name, value):
        return queryset.filter(checkin_status_q(value, timezone.now()))

    class Meta:
        model = CheckIn
        fields = ["status", "procedure"]


class MyCheckInViewSet(PatientAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The patient's check-ins, earliest first; filter with ``?status=due``."""

    queryset = CheckIn.objects.none()
    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter

    def scoped_queryset(self):
        return CheckIn.objects.filter(procedure__patient=self.patient)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if isinstance(self.request.user, Patient):
            context["language"] = self.patient.language
        return context


class EntryFilter(django_filters.FilterSet):
    procedure = IdFilter(field_name="procedure_id")

    class Meta:
        model = DiaryEntry
        fields = ["procedure"]


class MyEntryViewSet(
    PatientAPIMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The patient's diary entries. Posting is idempotent by ``client_id``."""

    # record_entry writes each entry's audit row with the entry: one INSERT, one transaction.
    audited_by_service = ("create", "batch", "correct")

    queryset = DiaryEntry.objects.none()
    serializer_class = EntrySerializer
    filterset_class = EntryFilter

    def scoped_queryset(self):
        return (
            DiaryEntry.objects.filter(patient=self.patient)
            .select_related("procedure__patient__clinic")
            .prefetch_related(*ENTRY_PREFETCH)
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if isinstance(self.request.user, Patient):
            context["patient"] = self.patient
        return context

    @extend_schema(
        responses={
            201: EntrySerializer,
            200: OpenApiResponse(EntrySerializer, description="A retry: the stored entry."),
            400: OpenApiResponse(description="A field is missing or wrong; it is named."),
            409: OpenApiResponse(description="`client_id` was used for different content."),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entry, created = services.record_entry(
                patient=self.patient, data=serializer.validated_data
            )
        except services.EntryConflict as conflict:
            raise Conflict(client_id_conflict(conflict)) from None
        # The validated serializer renders the stored entry: a second EntrySerializer
        # would build all its fields again, which costs as much as validating did.
        serializer.instance = entry
        return Response(
            serializer.data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=EntryCorrectionSerializer,
        responses={
            201: EntrySerializer,
            200: OpenApiResponse(EntrySerializer, description="A retry: the stored correction."),
            400: OpenApiResponse(description="A field is missing or wrong; it is named."),
            404: OpenApiResponse(description="Not one of the patient's entries."),
            409: OpenApiResponse(
                description="Too late to correct, corrected already, or `client_id` used "
                "for another entry."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct an entry within ENTRY_CORRECTION_MINUTES of sending it: send its answers
        again as they should be, with a new client_id (procedure, check-in and
        recorded_at are the corrected entry's). The correction takes its place in the
        verdict; the first stays in the record, and an alert it raised is not withdrawn."""
        original = self.get_object()
        taken = [name for name in TAKEN_FROM_THE_ORIGINAL if name in request.data]
        if taken:
            message = "Taken from the entry corrected; leave it out."
            raise ValidationError({name: [message] for name in taken})
        data = {
            **request.data,
            "procedure": original.procedure_id,
            "recorded_at": original.recorded_at.isoformat(),
        }
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        try:
            entry, created = services.correct_entry(
                patient=self.patient, original=original, data=serializer.validated_data
            )
        except services.EntryConflict as conflict:
            raise Conflict(client_id_conflict(conflict)) from None
        except services.CorrectionRefused as refused:
            raise Conflict({refused.field: [refused.message]}) from None
        serializer.instance = entry
        return Response(serializer.data, status=201 if created else 200)

    @extend_schema(
        request=EntryBatchSerializer,
        responses={
            200: OpenApiResponse(
                EntryBatchResultSerializer,
                description="Each entry answered on its own, in the order sent.",
            ),
            400: OpenApiResponse(description="`entries` is not a list of 1 to 50 objects."),
        },
    )
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Entries recorded offline, up to 50, each idempotent by its client_id and
        answered as POST /me/entries/ would answer it; stored in recorded order."""
        serializer = EntryBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sent_at = request.data.get("sent_at") if "sent_at" in serializer.validated_data else None
        results = record_batch(self.patient, serializer.validated_data["entries"], sent_at)
        return Response({"results": results})


class MyDeviceViewSet(
    PatientAPIMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Push tokens of the patient's phones. Posting a known token updates it."""

    queryset = Device.objects.none()
    serializer_class = DeviceSerializer

    def scoped_queryset(self):
        return Device.objects.filter(patient=self.patient).order_by("id")  # stable pages

    @extend_schema(
        responses={201: DeviceSerializer, 200: OpenApiResponse(DeviceSerializer, "Known token.")}
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = services.register_device(
            patient=self.patient, **serializer.validated_data
        )
        return Response(
            self.get_serializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_destroy(self, instance):
        services.remove_device(instance)
