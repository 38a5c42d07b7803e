"""The web check-in's reads and writes are in the audit trail, the patient as the actor."""

import pytest

from audit.models import Action, ActorKind, AuditEvent
from tests.web.test_checkin_flow import answers

pytestmark = pytest.mark.django_db


def test_the_web_check_in_records_the_patient_reading_and_writing(ana, block_of, link_to, browser):
    block = block_of(ana)
    link = link_to(ana, block.checkins.get(key="h2"))
    landing = browser.get(link)
    page = browser.get(landing["Location"])
    browser.post(landing["Location"], answers(page))
    rows = list(AuditEvent.objects.order_by("id"))
    assert [(r.action, r.object_kind) for r in rows] == [
        (Action.READ, "patient"),  # the landing, which sends her on to the check-in
        (Action.READ, "checkin"),
        (Action.CREATE, "diaryentry"),
    ]
    assert {(r.actor_kind, r.actor_patient_id) for r in rows} == {(ActorKind.PATIENT, ana.pk)}
    # The route, never the link's token: the token is the patient's key.
    assert all("<str:token>" in r.via and link[3:] not in r.via for r in rows)
