"""A clinic admin's search of the audit trail, and its CSV export (itself recorded)."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from audit import log as audit
from audit import search
from audit.drf import AuditedViewMixin
from audit.models import Action, AuditEvent
from diary.api.filters import AwareDateTimeFilter, IdFilter
from diary.api.permissions import IsClinicAdmin, IsClinicStaff


class AuditFilter(django_filters.FilterSet):
    patient = IdFilter(method="by_patient", help_text="A patient's id.")
    staff = IdFilter(field_name="staff_user_id", help_text="A staff user's id.")
    action = django_filters.ChoiceFilter(choices=Action.choices)
    since = AwareDateTimeFilter(field_name="at", lookup_expr="gte")
    until = AwareDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["patient", "staff", "action", "since", "until"]

    def by_patient(self, queryset, name, value):
        return queryset.for_patient(value)


class AuditAdminOnly(IsClinicAdmin):
    message = "Only clinic admins read the audit trail."


class AuditEventSerializer(serializers.ModelSerializer):
    patient_ids = serializers.ListField(
        child=serializers.IntegerField(), source="patient_id_list", read_only=True
    )
    object_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    changes = serializers.DictField(read_only=True, help_text="Field: [old, new].")

    class Meta:
        model = AuditEvent
        fields = list(search.CSV_COLUMNS)
        read_only_fields = fields


class AuditEventViewSet(AuditedViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who read or changed what of the clinic's records, newest first. Filter by
    ``patient``, ``staff`` (a user id), ``action``, ``since`` and ``until``."""

    permission_classes = [IsClinicStaff, AuditAdminOnly]
    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    filterset_class = AuditFilter
    # The export's row is its own ("export", with the filters), written below.
    audited_by_service = ("export",)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return search.of_clinic(self.request.user.membership.clinic_id)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One row per event.")
        }
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The same search as a CSV file (at most 50,000 rows; narrow it with the filters)."""
        events = self.filter_queryset(self.get_queryset())
        body = search.as_csv(events)
        filters = {k: v for k, v in request.query_params.items() if k in AuditFilter.base_filters}
        audit.record(
            Action.EXPORT, "auditevent", changes={"filters": filters}, request=request._request
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        return response
