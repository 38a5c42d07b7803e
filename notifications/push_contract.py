"""The data a push carries for the app: part of the API's contract, published in the schema.

FCM puts these keys in ``message.data``; APNs beside ``aps`` in the payload. The same keys,
all strings, on both (``transports._common.push_data``), so an app reads one shape. Nothing
clinical is in them: pushes pass through Google and Apple (messages.py).
"""

_STRING = {"type": "string"}

_COMMON = {
    "url": {
        **_STRING,
        "format": "uri",
        "description": "The deep link: an https link to this server that opens the "
        "screen without the app (the patient's web check-in, or the staff alert page). An "
        "app that claims the host as a universal link / App Link opens it itself.",
    },
    "collapse_id": {
        **_STRING,
        "description": "Stable for every try of this message: a resend replaces the shown "
        "notification instead of adding one. Also the provider's collapse key.",
    },
    "expires_at": {
        **_STRING,
        "format": "date-time",
        "description": "ISO 8601, UTC: after this the provider drops an undelivered push "
        "and the app should not show one that arrives late (a reminder: when its "
        "check-in closes).",
    },
}

REMINDER = {
    "type": "object",
    "description": "The data of a check-in reminder push to a patient's phone.",
    "properties": {
        "kind": {
            **_STRING,
            "enum": ["checkin_reminder", "checkin_rereminder"],
            "description": "A first reminder, or a re-reminder of a check-in still open.",
        },
        "checkin_id": {
            **_STRING,
            "pattern": "^[0-9]+$",
            "description": "The check-in's id, as in /api/v1/me/checkins/{id}/ (a string: "
            "push data values are strings).",
        },
        **_COMMON,
    },
    "required": ["kind", "checkin_id", "url", "collapse_id", "expires_at"],
    "additionalProperties": False,
}

ALERT_PAGE = {
    "type": "object",
    "description": "The data of an alert page push to an on-call staff member's phone.",
    "properties": {
        "kind": {**_STRING, "enum": ["alert_page"], "description": "A page about an alert."},
        "alert_id": {
            **_STRING,
            "pattern": "^[0-9]+$",
            "description": "The alert's id, as in /api/v1/alerts/{id}/.",
        },
        **_COMMON,
    },
    "required": ["kind", "alert_id", "url", "collapse_id", "expires_at"],
    "additionalProperties": False,
}

COMPONENTS = {"PushReminderData": REMINDER, "PushAlertPageData": ALERT_PAGE}
