"""One error body for every refused request under /api/: a code, a message, the fields.

``{"code": "invalid", "message": "pain_score: …", "fields": {"pain_score": ["…"]}}``:
``code`` is for the app's logic, ``message`` for a log or a last-resort alert, ``fields``
for the form (empty when no field is at fault). The same shape for 400, 401, 403, 404,
409 and 429 from DRF, and for Django's own 404 and 500 under /api/ (never an HTML page).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from diary.services import DiaryError

NON_FIELD = "non_field_errors"


class Conflict(exceptions.APIException):
    """409: the request is well formed but contradicts what is stored."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflicts with what is stored."
    default_code = "conflict"


class BodyTooLarge(exceptions.APIException):
    # 400 as before (not 413): apps already treat it as "fix the request, do not retry".
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "too_large"


class ErrorSerializer(serializers.Serializer):
    """The schema of the error body; the handler below builds it."""

    code = serializers.CharField(
        help_text="What went wrong, for the app's logic: invalid, conflict, not_found, "
        "not_authenticated, authentication_failed, permission_denied, throttled, "
        "parse_error, too_large, length_required, method_not_allowed, unsupported_media_type, "
        "server_error."
    )
    message = serializers.CharField(help_text="The same in English words, for a log or a person.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Each field at fault, with what is wrong with it; nested fields are named "
        "with dots (checkins.0.due_at), errors of no one field under non_field_errors. "
        "Empty when no field is at fault.",
    )


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": message, "fields": fields or {}}


def flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": ["message", …]}``."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, value in enumerate(detail):
            flat.update(flatten(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or NON_FIELD: [str(message) for message in messages]}


def summary(fields: dict[str, list[str]]) -> str:
    if not fields:
        return "Invalid input."
    name, messages = next(iter(fields.items()))
    first = messages[0] if name == NON_FIELD else f"{name}: {messages[0]}"
    more = len(fields) - 1
    return f"{first} (and {more} more field{'s' if more > 1 else ''})" if more else first


def _as_api_exception(exc):
    """Our own and Django's exceptions as the DRF exception with the right status."""
    if isinstance(exc, DiaryError):
        return exceptions.ValidationError({exc.field: [exc.message]})
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        # DRF reads request.body (with Django's size check) before our parser sees the
        # stream; without this the phone gets Django's HTML 400 page, not JSON.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return BodyTooLarge(f"Request body is larger than {limit} bytes.")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _body_of(exc: exceptions.APIException) -> dict:
    detail = exc.detail
    if isinstance(detail, dict | list):
        fields = flatten(detail)
        code = "invalid" if isinstance(exc, exceptions.ValidationError) else exc.default_code
        return error_body(code, summary(fields), fields)
    return error_body(getattr(detail, "code", None) or exc.default_code, str(detail))


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)  # status, Retry-After, WWW-Authenticate
    if response is not None:
        response.data = _body_of(exc)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request, exception):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


def api_server_error(request):
    if _is_api(request):
        message = "Server error; the request may be retried. It has been logged."
        return JsonResponse(error_body("server_error", message), status=500)
    return defaults.server_error(request)
