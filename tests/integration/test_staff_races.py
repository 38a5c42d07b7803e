"""Two admins inviting the same colleague at the same moment, on a real PostgreSQL: one
account and one clear "already has an account", never two accounts for one inbox (the
unique index on LOWER(email) of migration diary 0010 decides; the service's check alone
could let both through)."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from diary import services
from tests.factories import StaffFactory
from tests.integration.test_postgres_races import ROUNDS, phone, together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def wait_until_another_backend_waits_on_a_lock(deadline_seconds=10):
    """As test_postgres_races' helper, but from inside an open transaction: there
    PostgreSQL keeps showing the first pg_stat_activity it read unless told to look again.
    Not a wait for the clock: the racer must be parked on the lock before it is let go."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            threading.Event().wait(0.01)
    pytest.fail("the invitation never waited on the other account's uncommitted row")


@pytest.fixture
def second_admin(north):
    return StaffFactory(user__username="kofi", clinic=north, is_admin=True).user


def test_two_admins_inviting_one_address_at_once_make_one_account(
    requires_postgres, mara, second_admin
):
    tokens = services.issue_staff_token(mara), services.issue_staff_token(second_admin)
    for number in range(ROUNDS):
        address = f"ravi{number}@north.example.org"

        def invite(token, email):
            body = {"email": email, "first_name": "Ravi", "is_oncall": True}
            return phone(token).post("/api/v1/staff/", body, format="json")

        answers = together(
            lambda a=address: invite(tokens[0], a), lambda a=address: invite(tokens[1], a.upper())
        )

        assert sorted(a.status_code for a in answers) == [201, 400]
        refused = next(a for a in answers if a.status_code == 400)
        assert refused.json()["fields"] == {
            "email": ["Someone already has an account with this e-mail."]
        }
        assert get_user_model().objects.filter(email__iexact=address).count() == 1


def test_an_invitation_that_passed_the_check_is_refused_by_the_index(
    requires_postgres, north, mara
):
    """The interleaving the check cannot see: the other account is written but not yet
    committed when this invitation looks, so only the index stops it."""
    outcome = {}

    def invite():
        try:
            services.invite_staff(
                north,
                email="RAVI@north.example.org",
                first_name="Ravi",
                last_name="",
                roles=[],
                by=mara,
            )
        except BaseException as error:  # reported below, not lost in the thread
            outcome["error"] = error
        finally:
            connection.close()

    with transaction.atomic():
        get_user_model().objects.create_user(username="r.patel", email="ravi@north.example.org")
        racer = threading.Thread(target=invite)
        racer.start()
        wait_until_another_backend_waits_on_a_lock()
    racer.join(10)

    assert not racer.is_alive()
    assert (outcome["error"].field, outcome["error"].message) == (
        "email",
        "Someone already has an account with this e-mail.",
    )
    assert get_user_model().objects.filter(email__iexact="ravi@north.example.org").count() == 1
