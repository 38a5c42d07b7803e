"""Postprocessing hooks: the generated schema tidied into what a client generator reads well.

Each hook takes and returns the whole schema (drf-spectacular's POSTPROCESSING_HOOKS).
"""

import copy
import re

REF_PREFIX = "#/components/schemas/"
# "TokenRequestRequest": a serializer named for a request, plus the request suffix that
# COMPONENT_SPLIT_REQUEST adds.
DOUBLED_WORD = re.compile(r"^(.*?)([A-Z][a-z0-9]+)\2$")


def _walk(node, visit):
    """Call ``visit`` on every dict in the schema tree, parents before children."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _refs(node) -> list[str]:
    """The names of the schema components ``node`` refers to."""
    found = []
    _walk(node, lambda child: found.append(child.get("$ref")))
    return [ref.removeprefix(REF_PREFIX) for ref in found if isinstance(ref, str)]


def _schemas(result) -> dict:
    return result.setdefault("components", {}).setdefault("schemas", {})


def inline_nullable_refs(result, generator, request, public):
    """``{allOf: [$ref], nullable: true}`` becomes the referenced schema made nullable.

    In OpenAPI 3.0 ``nullable`` does not reach into an ``allOf``: validators (and so
    schemathesis) reject the null the field really holds, and generators disagree on it.
    A copy of the small object, nullable itself, says it plainly.
    """
    schemas = _schemas(result)

    def visit(node):
        refs = node.get("allOf")
        if not node.get("nullable") or not refs or len(refs) != 1 or "$ref" not in refs[0]:
            return
        target = copy.deepcopy(schemas[refs[0]["$ref"].removeprefix(REF_PREFIX)])
        del node["allOf"]
        own = dict(node)
        node.clear()
        node.update(target)
        node.update(own)  # the field's own description, readOnly and nullable win
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]

    _walk(schemas, visit)
    return result


def collapse_doubled_names(result, generator, request, public):
    """``TokenRequestRequest`` → ``TokenRequest``, and every reference to it."""
    schemas = _schemas(result)
    renames = {}
    for name in list(schemas):
        match = DOUBLED_WORD.match(name)
        new = f"{match[1]}{match[2]}" if match else name
        if new != name and new not in schemas:
            renames[name] = new
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)

    def visit(node):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix(REF_PREFIX) in renames:
            node["$ref"] = REF_PREFIX + renames[ref.removeprefix(REF_PREFIX)]

    _walk(result, visit)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


def drop_unused_components(result, generator, request, public):
    """Remove schema components no operation reaches (e.g. ``CheckInRequest``, made for a
    nested read-only serializer that no request carries)."""
    schemas = _schemas(result)
    used, todo = set(), [result.get("paths", {})]
    while todo:
        for name in _refs(todo.pop()):
            if name not in used and name in schemas:
                used.add(name)
                todo.append(schemas[name])
    for name in set(schemas) - used:
        del schemas[name]
    return result


def blank_or_value_as_any_of(result, generator, request, public):
    """``oneOf: [a URL, ""]`` becomes ``anyOf``: to a validator that does not check
    ``format`` (most do not), ``""`` matches both, and ``oneOf`` then refuses it."""

    def visit(node):
        options = node.get("oneOf")
        if options and any(option.get("maxLength") == 0 for option in options):
            node["anyOf"] = node.pop("oneOf")

    _walk(_schemas(result), visit)
    return result


URI_TOO_LONG = {
    "description": "The URL (path and query) is longer than the web server reads (4094 "
    "bytes in gunicorn's request line): refused before the API is reached, as gunicorn's "
    "own HTML page. Ask for less per request.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def declare_uri_too_long(result, generator, request, public):
    """Every operation can be answered 414 by gunicorn itself, so every one declares it
    (one shared response, referred to)."""
    result.setdefault("components", {}).setdefault("responses", {})["UriTooLong"] = URI_TOO_LONG
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation["responses"]["414"] = {"$ref": "#/components/responses/UriTooLong"}
    return result
