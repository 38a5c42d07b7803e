"""Sending e-mail and its bounce path (notifications/transports/email.py)."""

import re

from django.core.exceptions import ImproperlyConfigured

from backend.env import read_secret, strict_bool
from backend.settings_sections.base import env

# Off until EMAIL_HOST is set: Django's own default ("localhost") would make e-mail
# look configured on a server that has no mail server.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = read_secret("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = strict_bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = strict_bool("EMAIL_USE_SSL", default=False)
# Django's default is no timeout at all: one stuck mail server would hold a worker for ever.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=5.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pain diary <noreply@localhost>")
# The bounce path (notifications/bounces.py): e-mails go out with a VERP envelope sender at
# this address's domain, and the MTA pipes what comes back to `manage.py email_bounce`.
EMAIL_BOUNCE_ADDRESS = env.str("EMAIL_BOUNCE_ADDRESS", default="").strip()
if EMAIL_BOUNCE_ADDRESS and not re.fullmatch(r"[^@\s+]+@[^@\s]+\.[^@\s]+", EMAIL_BOUNCE_ADDRESS):
    raise ImproperlyConfigured(
        f"EMAIL_BOUNCE_ADDRESS must be a plain address without +, e.g. bounces@clinic.example, "
        f"not {EMAIL_BOUNCE_ADDRESS!r}"
    )
