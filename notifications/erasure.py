"""What notifications keep about a patient that erasure removes: the addresses their
messages went to, providers' error texts (which can quote them) and alerts' notes."""

from notifications.models import Alert, Delivery

# A resolved alert must keep a note (alert_resolved_with_note): the staff's words, which may
# name the patient, give way to these.
ERASED_NOTE = "(note removed when the patient was erased)"


def scrub_patient(patient) -> dict:
    deliveries = Delivery.objects.filter(patient=patient)
    return {
        "delivery_addresses": deliveries.exclude(address="").update(
            address="", last_error="", provider_id=""
        ),
        "alert_notes": Alert.objects.filter(patient=patient)
        .exclude(resolution_note__in=("", ERASED_NOTE))
        .update(resolution_note=ERASED_NOTE),
    }
