"""Sign-ins and failed sign-ins at every door that uses Django's login (dashboard, admin)
and ``authenticate`` (the API's token login fires user_login_failed too)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from audit.log import record, staff_actor
from audit.models import Action, ActorKind


@receiver(user_logged_in, dispatch_uid="audit_sign_in")
def sign_in(sender, request, user, **kwargs):
    record(Action.SIGN_IN, request=request, **staff_actor(user))


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    tried = str(credentials.get("username", ""))[:150]
    # The clinic of the account tried, if there is one: its admin sees guesses at it.
    user = get_user_model().objects.filter(username=tried).select_related("membership").first()
    membership = getattr(user, "membership", None) if user else None
    record(
        Action.SIGN_IN_FAILED,
        request=getattr(request, "_request", request),
        actor_kind=ActorKind.ANONYMOUS,
        actor_label=tried,
        staff_user_id=user.pk if user else None,
        clinic_id=membership.clinic_id if membership else None,
    )
