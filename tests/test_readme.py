"""The README tells the truth: its API table lists exactly the schema's operations, and its
first screen (what a newcomer reads before running anything) links nowhere outside the
repository and matches the settings it describes."""

import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

README = Path(__file__).resolve().parents[1] / "README.md"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
# Served beside the API, not operations of it.
NOT_OPERATIONS = {"/api/v1/schema/", "/api/v1/docs/"}


def readme_operations() -> set[tuple[str, str]]:
    """(method, path) for each row of the README's API table; a path's {id} as the schema
    writes it is compared by shape, so `{id}` matches `{id}` and `{alert_id}` alike."""
    text = README.read_text()
    table = text[text.index("| Endpoint | Who | What |") :].split("\n\n", 1)[0]
    found = set()
    for row in table.splitlines()[2:]:
        cell = row.split("|")[1]
        pending, last_methods, last_path = [], [], ""
        # `POST`, `GET /a/` : both on /a/; `GET /a/`, `GET /a/{id}/` : one each;
        # `POST /a/{id}/x/`, `y/` : y/ is a sibling of x/, with the same method.
        for part in re.findall(r"`([^`]+)`", cell):
            words = part.split()
            if words[0] in METHODS and len(words) == 1:
                pending.append(words[0])
            elif words[0] in METHODS:
                last_methods, last_path = [*pending, words[0]], words[1].split("?")[0]
                found |= {(m, last_path) for m in last_methods}
                pending = []
            else:
                sibling = last_path.rstrip("/").rsplit("/", 1)[0] + "/" + part
                found |= {(m, sibling) for m in last_methods}
    return found


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if path not in NOT_OPERATIONS and method.upper() in METHODS
    }


def shape(operations) -> set[tuple[str, str]]:
    return {(m, re.sub(r"\{[^}]+\}", "{}", p)) for m, p in operations}


@pytest.mark.django_db
def test_the_api_table_lists_exactly_the_schema_s_operations():
    in_readme, in_schema = shape(readme_operations()), shape(schema_operations())

    assert sorted(in_schema - in_readme) == [], "in the schema, missing from the README"
    assert sorted(in_readme - in_schema) == [], "in the README, not in the schema"


def test_the_first_screen_links_only_inside_the_repository():
    first_screen = README.read_text().split("\n## ", 1)[0]

    outside = re.findall(r"\]\((https?://[^)]+)\)|<(https?://[^>]+)>", first_screen)
    assert [u for pair in outside for u in pair if u and "127.0.0.1" not in u] == []
    for target in re.findall(r"\]\(([^)#]+)\)", first_screen):
        assert (README.parent / target).exists(), target


def test_what_the_readme_says_of_static_files_matches_the_settings(settings):
    text = README.read_text()

    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    assert "does not serve them" not in text
    assert "WhiteNoise" in text
