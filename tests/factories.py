"""factory_boy factories. Tests build the named people of the house style from these."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from diary import services
from diary.models import Clinic, Patient, StaffMembership


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    timezone = "Europe/London"
    phone = "+442079460000"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff membership (and its user)."""

    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    clinic = factory.SubFactory(ClinicFactory)
    is_clinician = True


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    timezone = "Europe/London"
    phone = "+447700900123"
    email = factory.LazyAttribute(lambda p: f"{p.display_name.split()[0].lower()}@example.org")


def make_procedure(patient, **overrides):
    """A performed diagnostic lidocaine block, planned through the service like the API does."""
    fields = {
        "kind": "diagnostic_mbb",
        "levels": "L4-L5",
        "side": "left",
        "anesthetic": "lidocaine",
        "concentration_percent": Decimal("2"),
        "volume_ml_per_level": Decimal("0.5"),
        "steroid": False,
        "performed_at": timezone.now() - timedelta(hours=2),
        "baseline_pain": 8,
    }
    fields.update(overrides)
    return services.create_procedure(patient=patient, **fields)


def patient_token(patient) -> str:
    """Enrol the patient's phone the way the app does, returning its bearer token."""
    code, _ = services.issue_enrollment_code(patient)
    return services.enroll(code)[1]
