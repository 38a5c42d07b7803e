from rest_framework.throttling import SimpleRateThrottle

from diary.models import Patient


class PatientRateThrottle(SimpleRateThrottle):
    """Per-patient request rate, keyed apart from staff users (their ids overlap)."""

    scope = "patient"

    def get_cache_key(self, request, view):
        if not isinstance(request.user, Patient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
