"""OpenAPI details drf-spectacular cannot infer: the bearer scheme, clock times, common fields."""

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)

# Local clock times: HH:MM:SS out (seconds, and microseconds if stored); HH:MM or HH:MM:SS in.
TIME_OUT = r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?$"
TIME_IN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

COMMON_DESCRIPTIONS = {
    "id": "Unique id.",
    "created_at": "When it was created (UTC).",
    "updated_at": "When it was last changed (UTC).",
    "received_at": "When the server stored it (UTC).",
    "enrollment_code_expires_at": "After this the enrollment code no longer works.",
    "count": "How many items there are in all pages.",
    "next": "URL of the next page, or null on the last.",
    "previous": "URL of the previous page, or null on the first.",
    "results": "The items of this page.",
    "username": "Staff login name.",
    "password": "Staff password.",
    "checkins": "The block's check-ins, earliest first.",
    "clinic": "The patient's clinic.",
    "patient": "The enrolled patient.",
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "diary.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A patient's token from /api/v1/enroll/, or staff's from /api/v1/auth/token/."
            ),
        }


def describe_common_fields(result, generator, request, public):
    """Postprocessing hook: give every undocumented common property its description."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for name, prop in component.get("properties", {}).items():
            if "description" not in prop and name in COMMON_DESCRIPTIONS:
                prop["description"] = COMMON_DESCRIPTIONS[name]
    return result


class LocalTimeFieldExtension(OpenApiSerializerFieldExtension):
    """A local time of day as DRF renders it (``09:00:00``).

    Not ``format: time``: that is RFC 3339's full-time, which carries a UTC offset
    (``09:00:00Z``) these clock times have not; validators reject what we return.
    """

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string", "pattern": TIME_OUT, "example": "09:00:00"}
        return {"type": "string", "pattern": TIME_IN, "example": "09:00"}
