"""Clinic staff's endpoints: register patients and blocks, read the diary. Clinic-scoped."""

import django_filters
from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import log as audit
from audit.drf import AuditedViewMixin
from audit.models import Action
from diary import lockout, review, services
from diary.api.diary_serializers import ENTRY_PREFETCH, EntrySerializer
from diary.api.filters import IdFilter
from diary.api.permissions import ClinicianWrites, IsClinicStaff, staff_membership
from diary.api.review_serializers import DiagnosticResponseSerializer, RfaReadinessSerializer
from diary.api.serializers import (
    EnrollmentCodeSerializer,
    NewCodeRequestSerializer,
    PatientCreatedSerializer,
    PatientSerializer,
    ProcedureDetailSerializer,
    ProcedureSerializer,
    RevokedAccessSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    WebLinkSerializer,
)
from diary.api.throttles import ScopedThrottle
from diary.models import (
    AccessToken,
    DiaryEntry,
    Patient,
    PatientStatus,
    Procedure,
    ProcedureStatus,
)
from diary.search import patient_search


class TokenView(APIView):
    """Staff log-in for API clients: username and password → bearer token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Wrong login."),
            429: OpenApiResponse(
                description="Too many tries from this address, or this account is locked "
                "after repeated failures (for LOGIN_LOCKOUT_MINUTES)."
            ),
        },
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request, **serializer.validated_data)
        # django-axes marks this (DRF) request when the account is locked, or this failure
        # locked it; its middleware only sees Django's request, so the answer is ours: JSON.
        if getattr(request, "axes_locked_out", False):
            wait = settings.AXES_COOLOFF_TIME.total_seconds()
            raise Throttled(wait=wait, detail=lockout.locked_message())
        if user is None or staff_membership(user) is None:
            raise ValidationError({"password": ["Wrong username or password."]})
        token = services.issue_staff_token(user)
        # authenticate() without login() sends no user_logged_in: the API's sign-in is here.
        audit.record(Action.SIGN_IN, request=request._request, **audit.staff_actor(user))
        return Response({"token": token})


class SignOutView(APIView):
    """The caller's bearer token stops working: a phone signing out, or a staff client."""

    permission_classes = [IsAuthenticated]
    throttle_classes = []

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Signed out: the token no longer works.")},
    )
    def post(self, request):
        if isinstance(request.auth, AccessToken):
            services.sign_out(request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffAPIMixin(AuditedViewMixin):
    permission_classes = [IsClinicStaff]
    # revoke_access's service records the token revocation with the tokens and links.
    audited_by_service = ("revoke_access",)
    http_method_names = ["get", "post", "patch", "head", "options"]

    @property
    def clinic(self):
        return self.request.user.membership.clinic

    def get_queryset(self):
        # The schema generator calls this with nobody signed in.
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.scoped_queryset()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["clinic"] = self.clinic
        return context


class PatientFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PatientStatus.choices)
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Part of the name, the last digits of the phone, or the clinic's number.",
    )

    class Meta:
        model = Patient
        fields = ["status", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(patient_search(value))


class PatientViewSet(
    StaffAPIMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The clinic's patients. Creating one returns its one-time enrollment code."""

    permission_classes = [IsClinicStaff, ClinicianWrites]
    queryset = Patient.objects.none()
    serializer_class = PatientSerializer
    filterset_class = PatientFilter

    def scoped_queryset(self):
        queryset = Patient.objects.filter(clinic=self.clinic).order_by("display_name", "id")
        if self.action == "rfa_readiness":
            queryset = queryset.select_related("clinic")  # its time zone dates the blocks
        return queryset

    @extend_schema(responses={201: PatientCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient, code, expires_at = services.create_patient(
            clinic=self.clinic, **serializer.validated_data
        )
        patient.enrollment_code = code
        patient.enrollment_code_expires_at = expires_at
        return Response(PatientCreatedSerializer(patient).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        services.update_patient(serializer.instance, **serializer.validated_data)

    @extend_schema(request=NewCodeRequestSerializer, responses={201: EnrollmentCodeSerializer})
    @action(detail=True, methods=["post"], url_path="enrollment-code")
    def enrollment_code(self, request, pk=None):
        """A new enrollment code for the patient; the previous one stops working. With
        ``revoke_app``, the phones signed in with an earlier code are signed out too."""
        asked = NewCodeRequestSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        patient = self.get_object()
        if asked.validated_data["revoke_app"]:
            services.revoke_access(patient)
        code, expires_at = services.issue_enrollment_code(patient)
        body = {"enrollment_code": code, "enrollment_code_expires_at": expires_at}
        return Response(EnrollmentCodeSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            201: WebLinkSerializer,
            # No body, but still a 400: the service refuses a link to a diary not active.
            400: OpenApiResponse(description="The patient's diary is paused or ended."),
        },
    )
    @action(detail=True, methods=["post"], url_path="web-link")
    def web_link(self, request, pk=None):
        """A new link to the patient's web check-in, for the handout or to read out; links
        given before keep working."""
        url, expires_at = services.issue_patient_link(self.get_object())
        body = {"url": url, "expires_at": expires_at}
        return Response(WebLinkSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RevokedAccessSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-access")
    def revoke_access(self, request, pk=None):
        """Every web link and app sign-in of the patient stops working (a lost or shared
        phone). Reminders sent later carry new links; pause the patient to stop them."""
        revoked = services.revoke_access(self.get_object())
        return Response(RevokedAccessSerializer({"links_revoked": revoked}).data)

    @extend_schema(responses={200: RfaReadinessSerializer})
    @action(detail=True, methods=["get"], url_path="rfa-readiness")
    def rfa_readiness(self, request, pk=None):
        """Whether the patient is ready for radiofrequency ablation, with each criterion."""
        readiness = review.rfa_readiness(self.get_object())
        return Response(RfaReadinessSerializer(readiness).data)


class ProcedureFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(choices=ProcedureStatus.choices)

    class Meta:
        model = Procedure
        fields = ["patient", "status"]


class ProcedureViewSet(
    StaffAPIMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The clinic's blocks. Creating one plans its check-ins; correcting its time re-plans."""

    permission_classes = [IsClinicStaff, ClinicianWrites]
    queryset = Procedure.objects.none()
    filterset_class = ProcedureFilter

    def scoped_queryset(self):
        queryset = Procedure.objects.filter(patient__clinic=self.clinic)
        if self.action == "diagnostic_response":
            return queryset.select_related("patient__clinic")  # its rules and time zone
        if self.action != "list":
            queryset = queryset.prefetch_related("checkins")
        return queryset

    def get_serializer_class(self):
        return ProcedureSerializer if self.action == "list" else ProcedureDetailSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_procedure(**serializer.validated_data)

    def perform_update(self, serializer):
        services.update_procedure(serializer.instance, **serializer.validated_data)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        # Re-read: the service re-planned check-ins the serializer has not seen.
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: ProcedureDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the block; its open check-ins are cancelled with it."""
        services.cancel_procedure(self.get_object())
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={200: EntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        """The block's diary entries, in the order they were recorded."""
        procedure = self.get_object()
        queryset = (
            DiaryEntry.objects.filter(procedure=procedure)
            .select_related("procedure__patient__clinic")
            .prefetch_related(*ENTRY_PREFETCH)
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(EntrySerializer(page, many=True).data)

    # Not named ``response``: DRF stores the view's result in ``self.response``.
    @extend_schema(responses={200: DiagnosticResponseSerializer})
    @action(detail=True, methods=["get"], url_path="response", url_name="response")
    def diagnostic_response(self, request, pk=None):
        """The block's diagnostic response: relief at each reading, peak, duration, verdict."""
        procedure = self.get_object()
        verdict = review.procedure_response(procedure)
        context = {"procedure": procedure}
        return Response(DiagnosticResponseSerializer(verdict, context=context).data)
