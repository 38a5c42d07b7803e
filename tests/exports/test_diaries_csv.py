"""The clinic's diaries as CSV: identified for the clinic, de-identified for research."""

import csv
import io
from datetime import datetime, timedelta

import pytest

from audit.models import Action, AuditEvent
from tests.dashboard import report
from tests.factories import make_procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def diaries(ana, ben, anas_block, bens_block):
    ana.phone, ana.email, ana.external_id = "+447700900123", "ana@example.org", "H123"
    ana.save()
    report(anas_block, 30, 2, activity="=walking the dog", note="Felt great, call me on 07700")
    report(anas_block, 120, 4)
    report(bens_block, 30, 5)
    second = make_procedure(ana, performed_at=anas_block.performed_at - timedelta(days=20))
    report(second, 45, 1)
    return {"ana": ana, "ben": ben}


def table(response):
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_de_identified_csv_holds_no_name_contact_number_or_free_text(as_cole, diaries):
    response = as_cole.get("/api/v1/exports/diaries/")
    text = response.content.decode()
    for secret in ("Ana", "Silva", "Ben", "+4477", "ana@example.org", "H123", "walking", "07700"):
        assert secret not in text, secret
    rows = table(response)
    assert len(rows) == 4
    assert {"pain_score", "relief_percent", "verdict", "minutes_after_block"} <= set(rows[0])
    assert {"display_name", "note", "activity", "external_id"}.isdisjoint(rows[0])


def test_dates_are_shifted_per_patient_keeping_every_interval(as_cole, diaries, anas_block):
    rows = table(as_cole.get("/api/v1/exports/diaries/"))
    anas = [r for r in rows if r["patient"] == rows[0]["patient"]]
    assert len(anas) == 3  # two blocks of hers, one pseudonym
    earlier, later = sorted({datetime.fromisoformat(r["performed_at_shifted"]) for r in anas})
    shift = later - anas_block.performed_at
    assert timedelta(days=-365) <= shift < timedelta(0)
    assert later - earlier == timedelta(days=20)  # the gap between her blocks
    for row in anas:
        gap = datetime.fromisoformat(row["recorded_at_shifted"]) - datetime.fromisoformat(
            row["performed_at_shifted"]
        )
        assert int(gap.total_seconds() // 60) == int(row["minutes_after_block"])


def test_the_identified_csv_names_the_patient_and_quotes_formula_cells(as_cole, diaries):
    rows = table(as_cole.get("/api/v1/exports/diaries/?identified=true"))
    ana_row = next(r for r in rows if r["display_name"] == "Ana Silva" and r["activity"])
    assert ana_row["external_id"] == "H123"
    assert ana_row["activity"] == "'=walking the dog"
    assert ana_row["relief_percent"] in ("75.0", "75")


def test_a_bad_flag_is_a_400_naming_it(as_cole, diaries):
    response = as_cole.get("/api/v1/exports/diaries/?identified=maybe")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["identified"]


def test_the_export_is_audited_with_every_patient_exported(as_cole, diaries):
    as_cole.get("/api/v1/exports/diaries/")
    row = AuditEvent.objects.get(action=Action.EXPORT)
    assert row.patient_id_list == sorted([diaries["ana"].pk, diaries["ben"].pk])
    assert row.changes == {"identified": False}


def test_an_empty_flag_is_the_default_de_identified_export(as_cole, diaries):
    empty = as_cole.get("/api/v1/exports/diaries/?identified=")

    assert empty.status_code == 200
    assert empty["Content-Disposition"].endswith('"diaries-deidentified.csv"')
