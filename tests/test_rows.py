"""The hand-written lookups on every request build the instances the ORM would."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from diary import services
from diary.models import CheckIn, PatientLink
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
