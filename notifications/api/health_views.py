"""``GET /api/v1/health/`` for load balancers and monitors: open to anyone, counts only."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import health

# Labelled per check: two fields with one choice set would give the schema one enum with
# two names, which drf-spectacular warns about.
DATABASE_RESULTS = [(health.OK, "the database answered"), (health.ERROR, "it did not")]
BROKER_RESULTS = [(health.OK, "the broker accepted a connection"), (health.ERROR, "it did not")]


PROCESS_RESULTS = [(health.OK, "seen within two ticks"), (health.ERROR, "not seen since")]


class ProcessSerializer(serializers.Serializer):
    seen_at = serializers.DateTimeField(
        allow_null=True, help_text="Its last heartbeat (UTC); null: never seen."
    )
    status = serializers.ChoiceField(choices=PROCESS_RESULTS, help_text="ok or error.")


class ProcessesSerializer(serializers.Serializer):
    beat = ProcessSerializer(help_text="The scheduler (exactly one should run).")
    worker = ProcessSerializer(help_text="A main worker (reminders, ticks, the sweeper).")
    alerts = ProcessSerializer(help_text="An alerts worker (pages and escalation).")


class HeldChannelSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(
        choices=["push/fcm", "push/apns", "sms", "email"], help_text="The channel held."
    )
    since = serializers.DateTimeField(help_text="When its circuit breaker opened (UTC).")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[health.OK, health.DEGRADED, health.DOWN],
        help_text=(
            "down (HTTP 503): the database or the broker cannot be reached; degraded: "
            "alerts or deliveries are overdue, a channel is held by its circuit breaker, "
            "or beat or a worker kind has not been seen within two ticks (stopped, or not "
            "keeping up)."
        ),
    )
    database = serializers.ChoiceField(choices=DATABASE_RESULTS, help_text="A SELECT 1.")
    broker = serializers.ChoiceField(choices=BROKER_RESULTS, help_text="A broker connection.")
    overdue_alerts = serializers.IntegerField(
        allow_null=True,
        help_text="Open alerts past their escalation time; null when the database is down.",
    )
    overdue_deliveries = serializers.IntegerField(
        allow_null=True,
        help_text=(
            "Deliveries past their send time or their worker's lease; null when the "
            "database is down."
        ),
    )
    processes = ProcessesSerializer(
        allow_null=True,
        help_text="Heartbeats of beat and of each worker kind, sent every tick; null when "
        "the database is down.",
    )
    held_channels = HeldChannelSerializer(
        many=True,
        help_text="Channels whose permanent failures passed the circuit breaker's threshold: "
        "their sends are held and no address is switched off until the hold ends.",
    )
    checked_at = serializers.DateTimeField(help_text="When the checks ran (UTC).")


class HealthView(APIView):
    """Whether the service is up and keeping up; HTTP 503 when it is down."""

    # Monitors carry no credentials, and must never be throttled into a false alarm.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        auth=[],
        responses={
            200: OpenApiResponse(HealthSerializer, description="Up: ok, or degraded."),
            503: OpenApiResponse(HealthSerializer, description="Down."),
        },
        summary="Service health",
    )
    def get(self, request):
        report = health.report(timezone.now())
        status = 503 if report["status"] == health.DOWN else 200
        return Response(HealthSerializer(report).data, status=status)
