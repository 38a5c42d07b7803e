"""The project's URLs plus ``bench/noop/``: the entries endpoint's stack doing no work."""

from django.urls import path
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.urls import urlpatterns as backend_urlpatterns
from diary.api.permissions import IsPatient
from diary.api.throttles import PatientRateThrottle


class NoopView(APIView):
    """Authenticates, permits, throttles and parses like ``/api/v1/me/entries/``, then stops.

    Authentication is left at the REST_FRAMEWORK defaults on purpose: that is what
    the entries endpoint uses, so the difference between the two is only the entry's
    validation, storage and response.
    """

    permission_classes = [IsPatient]
    throttle_classes = [PatientRateThrottle]

    def post(self, request):
        request.data  # noqa: B018  (parse the body, as the entries endpoint must)
        return Response({"ok": True}, status=status.HTTP_201_CREATED)


urlpatterns = [
    *backend_urlpatterns,
    path("bench/noop/", NoopView.as_view(), name="bench-noop"),
]
