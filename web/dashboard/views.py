"""The staff dashboard: server-rendered pages over the clinic's diary and alerts.

Views are thin: read through ``queries`` (always scoped to the signed-in user's clinic),
write only through the alert services. Every response says ``no-store``: nothing with
patient data may stay in a browser's cache after sign-out.
"""

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from diary import review
from diary.api.permissions import staff_membership
from diary.api.throttles import ScopedThrottle
from diary.models import CheckInStatus, ProcedureKind, ProcedureStatus
from diary.services import DiaryError
from diary.triage import RULE_TITLES
from notifications import alerts
from notifications.paging import step_role
from web.dashboard import block_queries, paged, queries
from web.dashboard.access import IDLE_SECONDS, is_htmx, page, staff_only, start_session

# --- Signing in and out --------------------------------------------------------------------


class StaffLoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        # Same words as a wrong password: the form does not tell who has an account.
        if staff_membership(user) is None:
            raise self.get_invalid_login_error()


class StaffLoginView(LoginView):
    template_name = "dashboard/login.html"
    authentication_form = StaffLoginForm
    extra_context = {"idle_minutes": IDLE_SECONDS // 60}
    # The API's staff login rate (THROTTLE_LOGIN), and the same budget: one password guesser
    # cannot double it by alternating between the two doors.
    throttle_scope = "login"

    def post(self, request, *args, **kwargs):
        if not ScopedThrottle().allow_request(request, self):
            context = self.get_context_data(form=self.get_form_class()(request), throttled=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        start_session(self.request)
        return response


class StaffLogoutView(LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Also drop anything the browser kept despite no-store (e.g. its back-forward cache).
        response["Clear-Site-Data"] = '"cache"'
        return response


# --- Pages ---------------------------------------------------------------------------------


@staff_only
@require_GET
def today(request, clinic):
    now = timezone.now()
    recent, coming = queries.today(
        clinic, now, recent_page=request.GET.get("page"), coming_page=request.GET.get("coming")
    )
    # Verdicts for the rows shown only: each one reads the block's entries and rules.
    verdicts = review.procedure_responses(
        [row.procedure for row in recent if _verdict_applies(row.procedure)],
        zone=ZoneInfo(clinic.timezone),
    )
    for row in recent:
        row.verdict = verdicts.get(row.procedure.pk)
    live_alerts, live_count = queries.live_alerts(clinic)
    return page(
        request,
        "dashboard/today.html",
        {
            "nav": "today",
            "clinic": clinic,
            "now": now,
            "recent": recent.object_list,
            "recent_page": recent,
            "coming": coming.object_list,
            "coming_page": coming,
            "live_alerts": live_alerts,
            "live_count": live_count,
        },
    )


@staff_only
@require_GET
def procedure(request, clinic, procedure_id):
    block = block_queries.procedure_of(clinic, procedure_id)
    checkins = block_queries.checkins(block)
    missed = [c for c in checkins if c.status == CheckInStatus.MISSED]
    verdict = review.procedure_response(block)
    now = timezone.now()
    others = block_queries.other_blocks(block)
    other_verdicts = review.procedure_responses(
        [o for o in others if _verdict_applies(o)], zone=ZoneInfo(clinic.timezone)
    )
    readiness = review.rfa_readiness(block.patient)
    counted = sorted(
        (b for b in [block, *others] if b.pk in readiness.blocks), key=lambda b: b.performed_at
    )
    return page(
        request,
        "dashboard/procedure.html",
        {
            "clinic": clinic,
            "now": now,
            "procedure": block,
            # The chart uses the verdict's readings and window whatever the block's kind.
            "verdict": verdict if _verdict_applies(block) else None,
            "readings": block_queries.readings(block),
            "checkins": checkins,
            "missed": missed,
            "findings": block_queries.findings(block),
            "alerts": block_queries.patient_alerts(block),
            "others": [(other, other_verdicts.get(other.pk)) for other in others],
            "readiness": readiness,
            "readiness_blocks": counted,
            "chart": block_queries.chart_data(block, checkins, verdict, now),
            "chart_summary": block_queries.chart_summary(verdict, missed),
        },
    )


def _verdict_applies(block) -> bool:
    """A verdict means something only for a diagnostic block that has been done."""
    return (
        block.kind == ProcedureKind.DIAGNOSTIC_MBB
        and block.status != ProcedureStatus.CANCELLED
        and block.performed_at <= timezone.now()
    )


@staff_only
@require_GET
def alert_board(request, clinic):
    return page(request, "dashboard/board.html", _board_context(clinic, _shows_all(request)))


@staff_only
@require_GET
def board_fragment(request, clinic):
    """The board's content, polled by htmx; "no change" (204) when it would look the same."""
    context = _board_context(clinic, _shows_all(request))
    if request.GET.get("v") == context["board"].version:
        return HttpResponse(status=204)
    return page(request, "dashboard/_board_response.html", context)


def _shows_all(request) -> bool:
    """?all=1: every live alert, not only the most urgent (the board says how many more).
    An action taken on the board (htmx) keeps the board's own choice, from its address."""
    if request.GET.get("all") == "1":
        return True
    board_url = request.headers.get("HX-Current-URL", "")
    return "all=1" in urlsplit(board_url).query.split("&")


def _board_context(clinic, show_all=False, **extra):
    board = queries.board(clinic, timezone.now(), show_all=show_all)
    return {"nav": "board", "clinic": clinic, "board": board, **extra}


@staff_only
@require_GET
def alert_detail(request, clinic, alert_id):
    admin = staff_membership(request.user).is_admin
    context = _alert_context(clinic, alert_id, webhook_answers=admin)
    return page(request, "dashboard/alert.html", context)


def _alert_context(clinic, alert_id, *, webhook_answers=False, **extra):
    alert = queries.alert_with_history(clinic, alert_id)
    entries = {e.finding.entry for e in alert.events.all() if e.finding and e.finding.entry}
    return {
        "clinic": clinic,
        "now": timezone.now(),
        "alert": alert,
        "rule_title": RULE_TITLES.get(alert.rule, alert.rule),
        "paged": paged.paged(alert, webhook_answers=webhook_answers),
        "step_words": step_role(alert.escalation_step),
        "late_words": queries.duration(alert.reported_late_seconds // 60)
        if alert.reported_late_seconds
        else "",
        "entries": [
            (entry, block_queries.symptoms(entry))
            for entry in sorted(entries, key=lambda e: (e.recorded_at, e.pk))
        ],
        **extra,
    }


# --- Actions (writes go through notifications.alerts) --------------------------------------


@staff_only
@require_POST
def acknowledge(request, clinic, alert_id):
    alert = queries.alert_of(clinic, alert_id)
    alerts.acknowledge_alert(alert, request.user)
    return _after_action(request, clinic, alert)


@staff_only
@require_POST
def resolve(request, clinic, alert_id):
    alert = queries.alert_of(clinic, alert_id)
    try:
        alerts.resolve_alert(alert, request.user, request.POST.get("note", ""))
    except DiaryError as error:
        # 422 is swapped in by htmx (base.html's htmx-config), so the board shows why.
        if is_htmx(request):
            context = _board_context(
                clinic, _shows_all(request), error=error.message, error_alert=alert
            )
            return page(request, "dashboard/_board_response.html", context, status=422)
        context = _alert_context(clinic, alert.pk, error=error.message)
        return page(request, "dashboard/alert.html", context, status=422)
    return _after_action(request, clinic, alert)


def _after_action(request, clinic, alert):
    if is_htmx(request):
        context = _board_context(clinic, _shows_all(request))
        return page(request, "dashboard/_board_response.html", context)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("dashboard:alert", args=[alert.pk])
    return redirect(target)
