"""The outbox: one row per message to send, one attempt row per try, and patients'
channel preferences. The database says what must be sent; the broker only says "now"."""

from django.db import models
from django.db.models import Q

from diary.models import CheckIn, Device, Patient


class Channel(models.TextChoices):
    PUSH = "push"
    SMS = "sms"
    EMAIL = "email"


DEFAULT_CHANNEL_ORDER = "push,sms,email"


class Purpose(models.TextChoices):
    REMINDER = "checkin_reminder", "check-in reminder"
    REREMINDER = "checkin_rereminder", "check-in re-reminder"


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
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The check-in's plan_version when this was planned: re-planned means not wanted.
    checkin_version = models.PositiveIntegerField(null=True, blank=True)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
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


class DeliveryAttempt(models.Model):
    """One try at sending a delivery, with what the provider said."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts_log")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=AttemptOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_response = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self):
        return f"attempt at {self.started_at:%H:%M:%S}: {self.outcome}"
