"""The on-call rota as a week: every staff member can read it; a clinic admin adds, changes
and removes shifts. Gaps and people who cannot be paged are the API's coverage warnings.
Writes are the API's own rules (``ShiftSerializer``) and services (``notifications.oncall``).
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from diary.api.permissions import staff_membership
from diary.api.serializers import clinic_users
from diary.services import DiaryError
from notifications import oncall
from notifications.api.oncall_serializers import ShiftSerializer
from notifications.models import OnCallShift
from web.dashboard.access import page, staff_only
from web.dashboard.forms import checked

LOCAL = "%Y-%m-%dT%H:%M"


class ShiftForm(forms.Form):
    user = forms.TypedChoiceField(coerce=int, label="Who")
    role = forms.ChoiceField(
        choices=[("primary", "Primary (paged first)"), ("backup", "Backup")], label="Role"
    )
    starts_at = forms.DateTimeField(
        label="Starts (clinic time)",
        input_formats=[LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )
    ends_at = forms.DateTimeField(
        label="Ends (clinic time)",
        input_formats=[LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
    )

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(clinic.timezone)
        self.fields["user"].choices = [
            (u.pk, oncall.display_name(u)) for u in clinic_users(clinic).order_by("username")
        ]

    def shift_fields(self) -> dict:
        """The API's shift body: the wall times typed, in the clinic's zone."""
        data = dict(self.cleaned_data)
        for name in ("starts_at", "ends_at"):
            wall = timezone.make_naive(data[name]) if timezone.is_aware(data[name]) else data[name]
            data[name] = wall.replace(tzinfo=self.zone).isoformat()
        return data


def _monday(text: str | None, zone: ZoneInfo) -> date:
    try:
        day = date.fromisoformat(text) if text else timezone.now().astimezone(zone).date()
    except ValueError:
        day = timezone.now().astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _week(clinic, monday: date) -> list[tuple[date, list, list]]:
    """Each day of the week with its primary and backup shifts (one query)."""
    zone = ZoneInfo(clinic.timezone)
    start = datetime.combine(monday, time(0), zone)
    end = start + timedelta(days=7)
    shifts = list(
        OnCallShift.objects.filter(clinic=clinic, starts_at__lt=end, ends_at__gt=start)
        .select_related("user")
        .order_by("starts_at", "role")
    )
    days = []
    for offset in range(7):
        day_start = start + timedelta(days=offset)
        day_end = day_start + timedelta(days=1)
        on_day = [s for s in shifts if s.starts_at < day_end and s.ends_at > day_start]
        days.append(
            (
                day_start.date(),
                [s for s in on_day if s.role == "primary"],
                [s for s in on_day if s.role == "backup"],
            )
        )
    return days


@staff_only
@require_http_methods(["GET", "HEAD"])
def rota(request, clinic):
    zone = ZoneInfo(clinic.timezone)
    monday = _monday(request.GET.get("week"), zone)
    context = {
        "nav": "rota",
        "clinic": clinic,
        "days": _week(clinic, monday),
        "monday": monday,
        "previous": monday - timedelta(days=7),
        "next": monday + timedelta(days=7),
        "warnings": oncall.coverage_warnings(clinic, timezone.now()),
        "form": ShiftForm(clinic=clinic, initial=_initial(monday, zone)),
        "membership": staff_membership(request.user),
    }
    return page(request, "dashboard/rota.html", context)


def _initial(monday: date, zone: ZoneInfo) -> dict:
    """A day shift, 08:00-20:00, on the week's first day that has not passed."""
    day = max(monday, timezone.now().astimezone(zone).date())
    start = datetime.combine(day, time(8))
    return {"starts_at": start, "ends_at": start + timedelta(hours=12)}


@staff_only(role="admin")
@require_http_methods(["GET", "HEAD", "POST"])
def shift_new(request, clinic):
    return _shift_form(request, clinic, None)


@staff_only(role="admin")
@require_http_methods(["GET", "HEAD", "POST"])
def shift_edit(request, clinic, shift_id):
    shift = get_object_or_404(OnCallShift, pk=shift_id, clinic=clinic)
    return _shift_form(request, clinic, shift)


def _shift_form(request, clinic, shift):
    zone = ZoneInfo(clinic.timezone)
    initial = None
    if shift is not None:
        initial = {
            "user": shift.user_id,
            "role": shift.role,
            "starts_at": shift.starts_at.astimezone(zone).replace(tzinfo=None),
            "ends_at": shift.ends_at.astimezone(zone).replace(tzinfo=None),
        }
    form = ShiftForm(request.POST or None, clinic=clinic, initial=initial)
    if request.method == "POST" and form.is_valid():
        serializer = ShiftSerializer(shift, data=form.shift_fields(), context={"clinic": clinic})
        data = checked(form, serializer)
        if data is not None:
            try:
                if shift is None:
                    saved = oncall.create_shift(clinic=clinic, **data)
                else:
                    saved = oncall.update_shift(shift, **data)
            except DiaryError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, f"Shift saved: {oncall.display_name(saved.user)}.")
                return _to_week(saved, zone)
    context = {"nav": "rota", "clinic": clinic, "form": form, "shift": shift}
    context["membership"] = staff_membership(request.user)
    return page(request, "dashboard/shift_form.html", context, status=400 if form.errors else 200)


@staff_only(role="admin")
@require_POST
def shift_delete(request, clinic, shift_id):
    shift = get_object_or_404(OnCallShift, pk=shift_id, clinic=clinic)
    oncall.delete_shift(shift)
    messages.success(request, "Shift removed.")
    return _to_week(shift, ZoneInfo(clinic.timezone))


def _to_week(shift: OnCallShift, zone: ZoneInfo):
    week = _monday(shift.starts_at.astimezone(zone).date().isoformat(), zone)
    return redirect(f"{reverse('dashboard:rota')}?week={week.isoformat()}")
