"""Blocks in the dashboard: register, correct and cancel, with the re-plan shown.

A clinician does these; the rules are the API's own (``ProcedureSerializer``) and each write
is one service call (``create_procedure``, ``update_procedure``, ``cancel_procedure``).
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import log as audit
from audit.models import Action
from diary import services
from diary.api.serializers import ProcedureSerializer, clinic_users
from diary.services import DiaryError
from exports.api import pdf_response
from web.dashboard import patient_queries as queries
from web.dashboard.access import page, staff_only
from web.dashboard.forms import BlockForm, checked


def _clinicians(clinic):
    return clinic_users(clinic).filter(membership__is_clinician=True).order_by("username")


@staff_only(role="clinician")
@require_http_methods(["GET", "HEAD", "POST"])
def block_new(request, clinic, patient_id):
    patient = queries.patient_of(clinic, patient_id)
    form = BlockForm(
        request.POST or None,
        clinic=clinic,
        clinicians=_clinicians(clinic),
        initial={"proceduralist": request.user.pk, "kind": "diagnostic_mbb"},
    )
    if request.method == "POST" and form.is_valid():
        body = {**form.procedure_fields(), "patient": patient.pk}
        serializer = ProcedureSerializer(data=body, context={"clinic": clinic})
        data = checked(form, serializer)
        if data is not None:
            try:
                block = services.create_procedure(**data)
            except DiaryError as error:
                form.add_error(None, error.message)
            else:
                planned = block.checkins.count()
                messages.success(request, f"Block registered; {planned} check-ins planned.")
                return redirect("dashboard:procedure", procedure_id=block.pk)
    context = {"nav": "patients", "clinic": clinic, "patient": patient, "form": form}
    return page(request, "dashboard/block_form.html", context, status=400 if form.errors else 200)


@staff_only(role="clinician")
@require_http_methods(["GET", "HEAD", "POST"])
def block_edit(request, clinic, procedure_id):
    block = queries.block_of(clinic, procedure_id)
    form = BlockForm(
        request.POST or None,
        clinic=clinic,
        clinicians=_clinicians(clinic),
        initial=BlockForm.initial_of(block),
    )
    if request.method == "POST" and form.is_valid():
        serializer = ProcedureSerializer(
            block, data=form.procedure_fields(), partial=True, context={"clinic": clinic}
        )
        data = checked(form, serializer)
        if data is not None:
            before = dict(block.checkins.values_list("key", "due_at"))
            try:
                services.update_procedure(block, **data)
            except DiaryError as error:
                form.add_error(None, error.message)
            else:
                after = dict(block.checkins.values_list("key", "due_at"))
                moved = sum(1 for key, due in after.items() if before.get(key) != due)
                messages.success(
                    request,
                    f"Block corrected; {moved} check-in(s) re-planned."
                    if moved
                    else "Block corrected; the check-ins are unchanged.",
                )
                return redirect("dashboard:procedure", procedure_id=block.pk)
    context = {
        "nav": "patients",
        "clinic": clinic,
        "patient": block.patient,
        "procedure": block,  # not "block": Django's {% block %} tags use that name
        "form": form,
    }
    return page(request, "dashboard/block_form.html", context, status=400 if form.errors else 200)


@staff_only(role="clinician")
@require_POST
def block_cancel(request, clinic, procedure_id):
    block = queries.block_of(clinic, procedure_id)
    services.cancel_procedure(block)
    messages.success(request, "Block cancelled; its open check-ins ask nothing more.")
    return redirect("dashboard:patient", patient_id=block.patient_id)


@staff_only
@require_GET
def block_report(request, clinic, procedure_id):
    """The block's printable report (PDF), as the API gives it; an export in the trail."""
    block = queries.block_of(clinic, procedure_id)
    response = pdf_response(block)
    audit.record(Action.EXPORT, "procedure", [block.pk], patient_ids=[block.patient_id])
    request.__dict__.pop("audit_noted", None)  # the export row says it: not a read too
    return response
