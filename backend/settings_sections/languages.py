"""The languages a patient reads, and time zones."""

from backend.settings_sections.base import BASE_DIR

LANGUAGE_CODE = "en"
# The patient-facing languages (diary.models.Language): every word a patient reads comes
# from the catalogue in locale/. Staff pages stay English.
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
