"""The check-ins of a block: when each opens, is due and closes, and its status on the clock."""

import datetime

from django.db import models
from django.db.models import Q

from diary.models.procedures import Procedure
from diary.models.protocols import StepKind


class CheckInStatus(models.TextChoices):
    UPCOMING = "upcoming"
    DUE = "due"
    ANSWERED = "answered"
    MISSED = "missed"
    CANCELLED = "cancelled"


OPEN_CHECKIN_STATUSES = (CheckInStatus.UPCOMING, CheckInStatus.DUE)


class CheckIn(models.Model):
    procedure = models.ForeignKey(
        Procedure,
        on_delete=models.CASCADE,
        related_name="checkins",
        help_text="The block this check-in follows.",
    )
    key = models.SlugField(max_length=16, help_text="The protocol step it was planned from.")
    kind = models.CharField(max_length=12, choices=StepKind.choices, default=StepKind.AFTER_BLOCK)
    opens_at = models.DateTimeField(
        help_text="From when a reading answers it (a little before it is due)."
    )
    due_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=CheckInStatus.choices, default=CheckInStatus.UPCOMING
    )
    label = models.CharField(max_length=80)
    # Reminders: when to send (quiet hours applied), when to send again, what was sent.
    remind_at = models.DateTimeField(null=True, blank=True)
    rereminder_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    rereminded_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every re-plan: a reminder queued for an older plan is not sent.
    plan_version = models.PositiveIntegerField(default=1)
    answered_at = models.DateTimeField(
        null=True, blank=True, help_text="When the answering entry was recorded."
    )
    follow_up = models.BooleanField(
        default=False,
        help_text="Also asks whether the leg is still numb or weak (added after numbness).",
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "key"], name="checkin_step_unique"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("due_at")), name="checkin_window"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lte=models.F("due_at")), name="checkin_opens_by_due"
            ),
            models.CheckConstraint(
                condition=Q(status__in=CheckInStatus.values), name="checkin_status_valid"
            ),
        ]
        indexes = [
            # Partial indexes keep "what falls due / closes next" cheap however many
            # answered and missed check-ins pile up behind them.
            models.Index(
                fields=["remind_at"], condition=Q(status="upcoming"), name="checkin_to_remind"
            ),
            models.Index(
                fields=["rereminder_at"],
                condition=Q(status="due", rereminded_at__isnull=True),
                name="checkin_to_remind_again",
            ),
            models.Index(
                fields=["closes_at"],
                condition=Q(status__in=["upcoming", "due"]),
                name="checkin_open_closes",
            ),
        ]

    def __str__(self):
        return f"{self.label} ({self.status})"

    def status_at(self, now: datetime.datetime) -> str:
        """The status as a fact about the clock (CLINICAL.md v2): an open check-in is due
        from ``opens_at`` and missed from ``closes_at``, whether or not beat has run yet.
        The stored status is what reminders and alerts act on."""
        if self.status not in OPEN_CHECKIN_STATUSES:
            return self.status
        if now >= self.closes_at:
            return CheckInStatus.MISSED
        return CheckInStatus.DUE if now >= self.opens_at else CheckInStatus.UPCOMING


def checkin_status_q(status: str, now: datetime.datetime) -> Q:
    """The filter of check-ins whose ``status_at(now)`` is ``status``."""
    open_ = Q(status__in=OPEN_CHECKIN_STATUSES)
    if status == CheckInStatus.MISSED:
        return Q(status=CheckInStatus.MISSED) | (open_ & Q(closes_at__lte=now))
    if status == CheckInStatus.DUE:
        return open_ & Q(opens_at__lte=now, closes_at__gt=now)
    if status == CheckInStatus.UPCOMING:
        return open_ & Q(opens_at__gt=now)
    return Q(status=status)
