"""Passwords, sessions, HTTPS, the login lockout, the request size limit and the CSP."""

from datetime import timedelta

from csp.constants import NONE, SELF

from backend.env import strict_bool
from backend.settings_sections.base import DEBUG, env

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto so secure cookies work, send
# every plain-HTTP request to HTTPS, and tell browsers to come back over HTTPS only (HSTS).
# The health check is exempt from the redirect: load balancers probe it over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/$"]
if strict_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A year, as browsers' preload lists expect; 0 switches it off (e.g. while trying TLS).
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 60 * 60)
    # Only the diary's own name and those under it (diary.clinic.example, *.diary.clinic...).
    SECURE_HSTS_INCLUDE_SUBDOMAINS = strict_bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Off by default: the preload list is hard to leave; a clinic opts in (README).
    SECURE_HSTS_PRELOAD = strict_bool("HSTS_PRELOAD", default=False)
X_FRAME_OPTIONS = "DENY"
# Per-account lockout after failed logins, for every login (API token, dashboard, admin):
# django-axes, whose backend goes first and refuses a locked account before any password
# is checked. Locked per (username, address) first and per username at a higher count, so
# a guesser cannot lock the on-call nurse out from everywhere (diary/lockout.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "diary.lockout.PairThenAccountHandler"
# Its "AXES: BEGIN version …" banner came from every process, migrate and seeding included.
AXES_VERBOSE = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_FAILURE_LIMIT = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_ACCOUNT_FAILURES = env.int("LOGIN_LOCKOUT_ACCOUNT_FAILURES", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15.0))
# Guesses during a lockout do not lengthen it: it ends a cool-off after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The address the throttles count (TRUSTED_PROXIES), never axes's own reading of
# X-Forwarded-For, which a client can write.
AXES_CLIENT_IP_CALLABLE = "diary.api.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "web.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The staff dashboard (web/dashboard/).
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:today"
LOGOUT_REDIRECT_URL = "dashboard:login"
# How long a staff invitation's set-password link works (diary.services.staff). Django's
# default is 3 days too; said here because the invitation e-mail and the admin's page
# promise it, and a colleague invited on a Friday should still get in on Monday.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60

# Diary entries are a few hundred bytes; anything near this limit is not a diary entry.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BYTES", default=64 * 1024)

# Every page loads only its own scripts, styles and images: no inline script, no other host
# (ARCHITECTURE.md, the people-facing surfaces). django-csp sets the header on every answer.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}
