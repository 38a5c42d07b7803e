"""The REST framework and the OpenAPI schema (drf-spectacular)."""

from backend.env import strict_bool
from backend.settings_sections.base import DEBUG, env

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
