"""Which channel reaches a patient. Pure: the caller gathers the facts."""

from dataclasses import dataclass, field

from notifications.models import DEFAULT_CHANNEL_ORDER, PATIENT_CHANNELS, Channel


@dataclass(frozen=True)
class Target:
    channel: str
    address: str
    platform: str = ""
    device_id: int | None = None


@dataclass
class Reachability:
    """What is known about one patient's ways to be reached."""

    channel_order: str = DEFAULT_CHANNEL_ORDER
    devices: list[tuple[int, str, str]] = field(default_factory=list)  # (id, platform, token)
    phone: str = ""
    email: str = ""


def parse_order(order: str) -> list[str]:
    """``"sms, push"`` → ``["sms", "push"]``: known channels, each once, in the given order."""
    seen = []
    for name in (part.strip() for part in order.split(",")):
        # Only the patient's channels: webhook and pagerduty page staff, never a patient.
        if name in PATIENT_CHANNELS and name not in seen:
            seen.append(name)
    return seen


ORDER_HELP = "Give push, sms and/or email, each once, comma-separated (e.g. sms,push)."


def clean_order(order: str) -> str:
    """A channel order as typed (``"sms, push"``) → as stored (``"sms,push"``); raises
    ``ValueError`` (saying what is expected) for an unknown or repeated channel."""
    names = [part.strip() for part in order.split(",") if part.strip()]
    if not names or parse_order(order) != names:
        raise ValueError(ORDER_HELP)
    return ",".join(names)


def targets(channel: str, reach: Reachability) -> list[Target]:
    """Every address of the patient on one channel (push: each working device)."""
    if channel == Channel.PUSH:
        return [
            Target(channel, token, platform, device_id)
            for device_id, platform, token in reach.devices
        ]
    if channel == Channel.SMS and reach.phone:
        return [Target(channel, reach.phone)]
    if channel == Channel.EMAIL and reach.email:
        return [Target(channel, reach.email)]
    return []


def first_reachable(
    reach: Reachability, enabled: set[str], *, skip: set[str] = frozenset()
) -> list[Target]:
    """Targets on the first channel in the patient's order that is enabled and has an
    address, passing over channels in ``skip`` (already tried)."""
    for channel in parse_order(reach.channel_order):
        if channel in enabled and channel not in skip:
            found = targets(channel, reach)
            if found:
                return found
    return []
