"""The audit trail for a clinic's admins: search it, and download the search as CSV."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from audit import log as audit
from audit import search
from audit.models import Action
from diary.api.audit_views import AuditFilter
from web.dashboard.access import page, staff_only

PAGE_SIZE = 50


def _filtered(request, clinic):
    return AuditFilter(request.GET or None, queryset=search.of_clinic(clinic.pk))


@staff_only(role="admin")
@require_GET
def audit_log(request, clinic):
    filters = _filtered(request, clinic)
    valid = filters.is_valid() if filters.is_bound else True
    events = filters.qs if valid else search.of_clinic(clinic.pk).none()
    shown = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "nav": "audit",
        "clinic": clinic,
        "form": filters.form,
        "events": shown,
        "query": query.urlencode(),
    }
    return page(request, "dashboard/audit.html", context, status=200 if valid else 400)


@staff_only(role="admin")
@require_GET
def audit_export(request, clinic):
    filters = _filtered(request, clinic)
    if filters.is_bound and not filters.is_valid():
        return HttpResponse("Fix the search first.", status=400, content_type="text/plain")
    chosen = {k: v for k, v in request.GET.items() if k in AuditFilter.base_filters}
    audit.record(Action.EXPORT, "auditevent", changes={"filters": chosen})
    response = HttpResponse(search.as_csv(filters.qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
