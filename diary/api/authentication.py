"""``Authorization: Bearer <token>`` for patients' phones and for staff API clients."""

from rest_framework import authentication, exceptions

from diary import codes, services
from diary.models import AccessToken, PatientStatus


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Resolves a bearer token to its owner: a ``Patient`` or a staff ``User``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        # One query: the token with its owner and the owner's clinic.
        token = (
            AccessToken.objects.select_related("patient__clinic", "user__membership__clinic")
            .filter(key_hash=codes.hash_token(raw))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.patient is not None:
            if token.patient.status == PatientStatus.ENDED:
                raise exceptions.AuthenticationFailed("This diary has ended.")
            return token.patient, token
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if not services.staff_token_in_use(token):
            raise exceptions.AuthenticationFailed("This sign-in has expired; sign in again.")
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
