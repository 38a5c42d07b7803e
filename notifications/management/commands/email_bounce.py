"""Read one bounce (a DSN, RFC 3464) from standard input, as an MTA's pipe gives it.

In /etc/aliases, with Postfix's ``recipient_delimiter = +`` so that every
``bounces+…`` address reaches the alias (docs/channels.md):

    bounces: "|/srv/diary/.venv/bin/python /srv/diary/manage.py email_bounce"

The VERP address the bounce came to is taken from ``--recipient``, else Postfix's
``ORIGINAL_RECIPIENT`` environment variable, else the bounce's own headers. Exit status 0
for whatever was read, also a bounce that is not ours (an MTA must not bounce the bounce);
a database that cannot be reached fails the command, and the MTA tries again later.
"""

import os
import sys

from django.core.management.base import BaseCommand

from notifications import bounces


class Command(BaseCommand):
    help = "Record one bounce (DSN) read from stdin against the e-mail it names."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipient",
            default="",
            help="The address the bounce was delivered to (the MTA's ${original_recipient}).",
        )

    def handle(self, *args, recipient: str = "", **options):
        recipient = recipient or os.environ.get("ORIGINAL_RECIPIENT", "")
        outcome = bounces.handle_bounce(sys.stdin.buffer.read(), recipient=recipient)
        self.stdout.write(outcome)
