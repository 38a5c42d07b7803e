"""The SQL built once for every request's rows (backend.rows) reads the instances the ORM
would build and writes the values the ORM would send."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext_lazy

from audit import log as audit
from audit.models import Action
from backend import rows
from diary import services
from diary.models import AdviceLevel, CheckIn, DiaryEntry, Limb, PatientLink
from diary.services import entries, links

pytestmark = pytest.mark.django_db


def _all_fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _as_the_orm_reads(link_id):
    return PatientLink.objects.select_related("patient__clinic", "checkin__procedure").get(
        pk=link_id
    )


def test_a_check_in_link_comes_with_the_patient_clinic_check_in_and_block(anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).order_by("due_at").first()
    (token,) = services.issue_links([(anas_block.patient_id, checkin.pk)])
    found = links._link_with_its_own(links.hash_link_token(token))
    orm = _as_the_orm_reads(found.pk)
    for ours, theirs in (
        (found, orm),
        (found.patient, orm.patient),
        (found.patient.clinic, orm.patient.clinic),
        (found.checkin, orm.checkin),
        (found.checkin.procedure, orm.checkin.procedure),
    ):
        assert type(ours) is type(theirs)
        assert _all_fields(ours) == _all_fields(theirs)
        assert not ours._state.adding
    assert found.expires_at.tzinfo is not None  # converted as the ORM converts (SQLite too)


def test_a_patient_s_own_link_has_no_check_in(ana):
    url, _ = services.issue_patient_link(ana)
    found = links._link_with_its_own(links.hash_link_token(url.rstrip("/").rsplit("/", 1)[-1]))
    assert found.checkin is None and found.checkin_id is None
    assert model_to_dict(found.patient) == model_to_dict(ana)


def test_an_unknown_link_is_none(ana):
    assert links._link_with_its_own(links.hash_link_token("not-a-real-token")) is None


def test_the_entry_s_block_is_the_orm_s_with_the_check_in_it_answers(ana, anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).order_by("due_at").first()
    at = checkin.opens_at + timedelta(minutes=1)
    found = entries.procedure_for_entry(ana, anas_block.pk, at)
    assert _all_fields(found) == _all_fields(type(anas_block).objects.get(pk=anas_block.pk))
    assert found.open_checkin_id == checkin.pk
    later = entries.procedure_for_entry(ana, anas_block.pk, timezone.now() + timedelta(days=90))
    assert later.pk == anas_block.pk and later.open_checkin_id is None
    assert entries.procedure_for_entry(ana, anas_block.pk + 999, at) is None


@pytest.mark.parametrize("hours_after_block", [0.5, 2, 30, 24 * 9])
def test_the_check_ins_still_to_come_are_the_orm_s_open_ones_and_the_next_few(
    anas_block, hours_after_block
):
    from diary.models import OPEN_CHECKIN_STATUSES, CheckInStatus
    from web.checkin import pages

    now = anas_block.performed_at + timedelta(hours=hours_after_block)
    CheckIn.objects.filter(procedure=anas_block, key="h1").update(status=CheckInStatus.ANSWERED)
    still = list(
        CheckIn.objects.filter(
            procedure=anas_block, status__in=OPEN_CHECKIN_STATUSES, closes_at__gt=now
        ).order_by("due_at", "id")
    )
    found = pages.coming(anas_block.patient, now)
    assert still, "each moment has check-ins still to come"
    if hours_after_block == 2:
        assert found.open_now and len(found.upcoming) == pages.UPCOMING_SHOWN
    assert found.open_now == [c for c in still if c.opens_at <= now]
    assert found.upcoming == [c for c in still if c.opens_at > now][: pages.UPCOMING_SHOWN]
    assert all(_all_fields(c) == _all_fields(CheckIn.objects.get(pk=c.pk)) for c in found.upcoming)


def test_a_cancelled_block_has_nothing_to_come(anas_block):
    from diary.models import ProcedureStatus
    from web.checkin import pages

    type(anas_block).objects.filter(pk=anas_block.pk).update(status=ProcedureStatus.CANCELLED)
    found = pages.coming(anas_block.patient, anas_block.performed_at)
    assert found.open_now == [] and found.upcoming == []


def _as_the_orm_prepares(instance, leave_out=()) -> list:
    return [
        f.get_db_prep_save(f.pre_save(instance, True), connection)
        for f in rows.insert_fields(type(instance), leave_out)
    ]


def _comparable(values: list) -> list:
    # psycopg's wrappers (Jsonb, Int2) compare by identity or as their base type: compare
    # their type and content.
    return [(type(v), getattr(v, "obj", v)) for v in values]


def _entries_with_every_kind_of_value(ana, anas_block):
    checkin = CheckIn.objects.filter(procedure=anas_block).first()
    plain = {"patient": ana, "procedure": anas_block, "client_id": uuid.uuid4(), "pain_score": 3}
    yield DiaryEntry(**plain, recorded_at=timezone.now())
    yield DiaryEntry(
        **plain,
        checkin=checkin,
        recorded_at=timezone.now(),
        phone_recorded_at=timezone.now() - timedelta(minutes=9),
        clock_skew_seconds=-540,
        reported_relief_percent=80,
        activity=gettext_lazy("walking"),  # a lazy string: cast as the ORM casts it
        activity_ok=1,  # not a bool: the field makes it one
        numbness=Limb.LEFT_LEG,  # a str subclass, stored as it is
        weakness="none",
        fever=False,
        temperature_celsius=Decimal("38.40"),
        analgesic_taken=True,
        note="walked the dog",
        advice_level=AdviceLevel.ROUTINE,
        advice_message="",
        fingerprint="f" * 64,
        superseded_at=timezone.now(),
    )


@pytest.mark.django_db
def test_an_insert_s_values_are_the_ones_the_orm_would_send(ana, anas_block):
    with time_machine.travel(timezone.now(), tick=False):  # auto_now_add the same both ways
        for entry in _entries_with_every_kind_of_value(ana, anas_block):
            assert _comparable(rows.values(entry)) == _comparable(_as_the_orm_prepares(entry))
        for row in (
            audit.event(Action.CREATE, "diaryentry", patient_ids=[ana.pk]),
            audit.event(
                Action.READ, "patient", [ana.pk], patient_ids=[ana.pk], changes={"a": [1, None]}
            ),
        ):
            left_out = ("object_ids",)
            ours = rows.values(row, leave_out=left_out)
            assert _comparable(ours) == _comparable(_as_the_orm_prepares(row, left_out))
            assert _comparable(rows.values(row)) == _comparable(_as_the_orm_prepares(row))
