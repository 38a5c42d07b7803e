"""What the patient pages show, each read scoped to one clinic and in a fixed number of
queries whatever the clinic's size (the list is paginated; a patient's page reads a bounded
number of rows of each kind)."""

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.shortcuts import get_object_or_404

from audit.log import note
from diary.models import Clinic, Device, Patient, PatientStatus, Procedure
from diary.search import patient_search
from notifications.models import ContactPreference, Delivery

PAGE_SIZE = 25
DELIVERIES_SHOWN = 20
STATUS_FILTERS = ("active", "paused", "ended", "all")


@dataclass
class PatientPage:
    patient: Patient
    blocks: list[Procedure]
    contact: ContactPreference | None
    devices: list[Device]
    deliveries: list[Delivery]


def patient_list(clinic: Clinic, *, search: str, status: str, page: int):
    """One page of the clinic's patients, with each one's latest block time and block count."""
    patients = Patient.objects.filter(clinic=clinic).filter(patient_search(search))
    if status in PatientStatus.values:
        patients = patients.filter(status=status)
    patients = patients.annotate(
        blocks=Count("procedures", filter=~Q(procedures__status="cancelled")),
        last_block_at=Max("procedures__performed_at", filter=~Q(procedures__status="cancelled")),
    ).order_by("display_name", "id")
    found = Paginator(patients, PAGE_SIZE).get_page(page)
    note(*found.object_list)
    return found


def patient_of(clinic: Clinic, patient_id: int) -> Patient:
    patient = get_object_or_404(
        Patient.objects.select_related("clinic"), pk=patient_id, clinic=clinic
    )
    note(patient)
    return patient


def patient_page(patient: Patient) -> PatientPage:
    blocks = list(
        patient.procedures.select_related("proceduralist").order_by("-performed_at", "-id")
    )
    deliveries = list(
        Delivery.objects.filter(patient=patient)
        .select_related("checkin")
        .prefetch_related(Prefetch("attempts_log"))
        .order_by("-created_at", "-id")[:DELIVERIES_SHOWN]
    )
    return PatientPage(
        patient=patient,
        blocks=blocks,
        contact=ContactPreference.objects.filter(patient=patient).first(),
        devices=list(Device.objects.filter(patient=patient).order_by("-created_at")),
        deliveries=deliveries,
    )


def block_of(clinic: Clinic, procedure_id: int) -> Procedure:
    block = get_object_or_404(
        Procedure.objects.select_related("patient__clinic"),
        pk=procedure_id,
        patient__clinic=clinic,
    )
    note(block)
    return block
