"""What notifications keep about a patient that erasure removes: the addresses their
messages went to, providers' error texts (which can quote them) and alerts' notes."""

from notifications.models import Alert, Delivery


def scrub_patient(patient) -> dict:
    deliveries = Delivery.objects.filter(patient=patient)
    return {
        "delivery_addresses": deliveries.exclude(address="").update(
            address="", last_error="", provider_id=""
        ),
        "alert_notes": Alert.objects.filter(patient=patient)
        .exclude(resolution_note="")
        .update(resolution_note=""),
    }
