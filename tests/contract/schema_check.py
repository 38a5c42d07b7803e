"""Check a real answer against the generated OpenAPI schema, as a client generator reads it.

The schema is OpenAPI 3.0; jsonschema speaks JSON Schema. The one difference that matters
is ``nullable``, turned into a ``null`` type here. Objects are closed
(``additionalProperties: false``) so a field the schema does not list fails too, and a
date-time must carry its offset.
"""

import copy
import functools
from datetime import datetime

from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

URI = "urn:diary-openapi"


@functools.cache
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _to_json_schema(node):
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    if node.get("type") == "object" and "properties" in node:
        node.setdefault("additionalProperties", False)
    return node


@functools.cache
def _registry() -> Registry:
    contents = _to_json_schema(copy.deepcopy(openapi()))
    resource = Resource.from_contents(contents, default_specification=DRAFT202012)
    return Registry().with_resource(URI, resource)


FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).tzinfo is not None


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def response_schema(path: str, method: str, status: int) -> dict:
    """The schema the operation declares for this status (a $ref into the schema)."""
    operation = openapi()["paths"][path][method.lower()]
    declared = operation["responses"].get(str(status))
    assert declared is not None, f"{method} {path} does not declare {status}"
    assert "content" in declared, f"{method} {path} {status} declares no body"
    pointer = _pointer("paths", path, method.lower(), "responses", str(status))
    return {"$ref": f"{URI}#/{pointer}/content/application~1json/schema"}


def assert_matches(response, path: str, method: str = "GET") -> None:
    """The answer's status is declared for the operation and its JSON matches the schema."""
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    validator = Draft202012Validator(
        response_schema(path, method, response.status_code),
        registry=_registry(),
        format_checker=FORMATS,
    )
    errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
    assert not errors, "\n".join(
        f"{method} {path} {response.status_code} at {'/'.join(map(str, e.path)) or '.'}: "
        f"{e.message}"
        for e in errors[:10]
    )
