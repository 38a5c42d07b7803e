"""The outbox page: what the local outbox kept instead of sending (notifications/outbox.py).

Exists only while the outbox is on (404 otherwise, like any page that is not there). Staff see
their own clinic's messages: a reminder's link opens the patient's web check-in, a page's
link the alert, so a newcomer can follow the loop with nothing but a browser.
"""

from django.http import Http404
from django.views.decorators.http import require_GET

from notifications import outbox
from notifications.models import OutboxMessage
from web.dashboard.access import page, staff_only

SHOWN = 100


@staff_only
@require_GET
def outbox_page(request, clinic):
    if not outbox.enabled():
        raise Http404
    kept = OutboxMessage.objects.filter(clinic=clinic).order_by("-kept_at", "-id")[:SHOWN]
    return page(request, "dashboard/outbox.html", {"nav": "outbox", "clinic": clinic, "kept": kept})
