"""The clinical rule set: every threshold of CLINICAL.md, in one place. Pure.

A clinic's rules are these defaults with its overrides applied. The database keeps each
version as an immutable ``RuleSet`` row (``diary.models``); every finding names the row
that produced it, so a later change of threshold never rewrites why an alert was raised.
"""

from dataclasses import asdict, dataclass, fields, replace

# The version of CLINICAL.md's rule set this code implements. A default RuleSet row is
# seeded for each (diary.migrations); a clinic's overrides are carried onto each new one.
VERSION = 2


@dataclass(frozen=True)
class Rules:
    # Safety triage (CLINICAL.md, "Safety triage after the block").
    expected_numbness_hours: float = 4.0  # leg numbness/weakness is expected up to this
    never_normal_numbness_hours: float = 24.0  # still numb after this: urgent, high priority
    followup_hours: float = 4.0  # a "still numb?" check-in at this time after the block
    fever_celsius: float = 38.0  # a temperature above this is a fever
    anticoagulant_raise: bool = True  # persisting symptoms on anticoagulants: one level up
    # v2: weakness newly present against the previous entry is "worse" only once that entry
    # was recorded this long after the block; before, the anaesthetic may still be taking hold.
    onset_minutes: int = 30
    # Diagnostic response (CLINICAL.md, "Diagnostic response").
    positive_relief_percent: int = 80
    lidocaine_window_minutes: int = 180
    bupivacaine_window_minutes: int = 480
    min_readings_in_window: int = 3
    first_hour_reading_required: bool = True
    # Readings further apart than this say nothing about the time between them: with hourly
    # readings one missed hour (a 2 h gap) is bridged, two are not.
    max_reading_gap_minutes: int = 120
    # Relief still at or above the threshold after this many expected windows is not the
    # anaesthetic's: flagged for a clinician's review, not rejected.
    beyond_window_factor: float = 2.0
    rfa_min_days_between_blocks: int = 14
    rfa_max_sessions_per_year: int = 4

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT_RULES = Rules()

# (lowest, highest) allowed for each number: an override outside is refused, not clamped.
_BOUNDS = {
    "expected_numbness_hours": (0.5, 24),
    "never_normal_numbness_hours": (1, 168),
    "followup_hours": (0.5, 24),
    "onset_minutes": (0, 240),
    "fever_celsius": (37.0, 40.0),
    "positive_relief_percent": (1, 100),
    "lidocaine_window_minutes": (15, 24 * 60),
    "bupivacaine_window_minutes": (15, 48 * 60),
    "min_readings_in_window": (1, 20),
    "max_reading_gap_minutes": (15, 24 * 60),
    "beyond_window_factor": (1.0, 10.0),
    "rfa_min_days_between_blocks": (0, 365),
    "rfa_max_sessions_per_year": (1, 24),
}


class RulesError(ValueError):
    """An override that cannot be applied; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def field_names() -> list[str]:
    return [f.name for f in fields(Rules)]


def apply_overrides(base: Rules, overrides: dict) -> Rules:
    """``base`` with ``overrides`` applied, each checked for name, type and range."""
    if not isinstance(overrides, dict):
        raise RulesError("rule_overrides", "Must be an object of threshold names to values.")
    types = {f.name: f.type for f in fields(Rules)}
    clean = {}
    for name, value in overrides.items():
        if name not in types:
            raise RulesError(name, f"Unknown rule; known: {', '.join(field_names())}.")
        clean[name] = _checked(name, types[name], value)
    rules = replace(base, **clean)
    if rules.never_normal_numbness_hours <= rules.expected_numbness_hours:
        raise RulesError(
            "never_normal_numbness_hours", "Must be later than expected_numbness_hours."
        )
    return rules


def _checked(name: str, kind, value):
    if kind in (bool, "bool"):
        if not isinstance(value, bool):
            raise RulesError(name, "Must be true or false.")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RulesError(name, "Must be a number.")
    # The range first: it also refuses infinity (1e400 in JSON) and NaN, which int() below
    # cannot take (an OverflowError, a 500).
    low, high = _BOUNDS[name]
    if not low <= value <= high:
        raise RulesError(name, f"Must be between {low} and {high}.")
    if kind in (int, "int") and value != int(value):
        raise RulesError(name, "Must be a whole number.")
    return int(value) if kind in (int, "int") else float(value)


def from_dict(values: dict) -> Rules:
    """Rules from a stored row; names added to the code since it was stored take defaults."""
    known = set(field_names())
    return replace(DEFAULT_RULES, **{k: v for k, v in values.items() if k in known})
