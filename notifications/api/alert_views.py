"""On-call staff's alerts: list, read, acknowledge, resolve. Only the clinic's own."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.drf import AuditedViewMixin
from diary.api.fields import StrictSerializerMixin
from diary.api.filters import IdFilter
from diary.api.permissions import IsClinicStaff
from diary.models import Severity
from notifications import alerts
from notifications.api.alert_serializers import (
    AlertDetailSerializer,
    AlertSerializer,
    ResolveSerializer,
    alerts_for_api,
)
from notifications.models import Alert, AlertState


class AlertFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=AlertState.choices)
    severity = django_filters.ChoiceFilter(
        choices=[(s, s) for s in (Severity.URGENT, Severity.EMERGENCY)]
    )
    patient = IdFilter(field_name="patient_id")
    procedure = IdFilter(field_name="procedure_id")

    class Meta:
        model = Alert
        fields = ["state", "severity", "patient", "procedure"]


# Named for what it is, not for how strictly it reads: the schema shows "ResolveRequest".
@extend_schema_serializer(component_name="Resolve")
class StrictResolveSerializer(StrictSerializerMixin, ResolveSerializer):
    pass


class AlertViewSet(
    AuditedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The clinic's alerts, newest first; filter with ``?state=open&severity=emergency``."""

    permission_classes = [IsClinicStaff]
    queryset = Alert.objects.none()
    filterset_class = AlertFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return alerts_for_api(
            Alert.objects.filter(clinic_id=self.request.user.membership.clinic_id)
        )

    def get_serializer_class(self):
        return AlertSerializer if self.action == "list" else AlertDetailSerializer

    @extend_schema(request=None, responses={200: AlertDetailSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Take the alert: escalation stops and no further page is sent. Safe to repeat."""
        alerts.acknowledge_alert(self.get_object(), request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=StrictResolveSerializer, responses={200: AlertDetailSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Close the alert with a note of what was done (required)."""
        alert = self.get_object()
        body = StrictResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alerts.resolve_alert(alert, request.user, body.validated_data["note"])
        return Response(self.get_serializer(self.get_object()).data)
