"""Who is on call for a clinic, whether they can be reached, and the writes that change it:
shifts and staff devices.

A shift only counts while its user is still active staff of the shift's clinic: someone
who moved to another clinic, or whose account was switched off, cannot acknowledge an
alert, so paging them would only hide a gap in the rota.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q

from diary.models import Clinic, StaffMembership
from diary.services import DiaryError
from notifications import breaker
from notifications.models import Channel, OnCallShift, ShiftRole, StaffDevice
from notifications.reach import enabled_channels
from notifications.routing import Target
from notifications.transports import get_transport

MAX_SHIFT = timedelta(days=31)
LOOKAHEAD = timedelta(hours=24)
# What a person can add to become reachable on each channel, in the order we suggest them.
REMEDIES = {"sms": "a phone", "email": "an e-mail", "push": "a device"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OnCall:
    primary: list
    backup: list


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _counting_shifts(clinic_id: int):
    return OnCallShift.objects.filter(
        clinic_id=clinic_id, user__is_active=True, user__membership__clinic_id=clinic_id
    ).select_related("user", "user__membership")


def on_call(clinic_id: int, at: datetime) -> OnCall:
    """Who is on call at ``at`` (a shift covers [starts_at, ends_at)): one query."""
    shifts = _counting_shifts(clinic_id).filter(starts_at__lte=at, ends_at__gt=at)
    found = {ShiftRole.PRIMARY: [], ShiftRole.BACKUP: []}
    for shift in shifts.order_by("starts_at", "id"):
        people = found[shift.role]
        # Two overlapping shifts (a handover booked generously) must not page anyone twice.
        if shift.user not in people:
            people.append(shift.user)
    return OnCall(primary=found[ShiftRole.PRIMARY], backup=found[ShiftRole.BACKUP])


# --- Shifts -------------------------------------------------------------------------


def check_shift(clinic: Clinic, user, role: str, starts_at: datetime, ends_at: datetime):
    membership = getattr(user, "membership", None)
    if membership is None or membership.clinic_id != clinic.pk:
        raise DiaryError("user", f"{display_name(user)} is not staff of {clinic}.")
    if not user.is_active:
        raise DiaryError("user", f"{display_name(user)}'s account is switched off.")
    if role not in ShiftRole.values:
        raise DiaryError("role", f"Must be one of: {', '.join(ShiftRole.values)}.")
    if ends_at <= starts_at:
        raise DiaryError("ends_at", "Must be after starts_at.")
    if ends_at - starts_at > MAX_SHIFT:
        # Why a limit: a mistyped year would otherwise put one person on call for ever
        # and silence every coverage warning.
        raise DiaryError("ends_at", "A shift lasts at most 31 days; add another for the rest.")


@transaction.atomic
def create_shift(*, clinic: Clinic, user, role: str, starts_at, ends_at) -> OnCallShift:
    check_shift(clinic, user, role, starts_at, ends_at)
    return OnCallShift.objects.create(
        clinic=clinic, user=user, role=role, starts_at=starts_at, ends_at=ends_at
    )


@transaction.atomic
def update_shift(shift: OnCallShift, **changes) -> OnCallShift:
    """Change a shift's user, role or times; checked as a whole after the change.

    The row is locked and re-read first: two admins moving the start and the end at once
    must not together save a shift that ends before it starts."""
    unknown = set(changes) - {"user", "role", "starts_at", "ends_at"}
    if unknown:
        raise TypeError(f"update_shift() cannot change {', '.join(sorted(unknown))}")
    shift = (
        OnCallShift.objects.select_for_update(of=("self",))
        .select_related("clinic", "user__membership")
        .get(pk=shift.pk)
    )
    for name, value in changes.items():
        setattr(shift, name, value)
    check_shift(shift.clinic, shift.user, shift.role, shift.starts_at, shift.ends_at)
    if changes:
        shift.save(update_fields=list(changes))
    return shift


@transaction.atomic
def delete_shift(shift: OnCallShift) -> None:
    shift.delete()


# --- Reachability -------------------------------------------------------------------


def staff_addresses(users) -> dict[int, list[Target]]:
    """Every working address of each staff member, in the order push, sms, email: their
    enabled devices in one query; phone and e-mail from the users (and their membership,
    loaded with them by the caller)."""
    users = list(users)
    enabled = enabled_channels()
    found: dict[int, list[Target]] = {user.pk: [] for user in users}
    if Channel.PUSH in enabled and users:
        push = get_transport("push")
        devices = StaffDevice.objects.filter(user__in=users, disabled_at__isnull=True)
        for device in devices.order_by("id"):
            # An iPhone's token is no use while APNs is not set up, however many FCM keys.
            if push.is_configured(device.platform):
                found[device.user_id].append(
                    Target(Channel.PUSH, device.token, device.platform, device.pk)
                )
    for user in users:
        membership = getattr(user, "membership", None)
        if membership is None:
            continue
        # A phone or e-mail that failed for good is skipped until it changes or staff say
        # it works again (the coverage warnings name it meanwhile).
        if Channel.SMS in enabled and membership.phone and not membership.phone_disabled_at:
            found[user.pk].append(Target(Channel.SMS, membership.phone))
        if Channel.EMAIL in enabled and user.email and not membership.email_disabled_at:
            found[user.pk].append(Target(Channel.EMAIL, user.email))
    return found


def channels_by_user(users) -> dict[int, list[str]]:
    """Each user's working channels, in the order push, sms, email: one query in all."""
    return {
        user_id: list(dict.fromkeys(target.channel for target in targets))
        for user_id, targets in staff_addresses(users).items()
    }


def working_channels(user) -> list[str]:
    """How ``user`` can be paged now: "push", "sms" and/or "email"."""
    return channels_by_user([user])[user.pk]


# --- Coverage -----------------------------------------------------------------------


def coverage_warnings(clinic: Clinic, now: datetime) -> list[str]:
    """What is wrong with the rota over the next 24 hours, one sentence each: every gap
    with no primary on call, then everyone on a shift who cannot be reached."""
    end = now + LOOKAHEAD
    shifts = list(
        _counting_shifts(clinic.pk)
        .filter(starts_at__lt=end, ends_at__gt=now)
        .order_by("starts_at", "id")
    )
    zone = ZoneInfo(clinic.timezone)
    primary = [(s.starts_at, s.ends_at) for s in shifts if s.role == ShiftRole.PRIMARY]
    warnings = [_gap_sentence(gap, now, end, zone) for gap in gaps(primary, now, end)]
    # First among the rest: while a channel is held, nobody is paged or reminded through it.
    warnings += [_held_sentence(held, zone) for held in breaker.held()]

    enabled = enabled_channels()
    if not enabled:
        # Adding a phone cannot help while the server sends nothing: say what can.
        warnings.append(
            "No channel is set up on the server (push, SMS or e-mail): nobody can be paged."
        )
        return warnings
    people = list({s.user.pk: s.user for s in shifts}.values())
    reachable = channels_by_user(people)
    remedies = [REMEDIES[channel] for channel in REMEDIES if channel in enabled]
    for person in people:
        if not reachable[person.pk]:
            warnings.append(
                f"{display_name(person)} is on call but has no working channel: "
                f"add {_either(remedies)}."
            )
    return warnings + switched_off_sentences(clinic)


def switched_off_sentences(clinic: Clinic) -> list[str]:
    """Every colleague's phone or e-mail switched off after a page failed for good, with
    why: anyone of the clinic may be paged at a later step, on shift or not."""
    members = (
        StaffMembership.objects.filter(clinic=clinic, user__is_active=True)
        .filter(Q(phone_disabled_at__isnull=False) | Q(email_disabled_at__isnull=False))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "id")
    )
    sentences = []
    for member in members:
        name = display_name(member.user)
        if member.phone_disabled_at and member.phone:
            sentences.append(
                _switched_off(name, "phone", member.phone, member.phone_disabled_reason)
            )
        if member.email_disabled_at and member.user.email:
            sentences.append(
                _switched_off(name, "e-mail", member.user.email, member.email_disabled_reason)
            )
    return sentences


def _switched_off(name: str, what: str, address: str, reason: str) -> str:
    return (
        f"{name}'s {what} {address} was switched off: {reason or 'it failed for good'}; "
        "fix it on the staff page."
    )


def _held_sentence(held: dict, zone: ZoneInfo) -> str:
    since = held["since"].astimezone(zone)
    return (
        f"{HELD_LABELS.get(held['channel'], held['channel'])} is held since {since:%H:%M}: "
        "its sends kept failing as if every address were dead (often a wrong credential); "
        "nothing is sent through it and no address is switched off until it is released."
    )


HELD_LABELS = {
    "push/fcm": "Push to Android (FCM)",
    "push/apns": "Push to iPhones (APNs)",
    "sms": "SMS",
    "email": "E-mail",
}


def gaps(spans, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The parts of [start, end) that no (from, until) span covers, in order. Pure."""
    found, cursor = [], start
    for begins, ends in sorted(spans):
        if begins > cursor:
            found.append((cursor, min(begins, end)))
        cursor = max(cursor, ends)
        if cursor >= end:
            break
    if cursor < end:
        found.append((cursor, end))
    return [(begins, ends) for begins, ends in found if begins < ends]


def _gap_sentence(gap, now: datetime, end: datetime, zone: ZoneInfo) -> str:
    begins, ends = gap
    if begins == now and ends == end:
        return f"No primary on call in the next 24 hours ({zone.key})."
    today = now.astimezone(zone).date()
    since = "now" if begins == now else _clock(begins, today, zone)
    # The end's date is given when it differs from the start's: "Thu 11 Jun 18:00 to 19:00".
    until = _clock(ends, begins.astimezone(zone).date(), zone)
    return f"No primary on call from {since} to {until} ({zone.key})."


def _clock(moment: datetime, known_day, zone: ZoneInfo) -> str:
    """18:00 on ``known_day``, or Thu 11 Jun 08:00 on another, in the clinic's time."""
    local = moment.astimezone(zone)
    if local.date() == known_day:
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


# --- Staff devices ------------------------------------------------------------------


@transaction.atomic
def register_staff_device(*, user, platform: str, token: str) -> tuple[StaffDevice, bool]:
    """Upsert a push token; a token seen before moves to this user and is re-enabled
    (a phone handed from one nurse to the next pages only the one who signed in last)."""
    device = StaffDevice.objects.select_for_update().filter(platform=platform, token=token).first()
    if device is None:
        try:
            with transaction.atomic():
                created = StaffDevice.objects.create(user=user, platform=platform, token=token)
                return created, True
        except IntegrityError:  # registered by a concurrent request since we looked
            device = StaffDevice.objects.select_for_update().get(platform=platform, token=token)
    if device.user_id != user.pk:
        # A token is not proof of holding the phone: one of another clinic's staff must not
        # be able to take over where another clinic's pages go.
        previous = getattr(device.user, "membership", None)
        if previous is None or previous.clinic_id != user.membership.clinic_id:
            raise DiaryError("token", "This phone is registered at another clinic.")
        log.info("staff push token %s moved from user %s to %s", device.pk, device.user_id, user.pk)
    device.user = user
    device.disabled_at = None
    device.save(update_fields=["user", "disabled_at"])
    return device, False


@transaction.atomic
def remove_staff_device(device: StaffDevice) -> None:
    device.delete()
