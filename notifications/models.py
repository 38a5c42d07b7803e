"""The outbox: one row per message to send, one attempt row per try, and patients'
channel preferences. The database says what must be sent; the broker only says "now"."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from diary.models import E164, CheckIn, Clinic, Device, Finding, Patient, Procedure, Severity


class Channel(models.TextChoices):
    PUSH = "push"
    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"
    PAGERDUTY = "pagerduty"


# The channels a patient is reached on (their channel order); the others page staff.
PATIENT_CHANNELS = (Channel.PUSH, Channel.SMS, Channel.EMAIL)
DEFAULT_CHANNEL_ORDER = "push,sms,email"


class Purpose(models.TextChoices):
    REMINDER = "checkin_reminder", "check-in reminder"
    REREMINDER = "checkin_rereminder", "check-in re-reminder"
    ALERT_PAGE = "alert_page", "alert page to staff"
    ALERT_WEBHOOK = "alert_webhook", "alert event to the clinic's webhook"
    ALERT_PAGERDUTY = "alert_pagerduty", "alert event to the clinic's PagerDuty service"
    START_LINK = "diary_start_link", "diary start link to the patient"


REMINDER_PURPOSES = (Purpose.REMINDER, Purpose.REREMINDER)
# Messages that carry a fresh link to the patient's web check-in, minted as they are sent.
LINKED_PURPOSES = (*REMINDER_PURPOSES, Purpose.START_LINK)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # waiting for a worker (or for its next try)
    SENDING = "sending"  # a worker holds it until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up on this channel; the next one was tried
    CANCELLED = "cancelled"  # no longer wanted (answered, re-planned, cancelled)


class ContactPreference(models.Model):
    """How a patient is reached: the channel order, and contacts found not to work."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="contact")
    channel_order = models.CharField(
        max_length=32,
        default=DEFAULT_CHANNEL_ORDER,
        help_text="Channels to try in order, comma-separated, from push, sms, email.",
    )
    sms_disabled_at = models.DateTimeField(null=True, blank=True)
    sms_disabled_reason = models.CharField(max_length=200, blank=True)
    email_disabled_at = models.DateTimeField(null=True, blank=True)
    email_disabled_reason = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"contact of {self.patient}: {self.channel_order}"


class Delivery(models.Model):
    """One message to one address through one channel."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="deliveries")
    # Alert pages: the alert, the event (triggered, escalated, …), the escalation step and
    # the staff member paged (none for the clinic's webhook and its fallback contact).
    alert = models.ForeignKey(
        "Alert", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=24, blank=True)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pages",
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The check-in's plan_version when this was planned: re-planned means not wanted.
    checkin_version = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    platform = models.CharField(max_length=4, blank=True, help_text="fcm or apns, for push.")
    address = models.CharField(max_length=512, help_text="Device token, phone or e-mail.")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # While pending: a send task is queued until then. While sending: a worker holds it.
    lease_until = models.DateTimeField(null=True, blank=True)
    # Set by the worker that claimed it for sending: tells a batch which rows it won.
    claim_token = models.UUIDField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            # Two dispatchers, or a dispatcher and a fallback, can never plan the same
            # message twice.
            models.UniqueConstraint(
                fields=["checkin", "checkin_version", "purpose", "channel", "address"],
                condition=Q(checkin__isnull=False),
                name="delivery_once_per_checkin_plan",
            ),
            # Exactly one page per recipient address per escalation step.
            models.UniqueConstraint(
                fields=["alert", "event", "step", "channel", "address"],
                condition=Q(alert__isnull=False),
                name="delivery_once_per_alert_step",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
        ]
        indexes = [
            # The sweeper's two questions, cheap however many sent rows pile up.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(status="sending"), name="delivery_sending"
            ),
            models.Index(fields=["patient", "-created_at"], name="delivery_by_patient"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} by {self.channel} ({self.status})"


class AttemptOutcome(models.TextChoices):
    SENT = "sent"
    RETRY = "retry"  # a temporary failure: tried again later
    FAILED = "failed"  # a permanent failure, or the last try


class AttemptReceipt(models.TextChoices):
    """What the provider reported later about a sent message (Twilio's status callback)."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # the carrier gave up: the phone never got it
    FAILED = "failed"  # Twilio could not send it at all


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, with what the provider said."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    # A sent SMS is not yet a received one: the provider's receipt, when it comes. Defaults
    # in the database too: the push path inserts attempts with raw SQL (services.py).
    receipt = models.CharField(
        max_length=12, choices=AttemptReceipt.choices, blank=True, db_default=""
    )
    receipt_at = models.DateTimeField(null=True, blank=True)
    receipt_error_code = models.CharField(max_length=16, blank=True, db_default="")

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"attempt at {self.started_at:%H:%M:%S}: {self.outcome}"


class ShiftRole(models.TextChoices):
    PRIMARY = "primary"
    BACKUP = "backup"


class OnCallShift(models.Model):
    """A staff member on call for their clinic from ``starts_at`` until ``ends_at``."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_shifts"
    )
    role = models.CharField(max_length=8, choices=ShiftRole.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(role__in=ShiftRole.values), name="shift_role_valid"),
        ]
        indexes = [models.Index(fields=["clinic", "ends_at"], name="shift_by_clinic_end")]

    def __str__(self):
        return f"{self.user} {self.role} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class StaffDevice(models.Model):
    """A staff member's phone for alert pushes (the dashboard app's token)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_devices"
    )
    platform = models.CharField(max_length=4, choices=[("fcm", "fcm"), ("apns", "apns")])
    token = models.CharField(max_length=512)
    created_at = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "token"], name="staff_device_token_unique"),
        ]

    def __str__(self):
        return f"{self.platform} device of {self.user}"


# An Events API v2 integration (or routing) key: 32 letters and digits.
PAGERDUTY_ROUTING_KEY = RegexValidator(
    r"^[A-Za-z0-9]{32}$",
    "A PagerDuty integration key is 32 letters and digits (the service's Events API v2 "
    "integration key).",
)


class AlertSettings(models.Model):
    """How a clinic is paged: escalation delays, its webhook, who to call when nobody is."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="alerting")
    emergency_delay_seconds = models.PositiveIntegerField(
        default=300, help_text="Unacknowledged emergency alerts escalate after this."
    )
    urgent_delay_seconds = models.PositiveIntegerField(
        default=900, help_text="Unacknowledged urgent alerts escalate after this."
    )
    webhook_url = models.URLField(blank=True, help_text="Paging system's endpoint (JSON POST).")
    webhook_secret = models.CharField(
        max_length=200, blank=True, help_text="Signs each POST: X-Signature-256."
    )
    # Default on: receivers built before the option existed may read "rule".
    webhook_include_rule = models.BooleanField(
        default=True, help_text="Whether the webhook's body names the rule that raised the alert."
    )
    pagerduty_routing_key = models.CharField(
        max_length=32,
        blank=True,
        validators=[PAGERDUTY_ROUTING_KEY],
        help_text="The Events API v2 integration key of the clinic's PagerDuty service; "
        "blank: PagerDuty is not used.",
    )
    fallback_phone = models.CharField(max_length=16, blank=True, validators=[E164])
    fallback_email = models.EmailField(blank=True)
    # On-call staff asked for an end: past this many escalation steps, the fallback contact
    # is paged once more and escalation stops (the alert stays open on the board).
    max_escalation_steps = models.PositiveSmallIntegerField(
        default=5,
        help_text="Escalation steps paged before the fallback contact is paged a last time.",
    )
    ack_reminder_seconds = models.PositiveIntegerField(
        default=7200,
        help_text="An acknowledged alert still unresolved after this reminds whoever "
        "acknowledged it, once; 0: never.",
    )

    class Meta:
        verbose_name_plural = "alert settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(emergency_delay_seconds__gte=1, urgent_delay_seconds__gte=1),
                name="alerting_delays_positive",
            ),
        ]

    def __str__(self):
        return f"alerting of {self.clinic}"


class AlertState(models.TextChoices):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class Alert(models.Model):
    """A red flag that on-call staff must acknowledge and resolve. One live alert per
    block and rule: a repeat finding joins it (and may raise it), never pages anew."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="alerts")
    rule = models.SlugField(max_length=40)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    priority = models.CharField(max_length=6, default="normal")
    state = models.CharField(max_length=12, choices=AlertState.choices, default=AlertState.OPEN)
    reason = models.CharField(max_length=300)
    pages_proceduralist = models.BooleanField(
        default=False,
        help_text="The block's proceduralist is paged with the on-call clinician (its findings).",
    )
    reported_late_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How long after it was recorded the entry that raised it reached the "
        "clinic (kept on a phone offline), when that was more than LATE_ENTRY_SECONDS.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    # Escalation as data: beat pages step N+1 when next_escalation_at passes, still open.
    escalation_step = models.PositiveSmallIntegerField(default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    # When whoever acknowledged it was reminded that it is still unresolved (once).
    ack_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "rule"],
                condition=Q(state__in=["open", "acknowledged"]),
                name="alert_one_live_per_rule",
            ),
            models.CheckConstraint(
                condition=Q(state__in=AlertState.values), name="alert_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["urgent", "emergency"]), name="alert_severity_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | ~Q(resolution_note=""),
                name="alert_resolved_with_note",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(state="open"),
                name="alert_to_escalate",
            ),
            models.Index(fields=["clinic", "state", "-created_at"], name="alert_by_clinic"),
        ]

    def __str__(self):
        return f"{self.severity} {self.rule} ({self.state})"


class AlertEventKind(models.TextChoices):
    TRIGGERED = "triggered"
    REPEATED = "repeated"  # the same rule found again while the alert is live
    RAISED = "raised"  # a repeat finding raised its severity
    PAGED = "paged"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    NO_RECIPIENT = "no_recipient"


class AlertEvent(models.Model):
    """Everything that happened to an alert, in order."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=AlertEventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_events"
    )
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.kind} at {self.at:%H:%M:%S}"


class HeartbeatKind(models.TextChoices):
    BEAT = "beat"
    WORKER = "worker", "main worker"
    ALERTS = "alerts", "alerts worker"


class Heartbeat(models.Model):
    """When a kind of process was last seen running (notifications/heartbeat.py)."""

    kind = models.CharField(max_length=16, choices=HeartbeatKind.choices, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.kind} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class OutboxMessage(models.Model):
    """A message the local outbox kept instead of sending (notifications/outbox.py).

    Only in a demo or a test set-up (``OUTBOX_CHANNEL``): what would have gone by SMS,
    e-mail or push is listed on the dashboard's outbox page, its link clickable.
    """

    clinic = models.ForeignKey(Clinic, null=True, on_delete=models.CASCADE, related_name="outbox")
    delivery = models.ForeignKey(Delivery, null=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    address = models.CharField(max_length=512)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    kept_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-kept_at", "-id"]
        indexes = [models.Index(fields=["clinic", "-kept_at"], name="outbox_clinic_recent")]

    def __str__(self):
        return f"{self.channel} kept {self.kept_at:%H:%M:%S}"
