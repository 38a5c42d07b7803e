"""Every word a patient reads comes from the translation catalogue, and Spanish is complete.

Fails when a patient-facing string is added without its translation, when a template holds
words outside ``{% translate %}``, or when the compiled catalogue is older than its source.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
PATIENT_TEMPLATES = sorted((REPO / "web" / "templates" / "checkin").glob("*.html"))
PATIENT_TEMPLATES.append(REPO / "web" / "templates" / "dashboard" / "handout.html")
# Words a template may hold untranslated: each language's own name in the language menu.
OWN_NAMES = {"English", "Español"}


def test_every_spanish_entry_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(PO))

    assert len(catalogue) > 100
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


def test_the_compiled_catalogue_matches_its_source():
    source = {e.msgid: e.msgstr for e in polib.pofile(str(PO)) if e.msgid}
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(MO)) if e.msgid}

    assert compiled == source, "run `make messages` and commit locale/"


def test_the_placeholders_of_each_translation_are_those_of_its_english():
    for entry in polib.pofile(str(PO)):
        english = set(re.findall(r"%\((\w+)\)s", entry.msgid))
        assert set(re.findall(r"%\((\w+)\)s", entry.msgstr)) == english, entry.msgid


@pytest.mark.parametrize("template", PATIENT_TEMPLATES, ids=lambda p: p.name)
def test_a_patient_template_has_no_words_outside_the_catalogue(template):
    text = template.read_text()
    text = re.sub(r"\{%\s*blocktranslate.*?endblocktranslate\s*%\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", " ", text, flags=re.S)
    text = re.sub(r"<svg.*?</svg>", " ", text, flags=re.S)  # drawn, labelled by its title
    text = re.sub(r"<[^>]+>", " ", text)
    words = set(re.findall(r"[^\W\d_]{2,}", text)) - OWN_NAMES

    assert words == set(), f"untranslated words in {template.name}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_every_marked_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Extract afresh (Django's makemessages, into a copy of the catalogue): nothing new."""
    locale = tmp_path / "locale"
    shutil.copytree(REPO / "locale", locale)
    (tmp_path / "catalogue_settings.py").write_text(
        f"from backend.settings_test import *\nLOCALE_PATHS = [{str(locale)!r}]\n"
    )
    extract = [sys.executable, "manage.py", "makemessages", "--locale", "es"]
    extract += ["--settings", "catalogue_settings", "--add-location", "file"]
    for folder in (".venv/*", "var/*", "tests/*", "bench/*"):
        extract += ["--ignore", folder]
    env = {"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin", "SECRET_KEY": "x"}
    subprocess.run(extract, cwd=REPO, env=env, check=True, capture_output=True, timeout=120)

    fresh = polib.pofile(str(locale / "es" / "LC_MESSAGES" / "django.po"))
    committed = {e.msgid for e in polib.pofile(str(PO))}

    assert {e.msgid for e in fresh if not e.obsolete} == committed, "run `make messages`"
    assert [e.msgid for e in fresh.untranslated_entries()] == []
