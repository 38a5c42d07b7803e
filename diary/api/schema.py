"""OpenAPI details drf-spectacular cannot infer: the bearer scheme and common fields."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

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
