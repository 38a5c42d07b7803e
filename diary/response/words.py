"""How the reasons write dates, percentages, durations and counts."""

from datetime import date


def iso_date(day: date) -> str:
    return day.isoformat()


def percent(value: float) -> str:
    return f"{value:g} %"


def duration(minutes: int) -> str:
    """45 → "45 min", 120 → "2 h", 150 → "2 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
