"""Who may call what. A signed-in caller of the wrong kind gets 404, as for others' data."""

from django.http import Http404
from rest_framework.permissions import BasePermission

from diary.models import Patient


def staff_membership(user):
    """The caller's clinic membership, or None (patients and plain users have none)."""
    if isinstance(user, Patient) or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "membership", None)


class IsPatient(BasePermission):
    """The phone app's endpoints: only an enrolled patient."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if not isinstance(request.user, Patient):
            raise Http404
        return True


class IsClinicStaff(BasePermission):
    """Staff endpoints: a user with a membership in a clinic."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if staff_membership(request.user) is None:
            raise Http404
        return True


# Actions that only read, on the staff viewsets: any staff member of the clinic.
READ_ACTIONS = {"list", "retrieve", "entries", "diagnostic_response", "rfa_readiness"}


class ClinicianWrites(BasePermission):
    """Registering and changing patients and blocks is a clinician's (issue 12's roles: a
    nurse on call reads them and acts on alerts; an admin runs the rota and settings)."""

    message = "Only clinicians register and change patients and blocks."

    def has_permission(self, request, view):
        if getattr(view, "action", None) in READ_ACTIONS or request.method in ("GET", "HEAD"):
            return True
        membership = staff_membership(request.user)
        return bool(membership and membership.is_clinician)


class IsClinicAdmin(BasePermission):
    """Clinic admins only; IsClinicStaff runs first, so the caller has a membership.
    Subclasses say what is refused, in ``message``."""

    message = "Only clinic admins can do this."
    refuses_reads = True  # a 403 for GET too: the schema declares it (diary/api/openapi.py)

    def has_permission(self, request, view):
        return request.user.membership.is_admin
