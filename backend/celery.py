"""The Celery app. Settings come from Django's, under the ``CELERY_`` prefix."""

import os

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def close_stale_database_connections(**kwargs):
    """Workers keep their database connection across tasks (``CELERY_DB_REUSE_MAX``);
    drop it before a task if it broke or outlived ``CONN_MAX_AGE``, as Django does
    between requests, so one failed connection fails no more than one task."""
    from django.db import close_old_connections

    close_old_connections()
