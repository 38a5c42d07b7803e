"""The OpenAPI schema the phone app and clinic tools are built from, and its docs page."""

import re

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

SCHEMA = "/api/v1/schema/"


@pytest.fixture
def schema():
    """The schema as generated, with a count of generator warnings and errors."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generated = SchemaGenerator().get_schema(request=None, public=True)
    problems = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return generated, problems


def request_components(generated):
    components = generated["components"]["schemas"]
    return {name: body for name, body in components.items() if name.endswith("Request")}


def test_the_schema_is_served_without_signing_in(anon):
    response = anon.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "Pain diary after a lumbar medial branch block"
    validate_schema(body)


def test_the_schema_is_served_as_yaml_by_default(anon):
    response = anon.get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert b"openapi: 3." in response.content


def test_the_schema_is_valid_openapi_generated_without_warnings(schema):
    generated, problems = schema
    validate_schema(generated)
    assert problems == {}


def test_the_schema_has_every_endpoint_of_v1_and_no_put_or_delete_for_staff(schema):
    generated, _ = schema
    paths = generated["paths"]
    assert set(paths) >= {
        "/api/v1/auth/token/",
        "/api/v1/enroll/",
        "/api/v1/me/",
        "/api/v1/me/procedures/",
        "/api/v1/me/procedures/{id}/",
        "/api/v1/me/checkins/",
        "/api/v1/me/checkins/{id}/",
        "/api/v1/me/entries/",
        "/api/v1/me/entries/{id}/",
        "/api/v1/me/devices/",
        "/api/v1/me/devices/{id}/",
        "/api/v1/patients/",
        "/api/v1/patients/{id}/",
        "/api/v1/patients/{id}/enrollment-code/",
        "/api/v1/procedures/",
        "/api/v1/procedures/{id}/",
        "/api/v1/procedures/{id}/cancel/",
        "/api/v1/procedures/{id}/entries/",
        "/api/v1/staff/",
        "/api/v1/staff/{id}/",
        "/api/v1/staff/{id}/deactivate/",
        "/api/v1/staff/{id}/reactivate/",
        "/api/v1/staff/{id}/resend-invitation/",
    }
    for path in ("/api/v1/patients/{id}/", "/api/v1/procedures/{id}/", "/api/v1/staff/{id}/"):
        assert set(paths[path]) == {"get", "patch"}, path


def test_bearer_tokens_are_described(schema):
    generated, _ = schema
    scheme = generated["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert generated["paths"]["/api/v1/me/entries/"]["post"]["security"][0] == {"bearerAuth": []}


def test_every_field_of_a_diary_entry_request_has_a_description(schema):
    generated, _ = schema
    entry = generated["components"]["schemas"]["EntryRequest"]
    assert set(entry["required"]) >= {"client_id", "procedure", "recorded_at", "pain_score"}
    properties = entry["properties"]
    undocumented = [name for name, prop in properties.items() if not prop.get("description")]
    assert undocumented == []


def test_every_field_of_every_request_body_has_a_description(schema):
    generated, _ = schema
    requests = request_components(generated)
    assert {"EntryRequest", "PatientRequest", "ProcedureDetailRequest", "DeviceRequest"} <= set(
        requests
    )
    undocumented = [
        f"{component}.{name}"
        for component, body in requests.items()
        for name, prop in body.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == []


def test_the_entry_request_states_its_limits(schema):
    generated, _ = schema
    properties = generated["components"]["schemas"]["EntryRequest"]["properties"]
    assert (properties["pain_score"]["minimum"], properties["pain_score"]["maximum"]) == (0, 10)
    relief = properties["reported_relief_percent"]
    assert (relief["minimum"], relief["maximum"]) == (0, 100)
    assert properties["recorded_at"]["format"] == "date-time"
    assert properties["client_id"]["format"] == "uuid"


def test_the_docs_page_is_served(anon):
    response = anon.get("/api/v1/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()
    # Its script is a file of its own (the strict CSP allows no inline script), and it
    # loads the schema.
    assert b"<script>" not in response.content
    script = anon.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert b"/api/v1/schema/" in script.content


def _nodes(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_every_field_a_response_object_renders_is_required(schema):
    generated, _ = schema
    components = generated["components"]["schemas"]
    for name in ("Entry", "Me", "CheckIn", "AlertDetail", "Patient", "Error", "PaginatedEntryList"):
        assert components[name]["required"] == list(components[name]["properties"]), name


def test_what_can_be_null_is_nullable_itself_not_through_all_of(schema):
    generated, _ = schema
    components = generated["components"]["schemas"]
    assert not [n for n in _nodes(components) if n.get("nullable") and "allOf" in n]
    assert components["Entry"]["properties"]["alert"]["nullable"] is True
    assert components["Entry"]["properties"]["alert"]["type"] == "object"
    for field in ("acknowledged_by", "resolved_by"):
        assert components["Alert"]["properties"][field]["nullable"] is True
    assert components["AlertEvent"]["properties"]["actor"]["nullable"] is True


def test_clock_times_are_a_pattern_of_what_is_returned_not_format_time(schema):
    generated, _ = schema
    assert not [n for n in _nodes(generated) if n.get("format") == "time"]
    checkin_time = generated["components"]["schemas"]["Me"]["properties"]["checkin_time"]
    assert re.fullmatch(checkin_time["pattern"], "09:00:00")


def test_components_are_all_used_and_named_without_doubled_words(schema):
    generated, _ = schema
    names = set(generated["components"]["schemas"])
    assert {"CheckInRequest", "TokenRequestRequest", "NewCodeRequestRequest"}.isdisjoint(names)
    assert {"TokenRequest", "NewCodeRequest", "StartLinkRequest", "ResolveRequest"} <= names
    assert not [name for name in names if re.search(r"([A-Z][a-z]+)\1$", name)]


def test_every_operation_declares_the_error_body_for_what_it_can_refuse(schema):
    generated, _ = schema
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in generated["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code, declared in responses.items():
                if code in {"400", "401", "403", "404", "409", "429"}:
                    assert declared["content"]["application/json"]["schema"] == error
            if operation.get("security") not in (None, [{}]):
                assert "401" in responses, (method, path)
                # Reads are refused for a role only on admins' reads (staff, audit, a whole
                # record); writes may be refused for any (and by CSRF).
                admins_read = {
                    "/api/v1/staff/",
                    "/api/v1/staff/{id}/",
                    "/api/v1/audit/",
                    "/api/v1/audit/export/",
                    "/api/v1/patients/{id}/data-export/",
                }
                refusable = method != "get" or path in admins_read
                assert ("403" in responses) == refusable, (method, path)
            if "429" in responses:
                assert "Retry-After" in responses["429"]["headers"], (method, path)
    entries = generated["paths"]["/api/v1/me/entries/"]["post"]["responses"]
    assert {"201", "200", "400", "401", "403", "404", "409", "429"} <= set(entries)
    sign_out = generated["paths"]["/api/v1/auth/sign-out/"]["post"]["responses"]
    # Anyone signed in may sign out; 414 is gunicorn's, for every operation.
    assert set(sign_out) == {"204", "401", "403", "414"}
    enroll = generated["paths"]["/api/v1/enroll/"]["post"]["responses"]
    assert set(enroll) == {"201", "400", "414", "429"}
