"""A clinic's staff: inviting a colleague, their roles, switching an account off and on.

A clinic must never be left without an active admin: nobody else could then invite, fix
roles or switch off a leaver's account. Every change that could do so locks the clinic's
row first, so two admins demoting each other at the same moment cannot both succeed.

One account per e-mail address, whatever its case, is a unique index in the database
(migration diary 0010): the checks here give the clear message, the index settles a race
between two admins inviting the same person at once. Role changes and switching an account
off or on are logged (who, whom, what); the audit trail proper is a later issue.
"""

import logging
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from diary import phones
from diary.models import AccessToken, Clinic, StaffMembership
from diary.services.errors import DiaryError

ROLES = ("is_clinician", "is_oncall", "is_admin")
# The unique index on LOWER(email) of auth_user (migration diary 0010).
EMAIL_INDEX = "auth_user_email_ci_unique"
EMAIL_TAKEN = "Someone already has an account with this e-mail."
NAME_MAX_LENGTH = 150  # auth.User's first_name and last_name

log = logging.getLogger(__name__)


@transaction.atomic
def invite_staff(clinic: Clinic, *, email: str, first_name: str, last_name: str, roles, by):
    """A new colleague with ``roles`` (names from ROLES) and no password yet; they are
    e-mailed a link to choose one. Returns the user and that link."""
    email = _checked_email(email)
    first_name, last_name = _checked_name(first_name, last_name)
    # E-mail is how a person is told their link: two accounts with one address would let
    # whoever reads it take over both. Checked in every clinic, not only this one.
    if _email_in_use(email):
        raise DiaryError("email", EMAIL_TAKEN)
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise DiaryError("roles", f"Unknown roles: {', '.join(sorted(unknown))}.")
    user = _create_account(email, first_name, last_name)
    # create_user without a password already stores an unusable one: nobody can sign in
    # as the colleague until they follow the link.
    StaffMembership.objects.create(
        user=user, clinic=clinic, **{role: role in roles for role in ROLES}
    )
    log.info("staff invited: user=%s clinic=%s by=%s", user.pk, clinic.pk, by.pk)
    url = set_password_url(user)
    _mail_link(user, url, by, clinic)
    return user, url


@transaction.atomic
def update_staff(membership: StaffMembership, *, by, **changes) -> bool:
    """Change a colleague's name, e-mail, phone and roles (any of ``first_name``,
    ``last_name``, ``email``, ``phone`` and the ROLES), all or nothing. Returns whether a
    new set-password link was sent: an invitee who has not chosen a password yet gets one
    at their new address. A new phone or e-mail starts enabled for pages."""
    unknown = set(changes) - {"first_name", "last_name", "email", "phone", *ROLES}
    if unknown:
        raise DiaryError(sorted(unknown)[0], "This field cannot be changed here.")
    if "phone" in changes:
        _update_phone(membership, changes["phone"], by)
    resent = _update_details(membership, changes, by)
    if any(role in changes for role in ROLES):
        # Roles not sent keep their stored value, read under the clinic's lock: another
        # admin's change made meanwhile is not undone with what this request read first.
        _lock_clinic(membership)
        roles = {role: changes.get(role, getattr(membership, role)) for role in ROLES}
        change_roles(membership, **roles, by=by)
    return resent


@transaction.atomic
def resend_invitation(membership: StaffMembership, by) -> str:
    """A fresh set-password link, e-mailed, for someone whose first one expired or was lost."""
    user = membership.user
    if not user.is_active:
        raise DiaryError("is_active", "Reactivate this account before sending a new link.")
    if not user.email:
        raise DiaryError("email", "This account has no e-mail to send the link to.")
    url = set_password_url(user)
    _mail_link(user, url, by, membership.clinic)
    return url


def link_lifetime() -> str:
    """How long a set-password link works, in words: "3 days", or "12 hours"."""
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    return f"{hours // 24} days" if hours % 24 == 0 and hours > 24 else f"{hours} hours"


def set_password_url(user) -> str:
    """Django's password-reset link: it stops working after PASSWORD_RESET_TIMEOUT, and
    as soon as the password it sets changes the user's password hash."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("dashboard:set_password", args=[uidb64, token])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


@transaction.atomic
def change_roles(membership: StaffMembership, *, is_clinician, is_oncall, is_admin, by):
    _lock_clinic(membership)
    if membership.is_admin and not is_admin and _is_last_admin(membership):
        raise DiaryError(
            "is_admin", "The clinic needs at least one active admin: make someone else admin first."
        )
    before = _roles_of(membership)
    membership.is_clinician = bool(is_clinician)
    membership.is_oncall = bool(is_oncall)
    membership.is_admin = bool(is_admin)
    membership.save(update_fields=list(ROLES))
    if _roles_of(membership) != before:
        log.info(
            "staff roles changed: user=%s clinic=%s by=%s from=%s to=%s",
            membership.user_id,
            membership.clinic_id,
            by.pk,
            before,
            _roles_of(membership),
        )
    return membership


@transaction.atomic
def deactivate_staff(membership: StaffMembership, by) -> int:
    """Switch the account off: no dashboard sign-in (an open session ends on its next
    request, as Django's backend refuses inactive users) and no API token. Their on-call
    shifts stop counting (notifications.oncall). Returns how many tokens were revoked."""
    _lock_clinic(membership)
    user = membership.user
    if user.pk == by.pk:
        raise DiaryError("is_active", "You cannot deactivate your own account.")
    if membership.is_admin and _is_last_admin(membership):
        raise DiaryError("is_active", "The clinic's last active admin cannot be deactivated.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoked, _ = AccessToken.objects.filter(user=user).delete()
    log.info(
        "staff deactivated: user=%s clinic=%s by=%s tokens_revoked=%s",
        user.pk,
        membership.clinic_id,
        by.pk,
        revoked,
    )
    return revoked


@transaction.atomic
def reactivate_staff(membership: StaffMembership, by) -> StaffMembership:
    """Switch the account back on; the old password works again, revoked tokens do not."""
    user = membership.user
    user.is_active = True
    user.save(update_fields=["is_active"])
    log.info("staff reactivated: user=%s clinic=%s by=%s", user.pk, membership.clinic_id, by.pk)
    return membership


def _lock_clinic(membership: StaffMembership) -> None:
    """Serialise the clinic's staff changes, then re-read the roles: they may have changed
    while this request waited for the lock."""
    Clinic.objects.select_for_update().filter(pk=membership.clinic_id).first()
    membership.refresh_from_db(fields=list(ROLES))
    membership.user.refresh_from_db(fields=["is_active"])


def _update_details(membership: StaffMembership, changes: dict, by) -> bool:
    user = membership.user
    fields = {}
    if "first_name" in changes or "last_name" in changes:
        first, last = _checked_name(
            changes.get("first_name", user.first_name), changes.get("last_name", user.last_name)
        )
        fields.update(first_name=first, last_name=last)
    email_changed = False
    if "email" in changes:
        email = changes["email"].strip()
        if email or user.email:  # an account made without one may stay without one
            email = _checked_email(email)
        email_changed = email.lower() != user.email.lower()
        if email_changed and _email_in_use(email, besides=user.pk):
            raise DiaryError("email", EMAIL_TAKEN)
        fields["email"] = email
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(user, name, fields[name])
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the caller's transaction usable
            user.save(update_fields=changed)
    except IntegrityError as error:
        if EMAIL_INDEX in str(error):  # someone took the address since the check above
            raise DiaryError("email", EMAIL_TAKEN) from None
        raise
    log.info("staff details changed: user=%s by=%s fields=%s", user.pk, by.pk, changed)
    if email_changed and membership.email_disabled_at is not None:
        # The address that bounced is gone: the new one starts enabled.
        membership.email_disabled_at, membership.email_disabled_reason = None, ""
        membership.save(update_fields=["email_disabled_at", "email_disabled_reason"])
    # Django's set-password token covers the e-mail, so a link sent to the old address
    # stopped working just now; an invitee who has not used theirs gets a new one.
    if email_changed and user.email and user.is_active and not user.has_usable_password():
        _mail_link(user, set_password_url(user), by, membership.clinic)
        return True
    return False


def _update_phone(membership: StaffMembership, typed: str, by) -> None:
    try:
        phone = phones.normalise(typed or "", phones.region_of(membership.clinic.phone))
    except phones.PhoneError as error:
        raise DiaryError("phone", str(error)) from None
    if phone == membership.phone:
        return
    membership.phone = phone
    membership.phone_disabled_at, membership.phone_disabled_reason = None, ""
    membership.save(update_fields=["phone", "phone_disabled_at", "phone_disabled_reason"])
    log.info("staff phone changed: user=%s by=%s", membership.user_id, by.pk)


# What "it works again" may switch back on, and the membership's fields for it.
SWITCHED_OFF = {"phone": "phone", "email": "email"}


@transaction.atomic
def restore_staff_address(membership: StaffMembership, address: str, by) -> StaffMembership:
    """The colleague's phone or e-mail, switched off after a page failed for good, works
    again (they answered STOP by mistake, their mailbox was full): page it again. Harmless
    when it was not switched off."""
    if address not in SWITCHED_OFF:
        raise DiaryError("address", "Say which works again: phone or email.")
    fields = [f"{address}_disabled_at", f"{address}_disabled_reason"]
    membership.refresh_from_db(fields=fields)
    if getattr(membership, fields[0]) is None:
        return membership
    setattr(membership, fields[0], None)
    setattr(membership, fields[1], "")
    membership.save(update_fields=fields)
    log.info("staff %s works again: user=%s by=%s", address, membership.user_id, by.pk)
    return membership


def _checked_email(email: str) -> str:
    email = email.strip()
    if not email:
        raise DiaryError("email", "An e-mail address is needed: the set-password link goes there.")
    try:
        validate_email(email)
    except ValidationError:
        raise DiaryError("email", "Enter a valid e-mail address.") from None
    if len(email) > 254:
        raise DiaryError("email", "An e-mail address has at most 254 characters.")
    return email


def _checked_name(first_name: str, last_name: str) -> tuple[str, str]:
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name:
        raise DiaryError("first_name", "Enter their first name.")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value) > NAME_MAX_LENGTH:
            raise DiaryError(field, f"At most {NAME_MAX_LENGTH} characters.")
    return first_name, last_name


def _email_in_use(email: str, besides: int | None = None) -> bool:
    return get_user_model().objects.filter(email__iexact=email).exclude(pk=besides).exists()


def _create_account(email: str, first_name: str, last_name: str):
    """The colleague's user. Two invitations of one address at once both pass the check in
    invite_staff; the unique index lets one through and the other gets the clear error.
    Two of different addresses may pick the same free username at once: pick again."""
    users = get_user_model().objects
    for _ in range(3):
        try:
            with transaction.atomic():  # a savepoint, so the invitation can go on after a refusal
                return users.create_user(
                    username=_free_username(email),
                    email=email,
                    first_name=first_name,
                    last_name=last_name,
                )
        except IntegrityError as error:
            if EMAIL_INDEX in str(error):
                raise DiaryError("email", EMAIL_TAKEN) from None
    raise DiaryError("email", "Could not pick a username for this colleague; try again.")


def _roles_of(membership: StaffMembership) -> list[str]:
    return [role for role in ROLES if getattr(membership, role)]


def _is_last_admin(membership: StaffMembership) -> bool:
    others = StaffMembership.objects.filter(
        clinic_id=membership.clinic_id, is_admin=True, user__is_active=True
    ).exclude(pk=membership.pk)
    return membership.user.is_active and not others.exists()


def _free_username(email: str) -> str:
    """The e-mail's local part, as Django's username characters allow; a number is added
    when it is taken (ravi, ravi2, ...)."""
    base = re.sub(r"[^\w.+-]", "", email.split("@")[0].lower())[:140] or "staff"
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


def _mail_link(user, url: str, by, clinic: Clinic) -> None:
    # notifications builds on diary: imported on use, so diary.services loads on its own.
    from notifications.oncall import display_name

    body = (
        f"Hello {display_name(user)},\n\n"
        f"{display_name(by)} has invited you to {clinic.name}'s pain diary dashboard.\n\n"
        f"Your username is: {user.get_username()}\n\n"
        f"Choose your password here (the link works once, for {link_lifetime()}):\n{url}\n\n"
        f"If you did not expect this, ignore this e-mail or tell {display_name(by)}.\n"
    )
    subject = f"Your account at {clinic.name}'s pain diary"
    # After commit: no e-mail for an invitation that was rolled back. Robust: a mail server
    # that is down is logged, and the admin can send a new link from the person's page.
    transaction.on_commit(
        lambda: send_mail(subject, body, None, [user.email], fail_silently=False), robust=True
    )
