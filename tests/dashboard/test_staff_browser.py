"""Mara, North's admin, invites Ravi in a real browser and the staff list shows him; she
corrects his name (a taken e-mail is refused on its field); Ravi opens the e-mailed link,
chooses his password and lands on Today. axe-core on every page.

Browser set-up in ``tests/browser.py``.
"""

import re

import pytest
from django.core import mail

from tests.browser import assert_accessible, chromium_context, console_errors, expect
from tests.dashboard import PASSWORD

DESKTOP = {"width": 1280, "height": 800}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def desktop(tmp_path):
    with chromium_context(tmp_path / "profile", viewport=DESKTOP) as context:
        yield context


def test_mara_invites_ravi_who_sets_his_password(desktop, live_server, mara, dr_cole, settings):
    settings.SITE_URL = live_server.url
    page = desktop.new_page()
    errors = console_errors(page)
    page.goto(f"{live_server.url}/dashboard/login/")
    page.get_by_label("Username").fill("mara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Staff").click()
    expect(page.get_by_role("heading", name="Staff", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="dr.cole")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Invite a colleague").click()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail: This field is required.")
    assert_accessible(page)  # the form with its errors
    page.get_by_label("E-mail").fill("ravi.patel@north.example.org")
    page.get_by_label("First name").fill("Ravi")
    page.get_by_label("Last name").fill("Patel")
    page.get_by_label("On call").check()
    page.get_by_role("button", name="Send the invitation").click()

    expect(page.get_by_role("status")).to_contain_text("Ravi Patel is invited")
    row = page.get_by_role("row", name=re.compile("Ravi Patel"))
    expect(row).to_contain_text("On call")
    expect(row).to_contain_text("Invited, no password yet")
    assert_accessible(page)
    page.get_by_role("link", name="Ravi Patel").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ravi Patel")
    assert_accessible(page)
    # Mara corrects his name; an address someone already has is named on its field.
    page.get_by_label("E-mail", exact=True).fill("MARA@north.example.org")
    page.get_by_role("button", name="Save name, e-mail and mobile").click()
    expect(page.get_by_role("alert")).to_contain_text("already has an account")
    assert_accessible(page)  # the form with its error
    page.get_by_label("E-mail", exact=True).fill("ravi.patel@north.example.org")
    page.get_by_label("Last name").fill("Patel-Shah")
    page.get_by_role("button", name="Save name, e-mail and mobile").click()
    expect(page.get_by_role("status")).to_contain_text("name and e-mail are saved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ravi Patel-Shah")

    link = re.search(r"http://\S+/set-password/\S+/", mail.outbox[0].body).group(0)
    ravi = desktop.new_page()
    ravi.goto(link)
    expect(ravi.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(ravi)
    ravi.get_by_label("New password", exact=True).fill("tangerine ladder 42")
    ravi.get_by_label("New password confirmation").fill("tangerine ladder 42")
    ravi.get_by_role("button", name="Set my password").click()
    expect(ravi.get_by_role("heading", name="Today", level=1)).to_be_visible()
    # The empty form's and the taken e-mail's 400s are logged by the browser; nothing else.
    assert [e for e in errors if "400 (Bad Request)" not in e] == []
