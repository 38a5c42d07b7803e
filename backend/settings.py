"""Settings, read from the environment (django-environ).

Defaults give the embedded set-up: SQLite in WAL mode and Celery's filesystem
transport, both under the git-ignored ``var/`` folder, so the service runs with no
servers. Production sets ``DATABASE_URL`` and ``REDIS_URL``.
"""

import os
import re
import ssl
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from backend.env import read_secret, strict_bool
from backend.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = strict_bool("DEBUG", default=False)

# No default outside debug: a production start-up without a secret must stop here.
SECRET_KEY = read_secret("SECRET_KEY", default="insecure-development-key" if DEBUG else None)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "audit",
    "diary",
    "notifications",
    "exports",
    "web",
]

MIDDLEWARE = [
    # First: every line logged while a request runs carries its id (backend/logs.py).
    "backend.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Serves the admin's and API docs' static files under gunicorn, with no proxy needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Rows of the audit trail written while answering a request say who asked, from where.
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a login that django-axes refused into the locked-out answer (web.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.dashboard.context.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'diary.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the one writer work at once; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue on the timeout instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The few statements of every request (backend.rows.cursor) are prepared on the server
    # once per connection. Django binds every other query on the client, which never
    # prepares, whatever this threshold; Django's default (None) turns preparing off.
    # Off behind a pooler in transaction mode that cannot keep prepared statements
    # (PgBouncer before 1.21, or without max_prepared_statements).
    if strict_bool("PREPARED_HOT_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling) ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache holds only throttle counts: a Redis that is down or unreachable must
            # cost a request half a second at most (diary.api.throttles then counts locally),
            # never hang a patient's report.
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_TIMEOUT_SECONDS", default=0.5),
                "socket_timeout": env.float("CACHE_TIMEOUT_SECONDS", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, sessions, security ----------------------------------------------------
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

LANGUAGE_CODE = "en"
# The patient-facing languages (diary.models.Language): every word a patient reads comes
# from the catalogue in locale/. Staff pages stay English.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start if it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "diary.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["diary.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "diary.api.pagination.DiaryPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "diary.api.openapi.DiaryAutoSchema",
    "EXCEPTION_HANDLER": "diary.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "enroll": env.str("THROTTLE_ENROLL", default="10/min"),
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        "patient": env.str("THROTTLE_PATIENT", default="600/min"),
        # Refused web check-in links per address (a working link is never counted).
        "weblink": env.str("THROTTLE_WEBLINK", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Whose address a throttle counts: with 0 the connecting address only, so a client cannot
    # pick its own by sending X-Forwarded-For; behind N proxies of yours, set N (README).
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "Pain diary after a lumbar medial branch block",
    "DESCRIPTION": (
        "Patients enrol with a clinic's code and record their pain diary from a phone; "
        "clinic staff register patients and blocks and read the diary. Patients send "
        "`Authorization: Bearer <token>` from `/api/v1/enroll/`; staff use a token from "
        "`/api/v1/auth/token/` or a session. Every refusal is the `Error` body; the data a "
        "push carries is `PushReminderData` or `PushAlertPageData` (docs/app-integration.md)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs say nothing about anyone, but a clinic may keep them to its staff.
    "SERVE_PERMISSIONS": (
        ["diary.api.permissions.IsClinicStaff"]
        if strict_bool("API_DOCS_STAFF_ONLY", default=False)
        else ["rest_framework.permissions.AllowAny"]
    ),
    # Swagger UI served from our own static files: nothing is fetched from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "LimbEnum": "diary.models.Limb.choices",
        "CheckInStatusEnum": "diary.models.CheckInStatus.choices",
        "PatientStatusEnum": "diary.models.PatientStatus.choices",
        "ProcedureStatusEnum": "diary.models.ProcedureStatus.choices",
        "FindingSeverityEnum": "diary.models.Severity.choices",
        "AlertSeverityEnum": [("urgent", "urgent"), ("emergency", "emergency")],
        "AlertEventKindEnum": "notifications.models.AlertEventKind.choices",
        "ProcedureKindEnum": "diary.models.ProcedureKind.choices",
        "ClinicStatusStateEnum": "diary.clinic_status.STATES",
        "AlertStateEnum": "notifications.models.AlertState.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "diary.api.schema.describe_common_fields",
        "diary.api.schema_hooks.inline_nullable_refs",
        "diary.api.schema_hooks.collapse_doubled_names",
        "diary.api.schema_hooks.blank_or_value_as_any_of",
        "diary.api.schema_hooks.drop_unused_components",
        "diary.api.schema_hooks.declare_uri_too_long",
        "notifications.api.schema.add_push_payloads",
    ],
    "AUTHENTICATION_WHITELIST": [
        "diary.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# --- Diary ------------------------------------------------------------------------
ENROLLMENT_CODE_TTL_DAYS = 14
# A staff API token unused this long stops working (sliding: each use restarts it).
STAFF_TOKEN_IDLE_HOURS = env.float("STAFF_TOKEN_IDLE_HOURS", default=12.0)
# One re-reminder this far through a check-in's window if still unanswered; "none" to disable.
_rereminder = env.str("REREMINDER_FRACTION", default="0.5")
REREMINDER_FRACTION = None if _rereminder.lower() == "none" else float(_rereminder)
# A phone whose clock is off by more than this (its sent_at against our receipt) has its
# readings' times corrected by that much (diary/clock.py); within it, network time in
# flight is not mistaken for a wrong clock.
CLOCK_SKEW_TOLERANCE_SECONDS = env.float("CLOCK_SKEW_TOLERANCE_SECONDS", default=120.0)

# A patient may correct an entry this long after sending it (a wrong button); later, a new
# entry says what changed.
# How long the audit trail keeps its rows; older ones go with `manage.py prune_audit`
# (which leaves a row of its own). Medical-record rules are years: ten by default.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=3650)
ENTRY_CORRECTION_MINUTES = env.int("ENTRY_CORRECTION_MINUTES", default=30)

# An entry that reaches the server more than this after it was recorded (kept on a phone
# offline, sent in a batch later) is marked as reported late on the alert it raises.
LATE_ENTRY_SECONDS = env.int("LATE_ENTRY_SECONDS", default=15 * 60)

# Triage hands its findings to this one function (the diary never imports notifications).
DIARY_FINDINGS_HANDLER = "notifications.alerts.handle_findings"
# The patient's channel order (push, SMS, e-mail) is kept by notifications; the phone app
# changes it through the diary's /me/ with this (read, clean, write).
DIARY_CHANNEL_ORDER = "notifications.patient_contact.PatientChannelOrder"

# --- Celery -----------------------------------------------------------------------
# The broker only carries "do this now"; what is due lives in the database.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, mended so that a worker survives a Redis outage while it
    # holds countdown tasks (see backend/celery.py).
    CELERY_BROKER_TRANSPORT = "backend.celery:RedisTransport"
    if REDIS_URL.startswith("rediss://"):
        # Named, the transport no longer comes from the URL's scheme, so kombu would not
        # switch TLS on for rediss:// by itself; verify the server as the cache does.
        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # How long kombu's filesystem transport sleeps whenever it finds nothing it may
        # take, which includes just after every task: with prefetch 1 the next message waits
        # for the ack. Its default (1 s) held each worker to one task a second, so under 20
        # clients pages were 20-27 s late (issue 10). An idle poll lists one folder.
        "polling_interval": env.float("FILESYSTEM_POLLING_SECONDS", default=0.1),
    }
# A queue name of its own lets several deployments (or test runs) share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Alert pages go on a queue of their own, served only by the alerts worker (Procfile,
# compose): a worker started without --queues takes the default queue alone. Why not let the
# main worker take alerts too, as a backup: during a burst of reminders it would hold an
# alert it cannot start until the burst drains (bench/alert_latency: p99 6 s, not 30 ms).
CELERY_ALERT_QUEUE = env.str("CELERY_ALERT_QUEUE", default=f"{CELERY_TASK_DEFAULT_QUEUE}-alerts")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_TASK_PUBLISH_RETRY = True
# Bounded: a request that enqueues must never hang on a broker outage.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Celery's Django fixup closes the database connection around every task unless told
# to reuse it: a new PostgreSQL connection per send task cost a fifth of a worker's CPU.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CHECKIN_TICK_SECONDS = env.float("CHECKIN_TICK_SECONDS", default=15.0)
# The health report calls a kind of process (beat, worker, alerts) stopped when its last
# heartbeat is older than two ticks and this (notifications/health.py).
HEARTBEAT_SLACK_SECONDS = env.float("HEARTBEAT_SLACK_SECONDS", default=30.0)
SWEEP_SECONDS = env.float("SWEEP_SECONDS", default=min(5.0, CHECKIN_TICK_SECONDS))
CELERY_BEAT_SCHEDULE = {
    "tick": {
        "task": "notifications.tasks.tick",
        "schedule": CHECKIN_TICK_SECONDS,
        # A tick that waited longer than its period is stale: the next one will do.
        "options": {"expires": CHECKIN_TICK_SECONDS},
    },
    # One to each worker queue: the health report tells a stopped worker from an idle one.
    # Expiring, so a worker that comes back does not work through a backlog of them.
    "heartbeat-worker": {
        "task": "notifications.tasks.heartbeat",
        "schedule": CHECKIN_TICK_SECONDS,
        "args": ["worker"],
        "options": {"expires": CHECKIN_TICK_SECONDS},
    },
    "heartbeat-alerts": {
        "task": "notifications.tasks.heartbeat",
        "schedule": CHECKIN_TICK_SECONDS,
        "args": ["alerts"],
        "options": {"expires": CHECKIN_TICK_SECONDS, "queue": CELERY_ALERT_QUEUE},
    },
    # The sweeper alone, more often than the tick: how soon a killed worker's deliveries
    # go out again is its enqueue lease plus this (docs/decisions.md). Two index lookups.
    "sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": SWEEP_SECONDS,
        "options": {"expires": SWEEP_SECONDS},
    },
    # Hours-long delays: a minute late is on time (notifications/ack_reminders.py).
    "remind-acknowledged": {
        "task": "notifications.tasks.remind_acknowledged",
        "schedule": 60.0,
        "options": {"expires": 60.0, "queue": CELERY_ALERT_QUEUE},
    },
}

# --- Metrics (backend/metrics.py) ----------------------------------------------------
# /metrics answers only with this bearer token; unset, it does not exist (404).
METRICS_TOKEN = read_secret("METRICS_TOKEN", default="")
# Where every process (gunicorn workers, prefork children, beat) writes its counters for
# /metrics to sum. Set here, before prometheus_client is first imported, when the environment
# does not say; an empty value keeps each process's counters to itself (the tests do).
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(VAR_DIR / "metrics")
if os.environ["PROMETHEUS_MULTIPROC_DIR"]:
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
else:  # prometheus_client goes multi-process on the variable's name alone, even empty
    del os.environ["PROMETHEUS_MULTIPROC_DIR"]

# --- Error tracking (backend/errors.py) ------------------------------------------------
# Off unless a DSN is set; then errors of the web and the workers go to Sentry, scrubbed.
SENTRY_DSN = read_secret("SENTRY_DSN", default="")
if SENTRY_DSN:
    from backend import errors

    errors.init(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
        release=env.str("SENTRY_RELEASE", default=""),
    )

# --- E-mail (notifications/transports/email.py) ------------------------------------
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

# --- Notifications ------------------------------------------------------------------
# The patient's web check-in (web/checkin): every reminder links there. Short on purpose:
# a reminder SMS with its link fits one 160-character segment.
WEB_CHECKIN_URL = env.str("WEB_CHECKIN_URL", default=f"{SITE_URL}/c")
# A link opens its check-in until that closes plus this, and the patient's pages until the
# diary's last check-in closes plus this; never past WEB_LINK_MAX_DAYS after it was sent.
WEB_LINK_GRACE_HOURS = env.float("WEB_LINK_GRACE_HOURS", default=2.0)
WEB_LINK_MAX_DAYS = env.int("WEB_LINK_MAX_DAYS", default=45)
# A clinic's webhook may name a loopback, private or reserved host, over http too: only for
# a receiver on the same machine or network in development. Off, the worker posts only to
# public https hosts, so a webhook URL cannot reach inside the network
# (notifications/transports/webhook.py check_url).
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
# PagerDuty's Events API v2 (notifications/transports/pagerduty.py): each clinic that sets its
# service's integration key gets trigger, acknowledge and resolve events there. Only staging
# and tests change the URL, to a local receiver.
PAGERDUTY_EVENTS_URL = env.str(
    "PAGERDUTY_EVENTS_URL", default="https://events.pagerduty.com/v2/enqueue"
)
# The local outbox (notifications/outbox.py): push, SMS and e-mail are kept and listed on the
# dashboard's outbox page instead of sent. On in DEBUG, so that `make run` shows a reminder
# and a page with no provider set up; off otherwise unless set (a test set-up, a training copy).
OUTBOX_CHANNEL = strict_bool("OUTBOX_CHANNEL", default=DEBUG)
# Reminders due before the next tick are claimed now and sent on time by a countdown.
DISPATCH_BATCH = env.int("DISPATCH_BATCH", default=500)
DISPATCH_TIME_BUDGET_SECONDS = env.float("DISPATCH_TIME_BUDGET_SECONDS", default=10.0)
# At least the time a tick may spend claiming: a burst claimed late in a long tick must
# still be enqueued before it falls due.
DISPATCH_LOOKAHEAD_SECONDS = env.float(
    "DISPATCH_LOOKAHEAD_SECONDS", default=max(CHECKIN_TICK_SECONDS, DISPATCH_TIME_BUDGET_SECONDS)
)
# Deliveries per send task: reading and claiming a batch costs a few statements whatever its
# size (bench/dispatch: 20 → 100 cut a reminder's worker CPU by a third).
SEND_BATCH = env.int("SEND_BATCH", default=100)
# A send task claims its batch this many rows at a time, just before sending them: what a
# worker killed mid-batch strands until its send lease runs out (notifications.services).
SEND_CLAIM_CHUNK = max(1, env.int("SEND_CLAIM_CHUNK", default=20))
# Reminder pushes sent are recorded in groups of this many (one statement a group), not one
# statement each: a worker killed mid-group sends the group's unrecorded pushes again, each
# with its collapse id, so the phone replaces it rather than showing it twice. SMS, e-mail,
# webhooks and alert pages are recorded at once whatever this says. 1 records every push at
# once.
PUSH_RECORD_GROUP = max(1, env.int("PUSH_RECORD_GROUP", default=10))
# A send task starts no new send after this: one started just before it, taking as long as
# a send can (connect + read timeouts, 2 x NOTIFY_HTTP_TIMEOUT), still ends before the
# task's soft time limit would cut it mid-request. The rest goes on in a fresh task.
SEND_TASK_BUDGET_SECONDS = env.float("SEND_TASK_BUDGET_SECONDS", default=10.0)
# A queued send not claimed this long after it fell due is re-enqueued by the sweeper
# (notifications/leases.py): a killed worker's reminders go out again within this plus
# SWEEP_SECONDS of their time. Longer than a healthy queue takes to reach a reminder in a
# burst (bench/dispatch: 10,000 due at once, p99 5 s); one that runs out only costs a
# second task, never a second send. Pages: shorter, they must not wait (goal: 10 s).
DELIVERY_ENQUEUE_LEASE_SECONDS = env.float("DELIVERY_ENQUEUE_LEASE_SECONDS", default=10.0)
DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS = env.float(
    "DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS", default=3.0
)
# How long a claimed row is kept from others: longer than one send can take (connect + read,
# 2 x NOTIFY_HTTP_TIMEOUT / EMAIL_TIMEOUT), renewed by the sending worker before each send
# when less than that is left. Past it, the worker is gone: a killed worker's rows go out
# again within this plus SWEEP_SECONDS (the reminder goal through a kill -9 is 20 s).
DELIVERY_SEND_LEASE_SECONDS = env.float("DELIVERY_SEND_LEASE_SECONDS", default=12.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)
# The circuit breaker per channel (notifications/breaker.py): this many permanent failures
# of one channel within the window hold its sends for the hold time, disabling nobody.
BREAKER_THRESHOLD = env.int("BREAKER_THRESHOLD", default=20)
BREAKER_WINDOW_SECONDS = env.int("BREAKER_WINDOW_SECONDS", default=300)
BREAKER_HOLD_SECONDS = env.int("BREAKER_HOLD_SECONDS", default=600)

# One line per record, with the request (or task) it belongs to (backend/logs.py): JSON for a
# log collector, or the plain lines a person reads in `make run` (the default in DEBUG).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be 'json' or 'plain', not {LOG_FORMAT!r}")
LOGGING = logging_config(
    json_lines=LOG_FORMAT == "json", level=env.str("LOG_LEVEL", default="INFO")
)
# Celery's workers and beat write through the same handler as the web, not a format of
# their own: one shape of line for the collector, request ids included.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
if not REDIS_URL:
    # kombu's filesystem transport has no host, and says so at WARNING on every connection.
    LOGGING["loggers"] = {"kombu.connection": {"level": "ERROR"}}
