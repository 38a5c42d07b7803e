"""Settings, read from the environment (django-environ).

Defaults give the embedded set-up: SQLite in WAL mode and Celery's filesystem
transport, both under the git-ignored ``var/`` folder, so the service runs with no
servers. Production sets ``DATABASE_URL`` and ``REDIS_URL``.

This module is what ``DJANGO_SETTINGS_MODULE`` names (and what ``settings_test`` and
``bench.settings`` extend); the settings themselves live in ``backend/settings_sections/``,
one module per capability, imported here in the order they read the environment: a
start-up with several bad variables stops at the same one as it always did.
"""

# In this order, not sorted: see above.
# isort: off
from backend.settings_sections.base import *  # noqa: F403
from backend.settings_sections.site import *  # noqa: F403
from backend.settings_sections.database import *  # noqa: F403
from backend.settings_sections.cache import *  # noqa: F403
from backend.settings_sections.security import *  # noqa: F403
from backend.settings_sections.languages import *  # noqa: F403
from backend.settings_sections.static_files import *  # noqa: F403
from backend.settings_sections.api import *  # noqa: F403
from backend.settings_sections.diary import *  # noqa: F403
from backend.settings_sections.celery import *  # noqa: F403
from backend.settings_sections.metrics import *  # noqa: F403
from backend.settings_sections.error_tracking import *  # noqa: F403
from backend.settings_sections.email import *  # noqa: F403
from backend.settings_sections.notifications import *  # noqa: F403
from backend.settings_sections.logs import *  # noqa: F403
# isort: on
