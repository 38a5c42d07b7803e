"""The project's URLs plus one API view that fails as a bug would (for the 500 test)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from backend import urls


class Boom(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("a bug")


handler404 = urls.handler404
handler500 = urls.handler500
urlpatterns = [path("api/v1/boom/", Boom.as_view()), *urls.urlpatterns]
