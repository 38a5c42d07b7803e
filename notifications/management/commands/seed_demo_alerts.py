"""Demo on-call rota and one open alert, on top of ``seed_demo``'s clinic North.

Nia is primary and Dr Cole backup for the week around today; Ben had a block six hours
ago and reports a numb leg five hours after it, which pages Nia (urgent). Safe to run twice.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from diary import services
from diary.models import Clinic, Patient
from notifications import oncall
from notifications.models import OnCallShift

DEMO_NAMESPACE = uuid.UUID("1b7e2f8a-3c4d-4e5f-8a9b-0c1d2e3f4a5b")


class Command(BaseCommand):
    help = "Load the demo on-call rota and an open alert (run seed_demo first)."

    @transaction.atomic
    def handle(self, *args, **options):
        north = Clinic.objects.filter(name="North").first()
        if north is None:
            raise CommandError("Clinic North is missing: run seed_demo first.")
        users = get_user_model().objects.in_bulk(["nia", "dr.cole"], field_name="username")
        for username, address in (
            ("nia", "nia@north.example.org"),
            ("dr.cole", "cole@north.example.org"),
        ):
            if not users[username].email:
                users[username].email = address
                users[username].save(update_fields=["email"])
        self._rota(north, users["nia"], users["dr.cole"])
        ben = Patient.objects.get(clinic=north, display_name="Ben Okafor")
        self._bens_numb_leg(ben, users["dr.cole"])
        self.stdout.write(self.style.SUCCESS("On-call rota and Ben's open alert loaded."))

    def _rota(self, north, nia, cole):
        now = timezone.now()
        if OnCallShift.objects.filter(clinic=north, starts_at__lte=now, ends_at__gt=now).exists():
            return
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
        end = start + timedelta(days=7)
        oncall.create_shift(clinic=north, user=nia, role="primary", starts_at=start, ends_at=end)
        oncall.create_shift(clinic=north, user=cole, role="backup", starts_at=start, ends_at=end)

    def _bens_numb_leg(self, ben, cole):
        block = ben.procedures.filter(levels="L5-S1").first()
        if block is None:
            block = services.create_procedure(
                patient=ben,
                proceduralist=cole,
                kind="diagnostic_mbb",
                levels="L5-S1",
                side="right",
                anesthetic="bupivacaine",
                concentration_percent=Decimal("0.5"),
                volume_ml_per_level=Decimal("0.5"),
                steroid=False,
                performed_at=timezone.now() - timedelta(hours=6),
                baseline_pain=7,
            )
        services.record_entry(
            patient=ben,
            data={
                "client_id": uuid.uuid5(DEMO_NAMESPACE, "ben-numb-5h"),
                "procedure": block,
                "recorded_at": block.performed_at + timedelta(hours=5),
                "pain_score": 2,
                "numbness": "right_leg",
            },
        )
