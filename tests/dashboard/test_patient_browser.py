"""Dr Cole runs a registration from the dashboard in a real browser (tablet size): he finds
nobody, registers Ana, gets her code and QR, registers her block performed now, prints her
handout, and Ana's phone enrols with the code. axe-core on every page he sees.

Browser set-up in ``tests/browser.py``; ``SCREENSHOTS=1`` saves the pages for the README.
"""

import re

import pytest
from django.test import Client

from diary.models import Patient, Procedure
from tests.browser import (
    assert_accessible,
    chromium_context,
    console_errors,
    expect,
    screenshot,
)
from tests.dashboard import PASSWORD

TABLET = {"width": 1024, "height": 768}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tablet(tmp_path):
    with chromium_context(tmp_path / "profile", viewport=TABLET) as context:
        yield context


def test_dr_cole_registers_ana_and_her_block_prints_the_handout_and_ana_enrols(
    tablet, live_server, dr_cole
):
    page = tablet.new_page()
    errors = console_errors(page)
    page.goto(f"{live_server.url}/dashboard/login/")
    page.get_by_label("Username").fill("dr.cole")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Patients").click()
    page.get_by_label("Find a patient").fill("Silva")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No patients match “Silva”.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("Name").fill("Ana Silva")
    page.get_by_label("Clinic's patient number (optional)").fill("H-00421")
    page.get_by_label("Mobile number").fill("07911 123456")
    page.get_by_label("Reminders by").select_option("sms,email")
    assert_accessible(page)
    screenshot(page, "dashboard-register.png")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Ana Silva")
    issued = page.locator("section.issued")
    code = issued.locator("p.code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", code)
    expect(issued.locator("svg").first).to_be_visible()  # the QR code, drawn on the server
    expect(page.get_by_role("link", name="+447911123456")).to_have_attribute(
        "href", "tel:+447911123456"
    )
    assert_accessible(page)
    screenshot(page, "dashboard-patient.png")

    page.get_by_role("link", name="Register a block").click()
    page.get_by_label("L4-L5").check()
    page.get_by_label("L5-S1").check()
    page.get_by_label("Side").select_option("left")
    page.get_by_label("Concentration (%)").fill("2")
    page.get_by_label("Volume per level (mL)").fill("0.5")
    page.get_by_label("Baseline pain (0-10)").fill("7")
    page.get_by_label("Performed now").check()
    assert_accessible(page)
    page.get_by_role("button", name="Register the block").click()

    expect(page.get_by_role("status")).to_contain_text("check-ins planned")
    block = Procedure.objects.get(patient__display_name="Ana Silva")
    assert block.levels == "L4-L5,L5-S1"

    page.get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Ana Silva").click()
    page.get_by_role("button", name="Print handout (new code)").click()
    expect(page.get_by_role("heading", name="Your pain diary")).to_be_visible()
    printed_code = page.locator("p.code").inner_text()
    assert printed_code != code  # printing issued a fresh one; the first is void
    expect(page.get_by_text("15 min after your block")).to_be_visible()
    expect(
        page.get_by_text("Go to the emergency department or call 112 at once for:")
    ).to_be_visible()
    assert_accessible(page)
    screenshot(page, "handout.png")
    assert errors == []

    anas_phone = Client()
    assert anas_phone.post("/api/v1/enroll/", {"code": code}, "application/json").status_code == 400
    enrolled = anas_phone.post("/api/v1/enroll/", {"code": printed_code}, "application/json")
    assert enrolled.status_code == 201
    assert Patient.objects.get(display_name="Ana Silva").tokens.count() == 1
