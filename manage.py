#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# Commands that only read the models and migrations: they sign nothing and serve nobody, so
# they run without the production secret (a check such as `makemigrations --check` in CI or a
# hook). Every other command still stops without one.
KEYLESS_COMMANDS = {
    "makemigrations",
    "showmigrations",
    "sqlmigrate",
    "makemessages",
    "compilemessages",
}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ.setdefault("SECRET_KEY", "unused-by-migration-inspection")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.SECRET_KEY  # noqa: B018  (loads the settings: a missing one stops here)
    except ImproperlyConfigured as error:
        # One clear line instead of a traceback through Django's lazy settings.
        sys.exit(
            f"Settings error: {error}\n"
            "For local development set DEBUG=true (make run does); in production set the "
            "variable. The tests use backend.settings_test (make test)."
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
