"""Staff see how each of their patients is reached, and every message sent to them."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from audit.drf import AuditedViewMixin
from diary.api.permissions import IsClinicStaff
from diary.models import Patient
from notifications import invitations, services
from notifications.api.serializers import ContactPreferenceSerializer, DeliverySerializer
from notifications.models import Delivery


class ClinicPatientMixin(AuditedViewMixin):
    permission_classes = [IsClinicStaff]

    def get_patient(self) -> Patient:
        clinic = self.request.user.membership.clinic
        patient = get_object_or_404(Patient, pk=self.kwargs["patient_id"], clinic=clinic)
        return self.audit_note(patient)


class PatientDeliveryList(ClinicPatientMixin, generics.ListAPIView):
    """Every reminder sent (or tried) to the patient, newest first, with each attempt."""

    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Delivery.objects.filter(patient=self.get_patient()).prefetch_related("attempts_log")


class PatientContactView(ClinicPatientMixin, generics.GenericAPIView):
    """The patient's channel order, and contacts disabled after a permanent failure."""

    serializer_class = ContactPreferenceSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get(self, request, patient_id):
        return Response(self.get_serializer(services.contact_of(self.get_patient())).data)

    @extend_schema(request=ContactPreferenceSerializer)
    def patch(self, request, patient_id):
        contact = self.audit_note(services.contact_of(self.get_patient()))
        serializer = self.get_serializer(contact, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        contact = services.update_contact(contact, **serializer.validated_data)
        return Response(self.get_serializer(contact).data)


class StartLinkRequestSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=invitations.START_LINK_CHANNELS,
        help_text="sms (to the patient's phone) or email (to their e-mail address).",
    )


class StartLinkView(ClinicPatientMixin, generics.GenericAPIView):
    """Send the patient the link to their web check-in ("start your diary"), by SMS or
    e-mail, so they can keep the diary with no app. The answer is the queued message."""

    serializer_class = StartLinkRequestSerializer

    @extend_schema(request=StartLinkRequestSerializer, responses={202: DeliverySerializer})
    def post(self, request, patient_id):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = invitations.send_start_link(
            self.get_patient(), serializer.validated_data["channel"]
        )
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
