"""VERP addresses: an e-mail's envelope sender that names its delivery, signed.

``bounces+<delivery id>-<hmac>@domain`` at the domain of ``EMAIL_BOUNCE_ADDRESS``: a
bounce sent there says which delivery failed, and the hmac (under SECRET_KEY) that we
made the address, so a forged bounce cannot switch anyone's address off. Pure.
"""

import hmac
import re

from django.conf import settings
from django.utils.crypto import salted_hmac

SALT = "notifications.bounces"
# Lower-case hex: some servers fold a local part's case on the way back.
SIGNATURE_LENGTH = 16


def _signature(delivery_id: int) -> str:
    return salted_hmac(SALT, str(delivery_id)).hexdigest()[:SIGNATURE_LENGTH]


def return_path(delivery_id: int) -> str:
    """The VERP envelope sender for one delivery; "" while no bounce address is set."""
    bounce = settings.EMAIL_BOUNCE_ADDRESS
    if not bounce:
        return ""
    local, domain = bounce.rsplit("@", 1)
    return f"{local}+{delivery_id}-{_signature(delivery_id)}@{domain}"


def delivery_id_of(address: str) -> int | None:
    """The delivery a VERP address names, if its hmac is ours."""
    bounce = settings.EMAIL_BOUNCE_ADDRESS
    if not bounce or not address:
        return None
    local, domain = bounce.rsplit("@", 1)
    pattern = rf"<?{re.escape(local)}\+(\d{{1,18}})-([0-9a-f]+)@{re.escape(domain)}>?"
    found = re.fullmatch(pattern, address.strip(), flags=re.IGNORECASE)
    if found is None:
        return None
    delivery_id, given = int(found[1]), found[2].lower()
    return delivery_id if hmac.compare_digest(given, _signature(delivery_id)) else None
