from rest_framework import serializers

from diary.api.fields import StrictSerializerMixin
from diary.api.permissions import staff_membership
from notifications.models import Channel, ContactPreference, Delivery, DeliveryAttempt
from notifications.routing import clean_order


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "started_at",
            "finished_at",
            "outcome",
            "status_code",
            "provider_response",
            "error",
        ]
        extra_kwargs = {
            "started_at": {"help_text": "When the provider was called."},
            "finished_at": {"help_text": "When it answered, or the call failed."},
            "outcome": {"help_text": "sent, retry (temporary failure) or failed."},
            "status_code": {"help_text": "The provider's HTTP status, if any."},
            "provider_response": {
                "help_text": "The provider's answer, cut to 2,000 characters. For the "
                "clinic's webhook, its first 200 characters, to clinic admins only: empty "
                "for other staff, who see the status code."
            },
            "error": {"help_text": "Why it failed, in words."},
        }


class DeliverySerializer(serializers.ModelSerializer):
    attempts_log = DeliveryAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "checkin",
            "purpose",
            "channel",
            "platform",
            "address",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "provider_id",
            "created_at",
            "sent_at",
            "attempts_log",
        ]
        extra_kwargs = {
            "checkin": {"help_text": "The check-in this reminds of."},
            "purpose": {"help_text": "checkin_reminder or checkin_rereminder."},
            "channel": {"help_text": "push, sms or email."},
            "status": {"help_text": "pending, sending, sent, failed or cancelled."},
            "attempts": {"help_text": "How many times it was tried."},
            "next_attempt_at": {"help_text": "When it is (or was) to be sent."},
            "last_error": {"help_text": "The last failure, in words."},
            "provider_id": {"help_text": "The provider's id for the message."},
            "sent_at": {"help_text": "When the provider accepted it."},
        }

    def to_representation(self, delivery):
        data = super().to_representation(delivery)
        if delivery.channel == Channel.WEBHOOK and not _is_clinic_admin(self.context):
            # The answer came from a host the clinic named and may be anything (a page of
            # its network, had the URL checks been passed): only an admin, who can change
            # the URL, reads it. Others see the status code, which says whether it worked.
            for attempt in data["attempts_log"]:
                attempt["provider_response"] = ""
        return data


def _is_clinic_admin(context) -> bool:
    request = context.get("request")
    membership = staff_membership(request.user) if request is not None else None
    return bool(membership and membership.is_admin)


class ContactPreferenceSerializer(StrictSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = ContactPreference
        fields = [
            "channel_order",
            "sms_disabled_at",
            "sms_disabled_reason",
            "email_disabled_at",
            "email_disabled_reason",
        ]
        read_only_fields = ["sms_disabled_reason", "email_disabled_reason"]
        extra_kwargs = {
            "sms_disabled_at": {
                "help_text": "Set when the number was rejected; send null to use it again."
            },
            "email_disabled_at": {
                "help_text": "Set when the address bounced; send null to use it again."
            },
        }

    def validate_channel_order(self, value):
        try:
            return clean_order(value)
        except ValueError as wrong:
            raise serializers.ValidationError(str(wrong)) from None

    def validate_sms_disabled_at(self, value):
        return _only_clear(value)

    def validate_email_disabled_at(self, value):
        return _only_clear(value)


def _only_clear(value):
    if value is not None:
        raise serializers.ValidationError("Only null can be sent here (to use it again).")
    return value
