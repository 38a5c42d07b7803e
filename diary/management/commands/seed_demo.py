"""Demo data: clinic North with Dr Cole, nurse Nia, patients Ana and Ben; South with Omar.

Safe to run twice: people and Ana's block are created once; each run prints a fresh
enrollment code for Ben (the previous one stops working).
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from diary import services
from diary.models import Clinic, Patient, StaffMembership

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (demo data only, printed on purpose)
# Fixed ids make the demo entries idempotent, like a phone's retries.
DEMO_NAMESPACE = uuid.UUID("6f1d4c9e-8a53-4b7e-9a51-0d2c2f6b7a10")
# Minutes after the block, pain score, numbness: relief that peaks and holds.
ANA_READINGS = [(15, 3, "left_leg"), (30, 1, "none"), (45, 1, "none"), (60, 2, "none")]


class Command(BaseCommand):
    help = "Load demo data (clinic North, staff and patients) and print the logins."

    @transaction.atomic
    def handle(self, *args, **options):
        north = _clinic("North", "Europe/London", "+442079460001", "999")
        south = _clinic("South", "America/New_York", "+12125550100", "911")
        cole = _staff("dr.cole", "Dr", "Cole", north, is_clinician=True, is_admin=True)
        _staff("nia", "Nia", "", north, is_oncall=True)
        _staff("omar", "Omar", "", south, is_clinician=True, is_oncall=True, is_admin=True)
        _superuser("admin")
        ana = _patient(north, "Ana Silva", "+447700900101")
        ben = _patient(north, "Ben Okafor", "+447700900102")
        _ana_block(ana, cole)
        code, expires_at = services.issue_enrollment_code(ben)
        ana_link, _ = services.issue_patient_link(ana)
        ben_link, _ = services.issue_patient_link(ben)
        self._print_logins(code, expires_at, ana_link, ben_link)

    def _print_logins(self, code, expires_at, ana_link, ben_link):
        out = self.stdout.write
        out(self.style.SUCCESS("Demo data loaded."))
        out(f"  Staff logins (password {DEMO_PASSWORD}):")
        out("    dr.cole  clinician and clinic admin at North")
        out("    nia      on-call nurse at North")
        out("    omar     staff of South (sees nothing of North)")
        out("    admin    Django admin (superuser)")
        out(f"  Enrollment code for Ben Okafor: {code} (expires {expires_at:%Y-%m-%d})")
        out("  Web check-in, no app (what every SMS and e-mail reminder links to):")
        out(f"    Ana Silva   {ana_link}")
        out(f"    Ben Okafor  {ben_link}")


def _clinic(name, tz, phone, emergency_number):
    clinic, _ = Clinic.objects.get_or_create(
        name=name,
        defaults={"timezone": tz, "phone": phone, "emergency_number": emergency_number},
    )
    return clinic


def _staff(username, first, last, clinic, **roles):
    user = _user(username, first_name=first, last_name=last)
    StaffMembership.objects.update_or_create(user=user, defaults={"clinic": clinic, **roles})
    return user


def _superuser(username):
    user = _user(username, is_staff=True, is_superuser=True)
    return user


def _user(username, **attributes):
    user, created = get_user_model().objects.get_or_create(username=username, defaults=attributes)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _patient(clinic, name, phone):
    patient = Patient.objects.filter(clinic=clinic, display_name=name).first()
    if patient is None:
        patient, _, _ = services.create_patient(clinic=clinic, display_name=name, phone=phone)
    return patient


def _ana_block(ana, cole):
    """A diagnostic lidocaine block two hours ago (on first run) with the first readings."""
    block = ana.procedures.first()
    if block is None:
        block = services.create_procedure(
            patient=ana,
            proceduralist=cole,
            kind="diagnostic_mbb",
            levels="L4-L5,L5-S1",
            side="left",
            anesthetic="lidocaine",
            concentration_percent=Decimal("2"),
            volume_ml_per_level=Decimal("0.5"),
            steroid=False,
            performed_at=timezone.now() - timedelta(hours=2),
            baseline_pain=8,
        )
    checkins = {c.key: c for c in block.checkins.all()}
    for minutes, pain, numbness in ANA_READINGS:
        services.record_entry(
            patient=ana,
            data={
                "client_id": uuid.uuid5(DEMO_NAMESPACE, f"ana-{minutes}"),
                "procedure": block,
                "checkin": checkins.get("h1" if minutes == 60 else f"m{minutes}"),
                "recorded_at": block.performed_at + timedelta(minutes=minutes, seconds=40),
                "pain_score": pain,
                "numbness": numbness,
                "activity": "standing up from a chair",
                "activity_ok": pain <= 2,
            },
        )
