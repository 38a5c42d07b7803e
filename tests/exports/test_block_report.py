"""The printable block report: a PDF whose text holds the verdict and every reading."""

import os
import shutil
import subprocess

import pytest

from audit.models import Action, AuditEvent
from tests.dashboard import report, signed_in, work_diary

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None and not os.environ.get("CI"),
        reason="needs poppler's pdftotext (.ci/run installs it)",
    ),
]


def text_of(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [shutil.which("pdftotext"), "-layout", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_report_holds_the_verdict_readings_and_payer_points(as_cole, anas_block, tmp_path):
    work_diary(anas_block)
    report(anas_block, 200, 2, numbness="left_leg", can_lift_heel=True)
    response = as_cole.get(f"/api/v1/procedures/{anas_block.pk}/report/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = text_of(response.content, tmp_path)
    assert "Medial branch block report" in text and "Ana Silva" in text
    # Two hours in, inside lidocaine's 3 h window: provisional, leaning as the readings do.
    assert "Verdict" in text and "Provisional (leaning positive)" in text
    assert "peak 87.5 % relief at 30 min" in text
    for minutes in ("15 min", "30 min", "60 min"):
        assert minutes in text
    assert "Baseline pain" in text and "8/10" in text
    assert "Radiofrequency ablation readiness" in text and "14 days apart" in text


def test_the_dashboard_downloads_it_and_the_trail_records_the_export(dr_cole, anas_block, tmp_path):
    response = signed_in(dr_cole).get(f"/dashboard/procedures/{anas_block.pk}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    (row,) = AuditEvent.objects.filter(staff_user_id=dr_cole.pk).exclude(action=Action.SIGN_IN)
    assert (row.action, row.object_kind, row.object_ids) == (
        Action.EXPORT,
        "procedure",
        [anas_block.pk],
    )
