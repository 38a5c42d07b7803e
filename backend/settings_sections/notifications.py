"""Reminders and alert pages: links, webhooks, dispatch, send leases, the circuit breaker."""

from backend.env import strict_bool
from backend.settings_sections.base import DEBUG, env
from backend.settings_sections.celery import CHECKIN_TICK_SECONDS
from backend.settings_sections.site import SITE_URL

# The patient's web check-in (web/checkin): every reminder links there. Short on purpose:
# a reminder SMS with its link fits one 160-character segment.
WEB_CHECKIN_URL = env.str("WEB_CHECKIN_URL", default=f"{SITE_URL}/c")
# A link opens its check-in until that closes plus this, and the patient's pages until the
# diary's last check-in closes plus this; never past WEB_LINK_MAX_DAYS after it was sent.
WEB_LINK_GRACE_HOURS = env.float("WEB_LINK_GRACE_HOURS", default=2.0)
WEB_LINK_MAX_DAYS = env.int("WEB_LINK_MAX_DAYS", default=45)
# A clinic's webhook may name a loopback, private or reserved host, over http too: only for
# a receiver on the same machine or network in development. Off, the worker posts only to
# public https hosts, so a webhook URL cannot reach inside the network
# (notifications/transports/webhook.py check_url).
WEBHOOK_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOK_ALLOW_PRIVATE_HOSTS", default=False)
# PagerDuty's Events API v2 (notifications/transports/pagerduty.py): each clinic that sets its
# service's integration key gets trigger, acknowledge and resolve events there. Only staging
# and tests change the URL, to a local receiver.
PAGERDUTY_EVENTS_URL = env.str(
    "PAGERDUTY_EVENTS_URL", default="https://events.pagerduty.com/v2/enqueue"
)
# The local outbox (notifications/outbox.py): push, SMS and e-mail are kept and listed on the
# dashboard's outbox page instead of sent. On in DEBUG, so that `make run` shows a reminder
# and a page with no provider set up; off otherwise unless set (a test set-up, a training copy).
OUTBOX_CHANNEL = strict_bool("OUTBOX_CHANNEL", default=DEBUG)
# Reminders due before the next tick are claimed now and sent on time by a countdown.
DISPATCH_BATCH = env.int("DISPATCH_BATCH", default=500)
DISPATCH_TIME_BUDGET_SECONDS = env.float("DISPATCH_TIME_BUDGET_SECONDS", default=10.0)
# At least the time a tick may spend claiming: a burst claimed late in a long tick must
# still be enqueued before it falls due.
DISPATCH_LOOKAHEAD_SECONDS = env.float(
    "DISPATCH_LOOKAHEAD_SECONDS", default=max(CHECKIN_TICK_SECONDS, DISPATCH_TIME_BUDGET_SECONDS)
)
# Deliveries per send task: reading and claiming a batch costs a few statements whatever its
# size (bench/dispatch: 20 → 100 cut a reminder's worker CPU by a third).
SEND_BATCH = env.int("SEND_BATCH", default=100)
# A send task claims its batch this many rows at a time, just before sending them: what a
# worker killed mid-batch strands until its send lease runs out (notifications.services).
SEND_CLAIM_CHUNK = max(1, env.int("SEND_CLAIM_CHUNK", default=20))
# Reminder pushes sent are recorded in groups of this many (one statement a group), not one
# statement each: a worker killed mid-group sends the group's unrecorded pushes again, each
# with its collapse id, so the phone replaces it rather than showing it twice. SMS, e-mail,
# webhooks and alert pages are recorded at once whatever this says. 1 records every push at
# once.
PUSH_RECORD_GROUP = max(1, env.int("PUSH_RECORD_GROUP", default=10))
# A send task starts no new send after this: one started just before it, taking as long as
# a send can (connect + read timeouts, 2 x NOTIFY_HTTP_TIMEOUT), still ends before the
# task's soft time limit would cut it mid-request. The rest goes on in a fresh task.
SEND_TASK_BUDGET_SECONDS = env.float("SEND_TASK_BUDGET_SECONDS", default=10.0)
# A queued send not claimed this long after it fell due is re-enqueued by the sweeper
# (notifications/leases.py): a killed worker's reminders go out again within this plus
# SWEEP_SECONDS of their time. Longer than a healthy queue takes to reach a reminder in a
# burst (bench/dispatch: 10,000 due at once, p99 5 s); one that runs out only costs a
# second task, never a second send. Pages: shorter, they must not wait (goal: 10 s).
DELIVERY_ENQUEUE_LEASE_SECONDS = env.float("DELIVERY_ENQUEUE_LEASE_SECONDS", default=10.0)
DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS = env.float(
    "DELIVERY_ALERT_ENQUEUE_LEASE_SECONDS", default=3.0
)
# How long a claimed row is kept from others: longer than one send can take (connect + read,
# 2 x NOTIFY_HTTP_TIMEOUT / EMAIL_TIMEOUT), renewed by the sending worker before each send
# when less than that is left. Past it, the worker is gone: a killed worker's rows go out
# again within this plus SWEEP_SECONDS (the reminder goal through a kill -9 is 20 s).
DELIVERY_SEND_LEASE_SECONDS = env.float("DELIVERY_SEND_LEASE_SECONDS", default=12.0)
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=5)
# The circuit breaker per channel (notifications/breaker.py): this many permanent failures
# of one channel within the window hold its sends for the hold time, disabling nobody.
BREAKER_THRESHOLD = env.int("BREAKER_THRESHOLD", default=20)
BREAKER_WINDOW_SECONDS = env.int("BREAKER_WINDOW_SECONDS", default=300)
BREAKER_HOLD_SECONDS = env.int("BREAKER_HOLD_SECONDS", default=600)
