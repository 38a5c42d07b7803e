"""The diary's own settings: enrolment, tokens, re-reminders, clocks, corrections, audit."""

from backend.settings_sections.base import env

ENROLLMENT_CODE_TTL_DAYS = 14
# A staff API token unused this long stops working (sliding: each use restarts it).
STAFF_TOKEN_IDLE_HOURS = env.float("STAFF_TOKEN_IDLE_HOURS", default=12.0)
# One re-reminder this far through a check-in's window if still unanswered; "none" to disable.
_rereminder = env.str("REREMINDER_FRACTION", default="0.5")
REREMINDER_FRACTION = None if _rereminder.lower() == "none" else float(_rereminder)
# A phone whose clock is off by more than this (its sent_at against our receipt) has its
# readings' times corrected by that much (diary/clock.py); within it, network time in
# flight is not mistaken for a wrong clock.
CLOCK_SKEW_TOLERANCE_SECONDS = env.float("CLOCK_SKEW_TOLERANCE_SECONDS", default=120.0)

# How long the audit trail keeps its rows; older ones go with `manage.py prune_audit`
# (which leaves a row of its own). Medical-record rules are years: ten by default.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=3650)
# A patient may correct an entry this long after sending it (a wrong button); later, a new
# entry says what changed.
ENTRY_CORRECTION_MINUTES = env.int("ENTRY_CORRECTION_MINUTES", default=30)

# An entry that reaches the server more than this after it was recorded (kept on a phone
# offline, sent in a batch later) is marked as reported late on the alert it raises.
LATE_ENTRY_SECONDS = env.int("LATE_ENTRY_SECONDS", default=15 * 60)

# Triage hands its findings to this one function (the diary never imports notifications).
DIARY_FINDINGS_HANDLER = "notifications.alerts.handle_findings"
# The patient's channel order (push, SMS, e-mail) is kept by notifications; the phone app
# changes it through the diary's /me/ with this (read, clean, write).
DIARY_CHANNEL_ORDER = "notifications.patient_contact.PatientChannelOrder"
