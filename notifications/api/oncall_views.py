"""The clinic's rota, who is on call now, its alerting settings, and staff phones' push
tokens. Clinic-scoped: another clinic's shift is "not found". Any staff may read; only
clinic admins change the rota and the settings."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from diary.api.fields import DateTimeRefused, parse_aware_datetime
from diary.api.filters import IdFilter
from diary.api.permissions import IsClinicStaff
from notifications import clinic_settings, oncall
from notifications.api.oncall_serializers import (
    ClinicSettingsSerializer,
    OnCallNowSerializer,
    ShiftSerializer,
    StaffDeviceSerializer,
)
from notifications.models import OnCallShift, ShiftRole, StaffDevice


class IsClinicAdminOrReadOnly(BasePermission):
    """Reads for any staff (IsClinicStaff runs first); writes for clinic admins only."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or request.user.membership.is_admin:
            return True
        self.message = view.admin_only_message
        return False


class ClinicScopedMixin:
    permission_classes = [IsClinicStaff, IsClinicAdminOrReadOnly]

    @property
    def clinic(self):
        return self.request.user.membership.clinic


class ShiftFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=ShiftRole.choices, help_text="primary or backup.")
    user = extend_schema_field({"type": "integer", "description": "Only this user's shifts."})(
        IdFilter(field_name="user_id")
    )
    active_at = django_filters.CharFilter(method="filter_active_at")

    class Meta:
        model = OnCallShift
        fields = ["role", "user", "active_at"]

    @extend_schema_field(
        {
            "type": "string",
            "format": "date-time",
            "description": "Only shifts covering this moment: ISO 8601 with an offset "
            "(Z, or %2B01:00 as + is a space in a query string).",
        }
    )
    def filter_active_at(self, queryset, name, value: str):
        # Parsed as the API's date-time fields are, not by django-filter's IsoDateTimeFilter:
        # that one reads a time without an offset in the server's zone, a guess this API
        # refuses everywhere.
        try:
            moment = parse_aware_datetime(value)
        except DateTimeRefused:
            raise ValidationError(
                {"active_at": ["Must be an ISO 8601 date-time with a UTC offset, e.g. Z."]}
            ) from None
        return queryset.filter(starts_at__lte=moment, ends_at__gt=moment)


class ShiftViewSet(
    ClinicScopedMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The clinic's on-call shifts, earliest first."""

    queryset = OnCallShift.objects.none()
    serializer_class = ShiftSerializer
    filterset_class = ShiftFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    admin_only_message = "Only clinic admins can change on-call shifts."

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, signed out
            return self.queryset
        shifts = OnCallShift.objects.filter(clinic=self.clinic).select_related("user", "clinic")
        return shifts.order_by("starts_at", "id")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["clinic"] = self.clinic
        return context

    def perform_create(self, serializer):
        serializer.instance = oncall.create_shift(clinic=self.clinic, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = oncall.update_shift(serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        oncall.delete_shift(instance)


class OnCallNowView(generics.GenericAPIView):
    """Who is on call now, how each can be paged, and the gaps in the next 24 hours."""

    permission_classes = [IsClinicStaff]
    serializer_class = OnCallNowSerializer

    def get(self, request):
        clinic = request.user.membership.clinic
        now = timezone.now()
        who = oncall.on_call(clinic.pk, now)
        channels = oncall.channels_by_user(who.primary + who.backup)

        def people(users):
            return [
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "name": oncall.display_name(user),
                    "channels": channels[user.pk],
                }
                for user in users
            ]

        body = {
            "primary": people(who.primary),
            "backup": people(who.backup),
            "warnings": oncall.coverage_warnings(clinic, now),
        }
        return Response(self.get_serializer(body).data)


class ClinicSettingsView(ClinicScopedMixin, generics.GenericAPIView):
    """The caller's clinic: how it is paged and the clinical rules in force."""

    serializer_class = ClinicSettingsSerializer
    http_method_names = ["get", "patch", "head", "options"]
    admin_only_message = "Only clinic admins can change the clinic's settings."

    def get(self, request):
        return Response(self._render())

    def patch(self, request):
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        clinic_settings.update_alert_settings(
            self.clinic, by=request.user, **serializer.validated_data
        )
        return Response(self._render())

    def _render(self):
        clinic = self.clinic
        clinic.refresh_from_db()  # a rename in this request is read back
        return self.get_serializer(clinic_settings.settings_of(clinic, timezone.now())).data


class StaffDeviceViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Push tokens of the signed-in staff member's phones, for alert pages."""

    permission_classes = [IsClinicStaff]
    queryset = StaffDevice.objects.none()
    serializer_class = StaffDeviceSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return StaffDevice.objects.filter(user=self.request.user)

    @extend_schema(
        responses={
            201: StaffDeviceSerializer,
            200: OpenApiResponse(StaffDeviceSerializer, "Known token, now this user's."),
        }
    )
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = oncall.register_staff_device(
            user=request.user, **serializer.validated_data
        )
        return Response(
            self.get_serializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def perform_destroy(self, instance):
        oncall.remove_staff_device(instance)
