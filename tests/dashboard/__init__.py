"""The staff dashboard's tests, and the diary helpers they share.

Entries go in through ``diary.services.record_entry``, as the API puts them: each answers its
check-in and is triaged, so a red flag raises its alert the way a patient's phone would.
"""

import uuid
from datetime import timedelta

from django.test import Client

from diary import services

PASSWORD = "correct horse battery"  # tests.factories.UserFactory


def report(block, minutes, pain, **answers):
    """The block's patient records ``pain`` (0-10) ``minutes`` after the block."""
    entry, _ = services.record_entry(
        patient=block.patient,
        data={
            "client_id": uuid.uuid4(),
            "procedure": block,
            "recorded_at": block.performed_at + timedelta(minutes=minutes, seconds=30),
            "pain_score": pain,
            **answers,
        },
    )
    return entry


def work_diary(block):
    """Ana's first hour after her lidocaine block (baseline 8): relief that passes 80 % and
    holds, the activity managed, and the 45-minute check-in missed."""
    report(block, 15, 3, numbness="left_leg", activity="standing up from a chair")
    report(block, 30, 1, activity="standing up from a chair", activity_ok=True)
    report(block, 60, 1, activity="walking to the shop", activity_ok=True)


def emergency(block):
    """The patient reports a change in bowel or bladder control: triage opens an emergency."""
    return report(block, 100, 4, bowel_bladder_change=True)


def signed_in(user) -> Client:
    """A browser session of ``user`` on the dashboard."""
    client = Client()
    client.force_login(user)
    return client
