"""One-click unsubscribe from e-mail reminders (RFC 8058).

Every reminder e-mail names, in ``List-Unsubscribe``, a link signed for its patient; a mail
client's "unsubscribe" button POSTs ``List-Unsubscribe=One-Click`` to it, and a person who
opens it in a browser gets a page with a button that does the same. Either switches
e-mail reminders off for that patient, with the reason "unsubscribed" on their contact
record, which the clinic sees (and can undo there). Signed, not stored: the signature,
under SECRET_KEY, is the only key, and it can do nothing but this.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from diary.models import Patient
from notifications.models import ContactPreference

SALT = "notifications.unsubscribe"
REASON = "unsubscribed"


def token_for(patient_id: int) -> str:
    return signing.Signer(salt=SALT).sign(str(patient_id))


def url_for(patient_id: int) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/email/unsubscribe/{token_for(patient_id)}/"


def patient_of(token: str) -> Patient | None:
    """The patient a token was signed for; None for a forged, cut or unknown one."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return Patient.objects.select_related("clinic").filter(pk=int(value)).first()


@transaction.atomic
def unsubscribe_from_email(patient: Patient) -> str | None:
    """Switch e-mail reminders off; the reason it was off before, or None when it already
    was (a second click, a mail client that POSTs twice: nothing changes)."""
    ContactPreference.objects.get_or_create(patient=patient)
    contact = ContactPreference.objects.select_for_update().get(patient=patient)
    if contact.email_disabled_at is not None:
        return None
    before = contact.email_disabled_reason
    contact.email_disabled_at = timezone.now()
    contact.email_disabled_reason = REASON
    contact.save(update_fields=["email_disabled_at", "email_disabled_reason"])
    return before
