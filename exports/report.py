"""The printable block report (PDF, WeasyPrint): what a clinician files in the record or
sends with a prior-authorisation request. Reads through diary.review, renders a template
with the server-drawn SVG chart, and lets WeasyPrint lay it out (no script, no network:
``url_fetcher`` refuses every fetch, so a report never reaches another host)."""

from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from diary import review
from diary.models import DiaryEntry, ProcedureKind
from diary.response.relief import minutes_after_block, relief_percent
from exports.report_chart import ChartPoint, relief_svg
from notifications.models import Alert


def _no_fetch(url, *args, **kwargs):
    raise ValueError(f"The report loads nothing from outside: {url}")


def context(block) -> dict:
    zone = ZoneInfo(block.patient.clinic.timezone)
    verdict = review.procedure_response(block)
    readiness = review.rfa_readiness(block.patient)
    entries = list(
        DiaryEntry.objects.current().filter(procedure=block).order_by("recorded_at", "id")
    )
    readings = [
        {
            "entry": e,
            "minutes": minutes_after_block(block.performed_at, e.recorded_at),
            "relief": relief_percent(block.baseline_pain, e.pain_score),
        }
        for e in entries
    ]
    points = [ChartPoint(r["minutes"], r["relief"]) for r in readings if r["relief"] is not None]
    chart = relief_svg(
        points, window_minutes=verdict.expected_window_minutes, threshold=verdict.threshold_percent
    )
    return {
        "block": block,
        "patient": block.patient,
        "clinic": block.patient.clinic,
        "verdict": verdict,
        "diagnostic": block.kind == ProcedureKind.DIAGNOSTIC_MBB,
        "readings": readings,
        "chart": mark_safe(chart),  # noqa: S308 (drawn here from numbers, no user text)
        "findings": list(block.findings.select_related("entry").order_by("created_at", "id")),
        "alerts": list(
            Alert.objects.filter(procedure=block)
            .select_related("acknowledged_by", "resolved_by")
            .order_by("created_at", "id")
        ),
        "readiness": readiness,
        "zone": zone,
        "generated_at": timezone.now(),
    }


def render_html(block) -> str:
    data = context(block)
    with timezone.override(data["zone"]):
        return render_to_string("exports/block_report.html", data)


def render_pdf(block) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which start-up need not

    return HTML(string=render_html(block), url_fetcher=_no_fetch).write_pdf()
