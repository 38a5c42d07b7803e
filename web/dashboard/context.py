"""What every dashboard template may ask about the signed-in user: their roles here.

Lazy on purpose: a page that never shows the nav (the web check-in, the login) must not
pay a session or membership query for it. On a staff page the membership is the one
``staff_only`` already loaded onto ``request.user``.
"""

from diary.api.permissions import staff_membership
from notifications import outbox


def roles(request):
    def is_admin() -> bool:
        membership = staff_membership(getattr(request, "user", None))
        return bool(membership and membership.is_admin)

    # A callable: the template calls it only where ``is_admin`` is used.
    return {"is_admin": is_admin, "outbox_on": outbox.enabled()}
