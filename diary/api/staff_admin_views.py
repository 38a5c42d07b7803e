"""A clinic admin manages the clinic's staff: list, invite, change, switch off and on.

Clinic admins only (other staff get 403, patients 404); another clinic's colleague is "not
found". Each write calls one verb of ``diary.services.staff``, which holds the rules: one
address one account, and never a clinic without an active admin.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from diary import services
from diary.api.permissions import IsClinicAdmin, IsClinicStaff
from diary.api.staff_admin_serializers import (
    StaffChangeSerializer,
    StaffInviteSerializer,
    StaffMemberSerializer,
    WorksAgainSerializer,
)
from diary.models import StaffMembership
from diary.services.staff import ROLES

REFUSED = OpenApiResponse(description="The field named says why, e.g. the last active admin.")


class StaffAdminOnly(IsClinicAdmin):
    message = "Only clinic admins manage staff."


class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The clinic's staff, active first, then by name."""

    permission_classes = [IsClinicStaff, StaffAdminOnly]
    queryset = StaffMembership.objects.none()
    serializer_class = StaffMemberSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator, signed out
            return self.queryset
        return (
            StaffMembership.objects.filter(clinic_id=self.request.user.membership.clinic_id)
            .select_related("user", "clinic")
            .order_by("-user__is_active", "user__first_name", "user__last_name", "id")
        )

    @extend_schema(
        request=StaffInviteSerializer, responses={201: StaffMemberSerializer, 400: REFUSED}
    )
    def create(self, request):
        """Invite a colleague: they are e-mailed a link to choose their password, which
        expires (PASSWORD_RESET_TIMEOUT, 3 days by default) and works once."""
        body = StaffInviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        roles = [role for role in ROLES if data[role]]
        user, _ = services.invite_staff(
            request.user.membership.clinic,
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            roles=roles,
            by=request.user,
        )
        member = self.get_queryset().get(user=user)
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=StaffChangeSerializer, responses={200: StaffMemberSerializer, 400: REFUSED}
    )
    def partial_update(self, request, pk=None):
        """Change their name, e-mail, phone or roles; only the keys sent change. An admin cannot
        take away the clinic's last active admin, themselves included."""
        member = self.get_object()
        body = StaffChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_staff(member, by=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: StaffMemberSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Switch their account off: no sign-in, their API tokens revoked, their on-call
        shifts no longer count. Not one's own account, nor the last active admin's."""
        services.deactivate_staff(self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: StaffMemberSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Switch their account back on: their password works again, old tokens do not."""
        services.reactivate_staff(self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=None, responses={200: StaffMemberSerializer, 400: REFUSED})
    @action(detail=True, methods=["post"], url_path="resend-invitation")
    def resend_invitation(self, request, pk=None):
        """E-mail them a fresh set-password link (an invitation that expired, or a
        forgotten password)."""
        services.resend_invitation(self.get_object(), by=request.user)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        request=WorksAgainSerializer, responses={200: StaffMemberSerializer, 400: REFUSED}
    )
    @action(detail=True, methods=["post"], url_path="works-again")
    def works_again(self, request, pk=None):
        """Their phone or e-mail, switched off after a page failed for good, works again
        (STOP answered by mistake, a full mailbox): it is paged again. Harmless twice."""
        member = self.get_object()
        body = WorksAgainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.restore_staff_address(member, body.validated_data["address"], by=request.user)
        return Response(self.get_serializer(self.get_object()).data)
