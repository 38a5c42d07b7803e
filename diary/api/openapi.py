"""The schema generator's view of an operation, made to say what the API really does.

drf-spectacular lists a response field as required only when it is read-only or required
on input, and declares no error answers unless each view does. Both are facts of the code
here, so they are derived once for every operation instead of repeated in every view.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from diary.api.errors import ErrorSerializer
from diary.api.permissions import IsClinicStaff, IsPatient

# Permissions that answer a signed-in caller of the wrong kind with 404 (permissions.py).
WRONG_KIND_IS_404 = (IsPatient, IsClinicStaff)

ERROR_DESCRIPTIONS = {
    "400": "The request is wrong; `fields` names each field at fault.",
    "401": "No valid token or session: sign in (or enrol) again.",
    "403": "Signed in, but this caller may not do this.",
    "404": "No such item for this caller (another's data, or the wrong kind of caller).",
    "409": "Conflicts with what is stored.",
    "429": "Too many requests: wait `Retry-After` seconds, then retry.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


class DiaryAutoSchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        # Every field a serializer renders is in every answer (null when empty): none of
        # ours drops a key, so a response object requires all of its properties.
        if direction == "response" and schema.get("properties"):
            schema["required"] = list(schema["properties"])
        return schema

    def _get_filter_parameters(self):
        # django-filter skips a filter whose value is "" (``?status=`` lists all), so an
        # empty value is allowed, and said to be: otherwise it breaks the enum it bypasses.
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters

    def _get_parameters(self):
        # A view's own query parameters that take an empty value as their default say so
        # (``blank_query_parameters``), as the filters above do.
        parameters = super()._get_parameters()
        blank = getattr(self.view, "blank_query_parameters", ())
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["name"] in blank:
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes(responses):
            declared = responses.get(code, {})
            description = declared.get("description") or ERROR_DESCRIPTIONS[code]
            body = OpenApiResponse(ErrorSerializer, description=description)
            responses[code] = self._get_response_for_code(body, code, direction=direction)
            if code == "429":
                responses[code]["headers"] = RETRY_AFTER
        return responses

    def _error_codes(self, responses) -> list[str]:
        """The error answers this operation can give, from what its view is made of."""
        auth = self.get_auth()
        signed_in = bool(auth) and {} not in auth  # {}: anyone may call it
        codes = {code for code in responses if code in ERROR_DESCRIPTIONS}  # declared
        if self._get_request_body() or self._has_query_parameters():
            codes.add("400")
        if signed_in:
            codes.add("401")
            if self.method not in SAFE_METHODS:
                codes.add("403")  # a role that may read but not write, or a session's CSRF
            if any(getattr(p, "refuses_reads", False) for p in self.view.get_permissions()):
                codes.add("403")  # a role that may not even read (the staff list: admins')
            if any(isinstance(p, WRONG_KIND_IS_404) for p in self.view.get_permissions()):
                codes.add("404")  # a caller of the wrong kind, as for another's data
        if "{" in self.path or (self._is_list_view() and self._get_paginator()):
            codes.add("404")  # an unknown id, or a page past the last
        if self.view.get_throttles():
            codes.add("429")
        return sorted(codes)

    def _has_query_parameters(self) -> bool:
        return any(p.get("in") == "query" for p in self._get_parameters())
