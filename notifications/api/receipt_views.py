"""Where providers post delivery receipts: Twilio's status callback."""

from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import config, receipts


class TwilioStatusView(APIView):
    """A message's delivery status from Twilio, verified by its signature."""

    # Twilio carries no credentials but its signature, and retries what it thinks failed:
    # neither a login nor a throttle may refuse it.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    parser_classes = [FormParser]

    @extend_schema(exclude=True)  # Twilio's protocol, not part of the app's API
    def post(self, request):
        conf = config.twilio()
        params = {key: request.POST.get(key, "") for key in request.POST}
        # Signed over the URL Twilio was given, not the one this request arrived at
        # (a proxy in front changes scheme, host or port).
        url = conf.status_callback_url
        given = request.headers.get("X-Twilio-Signature", "")
        if not (url and receipts.twilio_signature_ok(url, params, conf.auth_token, given)):
            # In the API's one error body; Twilio only reads the status.
            raise PermissionDenied("X-Twilio-Signature does not match this request.")
        outcome = receipts.record_twilio_status(
            params.get("MessageSid", ""),
            params.get("MessageStatus", ""),
            params.get("ErrorCode", ""),
        )
        return Response({"outcome": outcome}, status=200)


twilio_status = csrf_exempt(TwilioStatusView.as_view())
