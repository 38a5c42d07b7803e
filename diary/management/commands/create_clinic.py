"""Create a clinic and its first staff member (clinician, on call and clinic admin)."""

import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from diary import services
from diary.models import Clinic

PASSWORD_VARIABLE = "CLINIC_ADMIN_PASSWORD"  # noqa: S105  (a variable name, not a password)


class Command(BaseCommand):
    help = (
        "Create a clinic and a staff user who is clinician, on call and clinic admin. "
        f"The password is read from ${PASSWORD_VARIABLE}, never from the command line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The clinic's name.")
        parser.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/London.")
        parser.add_argument("--username", required=True, help="Login of the first staff user.")
        parser.add_argument("--phone", default="", help="The clinic's number, E.164.")

    def handle(self, *args, name, timezone, username, phone, **options):
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            raise CommandError(
                f"{PASSWORD_VARIABLE} is not set: export the new admin's password in it first."
            )
        if Clinic.objects.filter(name=name).exists():
            raise CommandError(f"A clinic named {name!r} already exists.")
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        try:
            validate_password(password, get_user_model()(username=username))
            clinic, user = services.create_clinic(
                name=name, timezone_name=timezone, username=username, password=password, phone=phone
            )
        except ValidationError as error:
            raise CommandError("; ".join(_messages(error))) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created clinic {clinic.name} ({clinic.timezone}) with {user}.")
        )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [f"{field}: {msg}" for field, msgs in error.message_dict.items() for msg in msgs]
    return list(error.messages)
