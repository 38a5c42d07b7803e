"""Patients and blocks from the dashboard: Dr Cole finds, registers and reaches patients and
registers, corrects and cancels their blocks; Nia (on call, not a clinician) reads but does
not register; Omar of South gets nothing of North's."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from diary import services
from diary.models import CheckInStatus, Patient, PatientLink, Procedure, ProcedureStatus
from notifications.models import ContactPreference, Delivery, Purpose
from tests.dashboard import signed_in
from tests.factories import PatientFactory, make_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def cole(dr_cole):
    return signed_in(dr_cole)


def register(client, **fields):
    body = {
        "display_name": "Ana Silva",
        "external_id": "",
        "phone": "07911 123456",  # typed the UK way
        "email": "",
        "language": "en",
        "timezone": "Europe/London",
        "checkin_time": "09:30",
        "channel_order": "sms,email",
        **fields,
    }
    return client.post("/dashboard/patients/new/", body)


# --- Registering a patient -------------------------------------------------------------


def test_dr_cole_registers_ana_and_is_shown_her_code_link_and_qr_once(cole, north):
    sent = register(cole, external_id="H-00421")

    assert sent.status_code == 302, sent.content[:2000]
    ana = Patient.objects.get(display_name="Ana Silva")
    assert (ana.clinic, ana.phone, ana.external_id) == (north, "+447911123456", "H-00421")
    assert ana.checkin_time.strftime("%H:%M") == "09:30"
    assert ContactPreference.objects.get(patient=ana).channel_order == "sms,email"
    page = cole.get(sent["Location"]).content.decode()
    code = re.search(r'<p class="code">([A-Z0-9]{5}-[A-Z0-9]{5})</p>', page).group(1)
    assert '<svg width="' in page and "Enrollment code" in page  # the QR, drawn here
    link = re.search(r'href="(http://[^"]+/c/[A-Za-z0-9_-]{22})"', page).group(1)
    assert PatientLink.objects.filter(patient=ana).count() == 1

    again = cole.get(sent["Location"]).content.decode()
    assert code not in again  # shown once
    enrolled = Client().post("/api/v1/enroll/", {"code": code}, content_type="application/json")
    assert enrolled.status_code == 201
    assert Client().get(link.replace("http://testserver", "")).status_code == 200


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"phone": "call me"}, "phone", "not a phone number"),
        ({"phone": "07911 12"}, "phone", "does not exist"),
        ({"phone": "07700 900123"}, "phone", "does not exist"),  # Ofcom's drama range
        ({"display_name": ""}, "display_name", "required"),
        ({"timezone": "Mars/Olympus"}, "timezone", ""),
        ({"email": "ana@"}, "email", "valid email"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_registered(cole, fields, field, words):
    sent = register(cole, **fields)

    assert sent.status_code == 400
    page = sent.content.decode()
    assert f'href="#id_{field}"' in page
    assert words.lower() in page.lower()
    assert not Patient.objects.exists()


def test_the_clinics_patient_number_is_unique_in_the_clinic(cole, north, south):
    PatientFactory(clinic=north, external_id="H-1")
    PatientFactory(clinic=south, external_id="H-2")

    taken = register(cole, external_id="H-1")
    elsewhere = register(cole, external_id="H-2", display_name="Other")

    assert taken.status_code == 400
    assert "Another patient of the clinic has this number." in taken.content.decode()
    assert elsewhere.status_code == 302  # South's numbering is South's


def test_nia_may_read_patients_but_not_register_them(nurse_nia, ana):
    nia = signed_in(nurse_nia)

    assert nia.get("/dashboard/patients/").status_code == 200
    assert nia.get(f"/dashboard/patients/{ana.pk}/").status_code == 200
    refused = register(nia, display_name="Someone")
    assert refused.status_code == 403
    assert "clinician" in refused.content.decode()
    assert not Patient.objects.filter(display_name="Someone").exists()


# --- Finding a patient -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "found"),
    [("silva", ["Ana Silva"]), ("0123", ["Ana Silva"]), ("H-777", ["Ben Okafor"]), ("", None)],
)
def test_patients_are_found_by_name_last_digits_or_clinic_number(cole, north, search, found):
    PatientFactory(clinic=north, display_name="Ana Silva", phone="+447700900123")
    PatientFactory(
        clinic=north, display_name="Ben Okafor", phone="+447700900456", external_id="H-777"
    )

    page = cole.get("/dashboard/patients/", {"q": search}).content.decode()

    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', page)
    assert names == (found or ["Ana Silva", "Ben Okafor"])


def test_the_list_is_paginated_and_filtered_by_status(cole, north):
    for n in range(30):
        PatientFactory(clinic=north, display_name=f"Patient {n:02d}")
    PatientFactory(clinic=north, display_name="Ended One", status="ended")

    first = cole.get("/dashboard/patients/").content.decode()
    second = cole.get("/dashboard/patients/", {"page": 2}).content.decode()
    ended = cole.get("/dashboard/patients/", {"status": "ended"}).content.decode()

    assert first.count('<th scope="row">') == 25
    assert "Page 1 of 2 (30 patients)" in first
    assert second.count('<th scope="row">') == 5
    assert "Ended One" not in first and "Ended One" in ended


def test_the_list_costs_the_same_queries_for_3_or_30_patients(
    cole, north, django_assert_max_num_queries
):
    for n in range(30):
        make_procedure(PatientFactory(clinic=north, display_name=f"P{n:02d}"))

    with django_assert_max_num_queries(10):
        assert cole.get("/dashboard/patients/").status_code == 200


def test_omar_gets_nothing_of_norths_patients(omar, ana, anas_block):
    south = signed_in(omar)

    assert "Ana Silva" not in south.get("/dashboard/patients/", {"q": "Ana"}).content.decode()
    for url in (
        f"/dashboard/patients/{ana.pk}/",
        f"/dashboard/patients/{ana.pk}/blocks/new/",
        f"/dashboard/procedures/{anas_block.pk}/edit/",
    ):
        assert south.get(url).status_code == 404, url
    for url in (
        f"/dashboard/patients/{ana.pk}/revoke/",
        f"/dashboard/patients/{ana.pk}/code/",
        f"/dashboard/procedures/{anas_block.pk}/cancel/",
        f"/dashboard/procedures/{anas_block.pk}/handout/",
    ):
        assert south.post(url).status_code == 404, url
    anas_block.refresh_from_db()
    assert anas_block.status != ProcedureStatus.CANCELLED


# --- The patient's page -------------------------------------------------------------------


def test_the_patients_page_shows_contact_blocks_and_every_message(cole, ana, anas_block):
    page = cole.get(f"/dashboard/patients/{ana.pk}/").content.decode()

    assert f'href="tel:{ana.phone}"' in page
    assert anas_block.levels in page
    assert "Revoke app and link access" in page


def test_a_start_link_that_cannot_go_says_why_on_the_page(cole, ana):
    ana.phone = ""
    ana.save(update_fields=["phone"])

    sent = cole.post(f"/dashboard/patients/{ana.pk}/start-link/", {"channel": "sms"})

    assert sent.status_code == 302
    assert (
        "This patient has no phone number on file." in cole.get(sent["Location"]).content.decode()
    )
    assert not Delivery.objects.filter(purpose=Purpose.START_LINK).exists()


def test_revoking_access_stops_every_link(cole, ana):
    (token,) = services.issue_links([(ana.pk, None)])
    link = f"/c/{token}"

    cole.post(f"/dashboard/patients/{ana.pk}/revoke/")

    assert Client().get(link).status_code == 410


# --- Blocks ------------------------------------------------------------------------------------


def block_body(**fields):
    return {
        "kind": "diagnostic_mbb",
        "levels": ["L4-L5", "L5-S1"],
        "side": "left",
        "anesthetic": "lidocaine",
        "concentration_percent": "2",
        "volume_ml_per_level": "0.5",
        "baseline_pain": "7",
        "baseline_disability_scale": "odi",
        "baseline_disability_score": "42",
        "usual_painful_activity": "standing",
        "performed_now": "on",
        **fields,
    }


def test_dr_cole_registers_a_block_performed_now_and_its_check_ins_are_planned(cole, ana, dr_cole):
    sent = cole.post(f"/dashboard/patients/{ana.pk}/blocks/new/", block_body())

    assert sent.status_code == 302, sent.content[:3000]
    block = Procedure.objects.get(patient=ana)
    assert (block.levels, block.proceduralist, block.baseline_disability_score) == (
        "L4-L5,L5-S1",
        None,
        42,
    )
    assert abs(block.performed_at - timezone.now()) < timedelta(seconds=5)
    assert block.checkins.count() > 20
    assert "check-ins planned" in cole.get(sent["Location"]).content.decode()


def test_a_block_with_a_score_beyond_its_scale_is_refused_by_name(cole, ana):
    sent = cole.post(
        f"/dashboard/patients/{ana.pk}/blocks/new/",
        block_body(baseline_disability_scale="rmdq", baseline_disability_score="30"),
    )

    assert sent.status_code == 400
    assert "Must be between 0 and 24 on rmdq." in sent.content.decode()
    assert not Procedure.objects.exists()


def test_correcting_the_time_replans_and_says_how_many_moved(cole, anas_block):
    later = (anas_block.performed_at + timedelta(hours=1)).astimezone(
        timezone.get_fixed_timezone(60)
    )
    body = block_body(performed_now="", performed_at=later.strftime("%Y-%m-%dT%H:%M"))

    sent = cole.post(f"/dashboard/procedures/{anas_block.pk}/edit/", body)

    assert sent.status_code == 302, sent.content[:3000]
    assert "re-planned" in cole.get(sent["Location"]).content.decode()


def test_cancelling_a_block_closes_its_open_check_ins(cole, anas_block):
    cole.post(f"/dashboard/procedures/{anas_block.pk}/cancel/")

    anas_block.refresh_from_db()
    assert anas_block.status == ProcedureStatus.CANCELLED
    assert not anas_block.checkins.filter(status=CheckInStatus.DUE).exists()


def test_the_handout_has_a_fresh_code_the_schedule_and_the_warnings_in_her_language(
    cole, ana, anas_block
):
    ana.language = "es"
    ana.save(update_fields=["language"])

    printed = cole.post(f"/dashboard/procedures/{anas_block.pk}/handout/")

    page = printed.content.decode()
    assert printed.status_code == 200
    assert '<html lang="es">' in page
    assert "Su diario de dolor" in page and "Sus registros" in page
    assert re.search(r'<p class="code">[A-Z0-9]{5}-[A-Z0-9]{5}</p>', page)
    assert "después del bloqueo" in page
    assert "Vaya a urgencias" in page
    assert printed["Cache-Control"].startswith("max-age=0")
