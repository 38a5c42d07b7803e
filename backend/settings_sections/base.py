"""What every section shares: where files go, DEBUG, the environment reader and Redis."""

from pathlib import Path

import environ

from backend.env import strict_bool

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = strict_bool("DEBUG", default=False)

# Redis carries the cache (backend.settings_sections.cache) and Celery's broker
# (backend.settings_sections.celery); unset, neither needs a server.
REDIS_URL = env.str("REDIS_URL", default="")
