"""Patients in the dashboard: find, register, read, reach and hand out the diary.

A clinician registers patients; any staff member finds and reads them. Each write calls one
service; the registration's rules are the API's own (``PatientSerializer``).
"""

import segno
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods, require_POST

from audit import search
from diary import services
from diary.api.serializers import PatientSerializer
from diary.services import DiaryError
from notifications import invitations
from notifications import services as notify
from web.checkin import pages as checkin_pages
from web.dashboard import patient_queries as queries
from web.dashboard.access import page, staff_only
from web.dashboard.forms import PatientForm, checked

# The enrollment code and link of a patient just registered, shown once on the next page
# (the session keeps them until then: a refresh must not register the patient again).
JUST_ISSUED = "dashboard_just_issued"


@staff_only
@require_http_methods(["GET", "HEAD"])
def patient_list(request, clinic):
    search = request.GET.get("q", "")[:100]
    status = request.GET.get("status", "active")
    if status not in queries.STATUS_FILTERS:
        status = "active"
    found = queries.patient_list(clinic, search=search, status=status, page=request.GET.get("page"))
    context = {
        "nav": "patients",
        "clinic": clinic,
        "patients": found,
        "q": search,
        "status": status,
        "statuses": queries.STATUS_FILTERS,
    }
    return page(request, "dashboard/patients.html", context)


@staff_only(role="clinician")
@require_http_methods(["GET", "HEAD", "POST"])
def patient_new(request, clinic):
    form = PatientForm(request.POST or None, clinic=clinic)
    if request.method == "POST" and form.is_valid():
        serializer = PatientSerializer(data=form.patient_fields(), context={"clinic": clinic})
        data = checked(form, serializer)
        if data is not None:
            patient, code, expires_at = services.create_patient(clinic=clinic, **data)
            notify.update_contact(
                notify.contact_of(patient), channel_order=form.cleaned_data["channel_order"]
            )
            _keep_for_next_page(request, patient, code, expires_at)
            return redirect("dashboard:patient", patient_id=patient.pk)
    context = {"nav": "patients", "clinic": clinic, "form": form}
    status = 400 if form.errors else 200
    return page(request, "dashboard/patient_new.html", context, status=status)


def _keep_for_next_page(request, patient, code, expires_at) -> None:
    url, _ = services.issue_patient_link(patient)
    request.session[JUST_ISSUED] = {
        "patient": patient.pk,
        "code": code,
        "expires_at": expires_at.isoformat(),
        "url": url,
    }


def _just_issued(request, patient) -> dict | None:
    """The code and link issued for this patient on the previous request, once."""
    issued = request.session.get(JUST_ISSUED)
    if not issued or issued["patient"] != patient.pk:
        return None
    del request.session[JUST_ISSUED]
    qr = segno.make(issued["code"], error="m")
    issued["qr_svg"] = qr.svg_inline(scale=5, title=f"Enrollment code {issued['code']}")
    link_qr = segno.make(issued["url"], error="m")
    issued["link_qr_svg"] = link_qr.svg_inline(scale=3, title="Link to the web check-in")
    return issued


@staff_only
@require_http_methods(["GET", "HEAD"])
def patient_detail(request, clinic, patient_id):
    patient = queries.patient_of(clinic, patient_id)
    context = {
        "nav": "patients",
        "clinic": clinic,
        "view": queries.patient_page(patient),
        "looked_at": search.looked_at(patient),
        "issued": _just_issued(request, patient),
        "now": timezone.now(),
    }
    return page(request, "dashboard/patient.html", context)


@staff_only(role="clinician")
@require_POST
def new_code(request, clinic, patient_id):
    """A fresh enrollment code and link (the previous code stops working)."""
    patient = queries.patient_of(clinic, patient_id)
    try:
        code, expires_at = services.issue_enrollment_code(patient)
    except DiaryError as error:
        messages.error(request, error.message)
    else:
        _keep_for_next_page(request, patient, code, expires_at)
    return redirect("dashboard:patient", patient_id=patient.pk)


@staff_only
@require_POST
def send_start_link(request, clinic, patient_id):
    """Text or e-mail the patient their link to the web check-in, through the outbox."""
    patient = queries.patient_of(clinic, patient_id)
    channel = request.POST.get("channel", "")
    if channel not in invitations.START_LINK_CHANNELS:
        messages.error(request, "Choose SMS or e-mail.")
    else:
        try:
            invitations.send_start_link(patient, channel)
        except DiaryError as error:
            messages.error(request, error.message)
        else:
            way = "by SMS" if channel == "sms" else "by e-mail"
            messages.success(request, f"The start link is on its way to {patient} {way}.")
    return redirect("dashboard:patient", patient_id=patient.pk)


@staff_only(role="clinician")
@require_POST
def revoke_access(request, clinic, patient_id):
    patient = queries.patient_of(clinic, patient_id)
    revoked = services.revoke_access(patient)
    messages.success(
        request,
        f"{patient}'s app sign-ins and {revoked} web link(s) no longer work. Reminders sent "
        "from now on carry new links; pause the patient to stop them.",
    )
    return redirect("dashboard:patient", patient_id=patient.pk)


@staff_only(role="clinician")
@require_POST
def handout(request, clinic, procedure_id):
    """A printable page for the patient: a fresh code and link (with QR codes), the check-in
    schedule in their time and language, how to rate pain, and what to watch for. A POST:
    printing it issues a new code, and the old one stops working."""
    block = queries.block_of(clinic, procedure_id)
    patient = block.patient
    try:
        code, expires_at = services.issue_enrollment_code(patient)
        url, _ = services.issue_patient_link(patient)
    except DiaryError as error:
        messages.error(request, error.message)
        return redirect("dashboard:patient", patient_id=patient.pk)
    with translation.override(patient.language), timezone.override(patient.timezone):
        context = {
            "clinic": clinic,
            "patient": patient,
            "block": block,
            "code": code,
            "expires_at": expires_at,
            "url": url,
            "code_qr": segno.make(code, error="m").svg_inline(scale=4, title=code),
            "url_qr": segno.make(url, error="m").svg_inline(scale=3, title=url),
            "schedule": checkin_pages.checkins_of(patient)
            .filter(procedure=block)
            .order_by("due_at"),
            "LANGUAGE": patient.language,
        }
        return page(request, "dashboard/handout.html", context)
