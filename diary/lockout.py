"""Per-account lockout after repeated failed logins (django-axes), with two limits.

Why two: a lock on the username alone lets anyone lock the on-call nurse out by guessing
her password from anywhere, at the moment she must sign in to answer a page. So the count
that locks first is per (username, address) (``AXES_FAILURE_LIMIT``): a guesser at one
address locks only that pair. A higher per-username count
(``LOGIN_LOCKOUT_ACCOUNT_FAILURES``) still stops guessing spread over many addresses.
Both end after ``AXES_COOLOFF_TIME``; a clinic's admin can lift one sooner (the Django
admin's "Access attempts", or ``manage.py axes_reset_username``).
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum


class PairThenAccountHandler(AxesDatabaseHandler):
    """Axes' database handler, locking on the pair's limit or the account's higher one."""

    def get_failures(self, request, credentials=None) -> int:
        """The pair's failures; a username past its own limit counts as locked everywhere.

        Reads ``AXES_LOCKOUT_PARAMETERS`` as backend/settings_sections/security.py orders
        it: the pair, then the username (each one's recent attempts, summed over user agents).
        """
        pair, account = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if account >= settings.LOGIN_LOCKOUT_ACCOUNT_FAILURES:
            return max(pair, get_failure_limit(request, credentials))
        return pair


def locked_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return (
        f"Too many failed sign-ins for this account. Try again in {minutes} minutes, "
        "or ask a clinic admin to unlock it."
    )
