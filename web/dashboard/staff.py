"""A clinic's staff in the dashboard: the list (a page at a time), inviting a colleague,
their name, e-mail and roles, switching an account off and on; and the public page where an
invited colleague sets their password.

Every staff page is the clinic admin's alone (``staff_only(role="admin")``: 403 for other
staff, 404 for anyone of another clinic). Each write calls one service of
``diary.services.staff``, which holds the rules (one active admin at least, not oneself).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from diary import services
from diary.api.permissions import staff_membership
from diary.models import StaffMembership
from diary.services import DiaryError
from notifications.oncall import display_name
from web.dashboard.access import page, staff_only, start_session
from web.dashboard.forms import DetailsForm, InviteForm, RolesForm

PAGE_SIZE = 25


@staff_only(role="admin")
@require_http_methods(["GET", "HEAD"])
def staff_list(request, clinic):
    people = (
        StaffMembership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("-user__is_active", "user__first_name", "user__last_name", "user__username", "id")
    )
    shown = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request, "dashboard/staff.html", {"nav": "staff", "clinic": clinic, "people": shown}
    )


@staff_only(role="admin")
@require_http_methods(["GET", "HEAD", "POST"])
def staff_invite(request, clinic):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _ = services.invite_staff(
                clinic,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=form.roles(),
                by=request.user,
            )
        except DiaryError as error:
            _add_error(form, error)
        else:
            messages.success(
                request,
                f"{display_name(user)} is invited: a link to set their password is on its way "
                f"to {user.email}. Their username is {user.get_username()}.",
            )
            return redirect("dashboard:staff")
    context = {
        "nav": "staff",
        "clinic": clinic,
        "form": form,
        "link_lifetime": services.link_lifetime(),
    }
    return page(request, "dashboard/staff_invite.html", context, status=400 if form.errors else 200)


@staff_only(role="admin")
@require_http_methods(["GET", "HEAD", "POST"])
def staff_member(request, clinic, member_id):
    """A colleague's page; its form here changes their roles (details: ``staff_details``)."""
    member = _member_of(clinic, member_id)
    initial = {name: getattr(member, name) for name in RolesForm.base_fields}
    form = RolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_roles(member, **form.cleaned_data, by=request.user)
        except DiaryError as error:
            _add_error(form, error)
        else:
            messages.success(request, f"{display_name(member.user)}'s roles are saved.")
            return redirect("dashboard:staff_member", member_id=member.pk)
    return _member_page(request, clinic, member, form=form)


@staff_only(role="admin")
@require_POST
def staff_details(request, clinic, member_id):
    """Correct a colleague's name and e-mail; errors show on their page, by the field."""
    member = _member_of(clinic, member_id)
    details = DetailsForm(request.POST)
    if details.is_valid():
        try:
            resent = services.update_staff(member, **details.cleaned_data, by=request.user)
        except DiaryError as error:
            _add_error(details, error)
        else:
            said = f"{display_name(member.user)}'s name and e-mail are saved."
            if resent:
                said += f" A new set-password link is on its way to {member.user.email}."
            messages.success(request, said)
            return redirect("dashboard:staff_member", member_id=member.pk)
    return _member_page(request, clinic, member, details=details)


def _member_page(request, clinic, member, *, form=None, details=None):
    if form is None:
        form = RolesForm(initial={name: getattr(member, name) for name in RolesForm.base_fields})
    if details is None:
        user = member.user
        details = DetailsForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "phone": member.phone,
            }
        )
    # A refused change shows the colleague as stored, not as typed (the form keeps that).
    member.user.refresh_from_db()
    member.refresh_from_db()
    context = {
        "nav": "staff",
        "clinic": clinic,
        "member": member,
        "name": display_name(member.user),
        "is_self": member.user_id == request.user.pk,
        "form": form,
        "details": details,
    }
    status = 400 if form.errors or details.errors else 200
    return page(request, "dashboard/staff_member.html", context, status=status)


@staff_only(role="admin")
@require_POST
def staff_works_again(request, clinic, member_id):
    """Their phone or e-mail, switched off after a page failed for good, is paged again."""
    member = _member_of(clinic, member_id)
    address = request.POST.get("address", "")
    try:
        services.restore_staff_address(member, address, by=request.user)
    except DiaryError as error:
        messages.error(request, error.message)
    else:
        what = "phone" if address == "phone" else "e-mail"
        messages.success(request, f"{display_name(member.user)}'s {what} is paged again.")
    return redirect("dashboard:staff_member", member_id=member.pk)


@staff_only(role="admin")
@require_POST
def staff_deactivate(request, clinic, member_id):
    member = _member_of(clinic, member_id)
    try:
        revoked = services.deactivate_staff(member, by=request.user)
    except DiaryError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"{display_name(member.user)} can no longer sign in; {revoked} API token(s) revoked.",
        )
    return redirect("dashboard:staff_member", member_id=member.pk)


@staff_only(role="admin")
@require_POST
def staff_reactivate(request, clinic, member_id):
    member = _member_of(clinic, member_id)
    services.reactivate_staff(member, by=request.user)
    messages.success(request, f"{display_name(member.user)} can sign in again.")
    return redirect("dashboard:staff_member", member_id=member.pk)


@staff_only(role="admin")
@require_POST
def staff_resend(request, clinic, member_id):
    member = _member_of(clinic, member_id)
    try:
        services.resend_invitation(member, by=request.user)
    except DiaryError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"A new set-password link is on its way to {member.user.email}.")
    return redirect("dashboard:staff_member", member_id=member.pk)


def _member_of(clinic, member_id) -> StaffMembership:
    # Another clinic's colleague is a 404 (staff_only turns Http404 into the dashboard's page).
    return get_object_or_404(
        StaffMembership.objects.select_related("user"), clinic=clinic, pk=member_id
    )


def _add_error(form: forms.Form, error: DiaryError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


class SetPasswordView(PasswordResetConfirmView):
    """Django's own password-reset confirmation (token checked, expiry, one use, the
    token moved out of the address before the form shows), in the dashboard's look. The
    colleague is signed in once their password is set."""

    template_name = "dashboard/set_password.html"
    post_reset_login = True
    # Named, since django-axes's backend goes before it in AUTHENTICATION_BACKENDS: Django
    # will not guess which backend signed a user in when there are several.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("dashboard:today")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "link_lifetime": services.link_lifetime()}

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A link sent before the account was switched off, or to someone no longer on
        # any clinic's staff, opens nothing: it reads as an invalid link.
        if user is None or not user.is_active or staff_membership(user) is None:
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        start_session(self.request)
        messages.success(self.request, "Your password is set and you are signed in.")
        return response
