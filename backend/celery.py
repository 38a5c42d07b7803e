"""The Celery app. Settings come from Django's, under the ``CELERY_`` prefix."""

import os

from celery import Celery
from celery.signals import task_prerun, worker_ready
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

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


@worker_ready.connect
def freeze_start_up_objects(**kwargs):
    """Move everything loaded at start-up (Django, the apps, the schema) out of the
    collector's sight. Why: a stopping worker was seen spending seconds of its shutdown
    garbage collecting them (faulthandler: "Garbage-collecting", no Python frame), which
    counts against Ctrl-C in ``make run``; and the prefork children, which share these
    pages with their parent, no longer copy them each time a collection touches them."""
    import gc

    gc.freeze()


# --- Redis transport: survive a broker outage while holding messages ------------------
# kombu 5.7.0 (the newest release; no setting avoids it) kills the worker for good when
# Redis drops while the worker holds unacknowledged messages, which is normal here: each
# tick hands over reminders with a countdown of up to a tick (issue 10, item 2).
#
# What happens, on a lost connection (celery Consumer.on_connection_error_after_connected):
#   1. ``connection.collect()`` closes the default channel. Its ``close()`` first reads the
#      pending BRPOP reply from the dead socket, which raises, so the channel is left open
#      (and its QoS still holds the unacknowledged messages); ``collect`` swallows that and
#      detaches the transport from the connection (``transport.client = None``).
#   2. ``connection.close()`` closes the same channel again. This time it gets as far as
#      restoring the unacknowledged messages ("Restoring 4 unacknowledged message(s)"),
#      which needs a new connection pool, whose parameters come from ``transport.client``:
#      ``AttributeError: 'NoneType' object has no attribute 'hostname'``. That is not a
#      connection error, so Celery treats it as unrecoverable and the worker exits.
#
# The channel below turns that AttributeError into the connection error it stands for.
# kombu and Celery already ignore connection errors while closing a broken connection, so
# the worker reconnects as it does for any outage. The messages it held stay in Redis's
# unacknowledged set (redelivered after ``visibility_timeout``) or are gone with a Redis
# restarted empty; either way the delivery rows are still pending in the database and the
# sweeper re-enqueues them once their enqueue lease runs out. A redelivered send task
# sends nothing twice (the task locks its rows and re-checks them).
# tests/integration/test_worker_broker_outage.py reproduces the crash without this.
class _RedisChannel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:  # the transport was detached by collect()
            raise RedisConnectionError("broker connection already closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport with the channel above (``CELERY_BROKER_TRANSPORT``)."""

    Channel = _RedisChannel
