"""A clinic's staff as its admin manages them: who they are, their roles, their account."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.api.fields import StrictSerializerMixin
from diary.models import StaffMembership
from diary.services.staff import NAME_MAX_LENGTH

ROLE_HELP = {
    "is_clinician": "Registers patients and blocks.",
    "is_oncall": "Can be put on the rota and paged; acknowledges and resolves alerts.",
    "is_admin": "Clinic admin: manages staff, the rota and the clinic's settings.",
}

FIRST_NAME = "Their first name, as colleagues and pages show it."
LAST_NAME = "Their last name; may be blank."


SWITCHED_OFF_AT = (
    "When a page to their {what} failed for good and it stopped being paged; null while it "
    "works. A new {what}, or works-again, switches it back on."
)


class StaffMemberSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The colleague's id in this API.")
    user = serializers.IntegerField(
        source="user_id", read_only=True, help_text="Their user id, as on-call shifts name them."
    )
    username = serializers.CharField(source="user.username", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    # Blank for a colleague made without one (the first admin, from the command line).
    email = serializers.EmailField(source="user.email", read_only=True, allow_blank=True)
    is_active = serializers.BooleanField(
        source="user.is_active", read_only=True, help_text="false once deactivated."
    )
    has_password = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(
        source="user.last_login",
        read_only=True,
        allow_null=True,
        help_text="null until they first sign in.",
    )

    class Meta:
        model = StaffMembership
        fields = [
            "id",
            "user",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_clinician",
            "is_oncall",
            "is_admin",
            "is_active",
            "has_password",
            "last_login",
            "phone",
            "phone_disabled_at",
            "phone_disabled_reason",
            "email_disabled_at",
            "email_disabled_reason",
        ]
        read_only_fields = fields
        extra_kwargs = {
            **{name: {"help_text": text} for name, text in ROLE_HELP.items()},
            "phone": {"help_text": "Their mobile for SMS pages, E.164; '' for none."},
            "phone_disabled_at": {"help_text": SWITCHED_OFF_AT.format(what="phone")},
            "phone_disabled_reason": {"help_text": "Why the phone was switched off."},
            "email_disabled_at": {"help_text": SWITCHED_OFF_AT.format(what="e-mail")},
            "email_disabled_reason": {"help_text": "Why the e-mail was switched off."},
        }

    @extend_schema_field(
        serializers.BooleanField(
            help_text="false while an invitation is pending: they have not chosen a password."
        )
    )
    def get_has_password(self, member) -> bool:
        return member.user.has_usable_password()


class StaffInviteSerializer(StrictSerializerMixin, serializers.Serializer):
    email = serializers.EmailField(
        max_length=254,
        help_text="The set-password link is sent here; one account per address, any case.",
    )
    first_name = serializers.CharField(max_length=NAME_MAX_LENGTH, help_text=FIRST_NAME)
    last_name = serializers.CharField(
        max_length=NAME_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=LAST_NAME,
    )
    is_clinician = serializers.BooleanField(default=False, help_text=ROLE_HELP["is_clinician"])
    is_oncall = serializers.BooleanField(default=False, help_text=ROLE_HELP["is_oncall"])
    is_admin = serializers.BooleanField(default=False, help_text=ROLE_HELP["is_admin"])


class StaffChangeSerializer(StrictSerializerMixin, serializers.Serializer):
    """Only the keys sent are changed."""

    email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Their new address, not another account's. A pending invitee is sent a new "
        "set-password link there (the one sent before stops working).",
    )
    first_name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, required=False, help_text=FIRST_NAME
    )
    last_name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, required=False, allow_blank=True, help_text=LAST_NAME
    )
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Their mobile for SMS pages: E.164, or written the local way of the "
        "clinic's country; '' for none. A new number starts enabled.",
    )
    is_clinician = serializers.BooleanField(required=False, help_text=ROLE_HELP["is_clinician"])
    is_oncall = serializers.BooleanField(required=False, help_text=ROLE_HELP["is_oncall"])
    is_admin = serializers.BooleanField(required=False, help_text=ROLE_HELP["is_admin"])


class WorksAgainSerializer(StrictSerializerMixin, serializers.Serializer):
    address = serializers.ChoiceField(
        choices=["phone", "email"],
        help_text="Which of their addresses, switched off after a page failed, works again.",
    )
